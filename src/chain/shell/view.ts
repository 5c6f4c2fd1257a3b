// What the RPC reads from the state: a narrow view the node wiring implements over the core's
// queries, so the RPC does not depend on how the state is stored. Entities are returned as the
// core's plain objects (bigints are sent as decimal strings); `undefined` means "no such entity".
export const listKinds = ['twins', 'farms', 'nodes', 'contracts', 'pricingPolicies'] as const;
export type ListKind = (typeof listKinds)[number];

/** Equality filters; which apply depends on the kind (README "RPC"). */
export interface ListFilter {
  readonly twinId?: number;
  readonly farmId?: number;
  readonly nodeId?: number;
  readonly kind?: string;
  readonly state?: string;
  readonly status?: string;
}

/** Pages go by id: pass the returned `nextAfterId` back as `afterId` until it is undefined. */
export interface Page {
  readonly afterId: number;
  readonly limit: number;
  readonly filter: ListFilter;
}

export interface ChainView {
  params(): unknown;
  account(address: string): unknown;
  twin(id: number): unknown;
  twinByAccount(address: string): unknown;
  farm(id: number): unknown;
  farmByName(name: string): unknown;
  node(id: number): unknown;
  nodeByTwin(twinId: number): unknown;
  contract(id: number): unknown;
  contractByNodeHash(nodeId: number, deploymentHash: string): unknown;
  list(kind: ListKind, page: Page): { items: readonly unknown[]; nextAfterId: number | undefined };
}
