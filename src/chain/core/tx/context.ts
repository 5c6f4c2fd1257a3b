// What a transaction handler sees, and the lookups that refuse with a coded error. A handler
// throws a TfgridError to refuse; the machine then undoes every write the handler made.
import type { z } from 'zod';
import { TfgridError } from '../../../base/index.ts';
import { ChainError } from '../../errors.ts';
import type { Account, Contract, Farm, Node, Twin } from '../entities.ts';
import type { Address, ChainEvent } from '../seam.ts';
import type { ChainState } from '../state/state.ts';

export interface TxContext {
  readonly state: ChainState;
  readonly signer: Address;
  /** The block's timestamp. */
  readonly nowMs: number;
  readonly emit: (event: ChainEvent) => void;
}

export interface TxKind<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schema: S;
  readonly handler: (context: TxContext, payload: z.output<S>) => void;
}

export function defineTx<S extends z.ZodType>(type: string, schema: S, handler: (context: TxContext, payload: z.output<S>) => void): TxKind<S> {
  return { type, schema, handler };
}

export function refuse(code: string, detail: string): never {
  throw new TfgridError(code, detail);
}

export function requireAccount(state: ChainState, address: Address): Account {
  return state.accounts.get(address) ?? refuse(ChainError.UNKNOWN_ACCOUNT, `account ${address} does not exist`);
}

/** The signer's twin: most transactions act as a twin. */
export function signerTwin(context: TxContext): Twin {
  const id = context.state.twinByAccount.get(context.signer);
  if (id === undefined) refuse(ChainError.UNKNOWN_TWIN, `account ${context.signer} has no twin`);
  return context.state.twins.get(id)!;
}

export function requireTwin(state: ChainState, id: number): Twin {
  return state.twins.get(id) ?? refuse(ChainError.UNKNOWN_TWIN, `twin ${id} does not exist`);
}

export function requireFarm(state: ChainState, id: number): Farm {
  return state.farms.get(id) ?? refuse(ChainError.UNKNOWN_FARM, `farm ${id} does not exist`);
}

export function requireNode(state: ChainState, id: number): Node {
  return state.nodes.get(id) ?? refuse(ChainError.UNKNOWN_NODE, `node ${id} does not exist`);
}

export function requireContract(state: ChainState, id: number): Contract {
  return state.contracts.get(id) ?? refuse(ChainError.UNKNOWN_CONTRACT, `contract ${id} does not exist`);
}

/** The farm the signer's twin owns. */
export function ownedFarm(context: TxContext, farmId: number): Farm {
  const farm = requireFarm(context.state, farmId);
  const twin = signerTwin(context);
  if (farm.twinId !== twin.id) refuse(ChainError.NOT_OWNER, `farm ${farmId} belongs to twin ${farm.twinId}, not ${twin.id}`);
  return farm;
}

/** The node whose twin is the signer's (a node acts for itself: proof-of-capacity). */
export function signerNode(context: TxContext): Node {
  const twin = signerTwin(context);
  const id = context.state.nodeByTwin.get(twin.id);
  if (id === undefined) refuse(ChainError.UNKNOWN_NODE, `twin ${twin.id} is not a node`);
  return context.state.nodes.get(id)!;
}

export function requireAdmin(context: TxContext): void {
  const admin = context.state.getParams().admin;
  if (context.signer !== admin) refuse(ChainError.NOT_ADMIN, 'only the chain admin may do this');
}

export function credit(state: ChainState, address: Address, amount: bigint): void {
  if (amount === 0n) return;
  const account = state.accounts.get(address);
  state.accounts.set(address, account === undefined ? { address, balance: amount, nonce: 0 } : { ...account, balance: account.balance + amount });
}

export function debit(state: ChainState, address: Address, amount: bigint): void {
  const account = requireAccount(state, address);
  if (account.balance < amount) refuse(ChainError.INSUFFICIENT_FUNDS, `account ${address} holds ${account.balance} units, needs ${amount}`);
  if (amount !== 0n) state.accounts.set(address, { ...account, balance: account.balance - amount });
}
