// What the RPC reads from the state: a narrow view the node wiring implements over the core's
// queries, so the RPC does not depend on how the state is stored. Entities are returned as the
// core's plain objects (bigints are sent as decimal strings); `undefined` means "no such entity".
export const listKinds = ['twins', 'farms', 'nodes', 'contracts'] as const;
export type ListKind = (typeof listKinds)[number];

export interface Page {
  readonly offset: number;
  readonly limit: number;
  /** Equality filters by field, e.g. { twinId: "3" } or { state: "Created" }. */
  readonly filter: Readonly<Record<string, string>>;
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
  list(kind: ListKind, page: Page): { items: unknown[]; total: number };
}
