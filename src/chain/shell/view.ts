// What the RPC reads from the state: a narrow view the node wiring implements over the core's
// queries, so the RPC does not depend on how the state is stored. Entities are returned as the
// core's plain objects (bigints are sent as decimal strings); `undefined` means "no such entity".
// The list kinds and filters are the core's (one definition for the queries, the RPC and the client).
import type { ListFilter, ListKind } from '../core/queries.ts';
export { listKinds, type ListFilter, type ListKind } from '../core/queries.ts';

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
