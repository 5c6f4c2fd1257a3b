// The read API the RPC serves. Entities come out JSON-safe (bigints as decimal strings) and
// lists page by id: pass the returned `nextAfterId` back as `afterId` until it is undefined.
import type { Account, Contract, Farm, Meta, Node, Params, PricingPolicy, Twin } from './entities.ts';
import { sortedIds } from './billing/lifecycle.ts';
import type { Address } from './seam.ts';
import type { ChainState } from './state/state.ts';

export type AccountView = Omit<Account, 'balance'> & { readonly balance: string };
type WithDebtText<C> = C extends unknown ? Omit<C, 'debt'> & { readonly debt: string } : never;
/** A contract with its debt as a decimal string; still discriminated on `kind`. */
export type ContractView = WithDebtText<Contract>;

export const listLimitMax = 1000;
/** Ids looked at per list call, so a filter matching little cannot make one call scan millions. */
export const listScanMax = 100_000;

/** Equality filters; which apply depends on the kind (README "RPC"). */
export interface ListFilter {
  readonly twinId?: number;
  readonly farmId?: number;
  readonly nodeId?: number;
  readonly kind?: string;
  readonly state?: string;
  readonly status?: string;
}

export interface ListOptions {
  readonly afterId?: number;
  readonly limit?: number;
  readonly filter?: ListFilter;
}

export const listKinds = ['twins', 'farms', 'nodes', 'contracts', 'pricingPolicies'] as const;
export type ListKind = (typeof listKinds)[number];

export interface ListPage<T> {
  readonly items: readonly T[];
  /** Where the next page starts; undefined when there is nothing after. */
  readonly nextAfterId: number | undefined;
}

export function accountView(account: Account): AccountView {
  return { ...account, balance: account.balance.toString() };
}

export function contractView(contract: Contract): ContractView {
  return { ...contract, debt: contract.debt.toString() };
}

export class ChainQueries {
  readonly #state: ChainState;

  constructor(state: ChainState) {
    this.#state = state;
  }

  meta(): Meta {
    return this.#state.getMeta();
  }

  params(): Params {
    return this.#state.getParams();
  }

  account(address: Address): AccountView | undefined {
    const account = this.#state.accounts.get(address);
    return account === undefined ? undefined : accountView(account);
  }

  /** The balance in TFT units (0 for an account never funded). */
  balance(address: Address): bigint {
    return this.#state.accounts.get(address)?.balance ?? 0n;
  }

  /** The nonce the account's next transaction must carry. */
  nextNonce(address: Address): number {
    return (this.#state.accounts.get(address)?.nonce ?? 0) + 1;
  }

  twin(id: number): Twin | undefined {
    return this.#state.twins.get(id);
  }

  twinByAccount(address: Address): Twin | undefined {
    const id = this.#state.twinByAccount.get(address);
    return id === undefined ? undefined : this.#state.twins.get(id);
  }

  farm(id: number): Farm | undefined {
    return this.#state.farms.get(id);
  }

  farmByName(name: string): Farm | undefined {
    const id = this.#state.farmByName.get(name);
    return id === undefined ? undefined : this.#state.farms.get(id);
  }

  node(id: number): Node | undefined {
    return this.#state.nodes.get(id);
  }

  nodeByTwin(twinId: number): Node | undefined {
    const id = this.#state.nodeByTwin.get(twinId);
    return id === undefined ? undefined : this.#state.nodes.get(id);
  }

  contract(id: number): ContractView | undefined {
    const contract = this.#state.contracts.get(id);
    return contract === undefined ? undefined : contractView(contract);
  }

  contractByNodeHash(nodeId: number, deploymentHash: string): ContractView | undefined {
    const id = this.#state.contractByNodeHash.get(`${nodeId}/${deploymentHash}`);
    return id === undefined ? undefined : this.contract(id);
  }

  contractByName(name: string): ContractView | undefined {
    const id = this.#state.contractByName.get(name);
    return id === undefined ? undefined : this.contract(id);
  }

  /** The rent contract of a node, if it is rented. */
  rentContractOfNode(nodeId: number): ContractView | undefined {
    const id = this.#state.rentByNode.get(nodeId);
    return id === undefined ? undefined : this.contract(id);
  }

  pricingPolicy(id: number): PricingPolicy | undefined {
    return this.#state.pricing.get(id);
  }

  list(kind: ListKind, options: ListOptions = {}): ListPage<unknown> {
    const afterId = Math.max(0, Math.floor(options.afterId ?? 0));
    const limit = Math.min(listLimitMax, Math.max(1, Math.floor(options.limit ?? 100)));
    const filter = options.filter ?? {};
    const get = this.#getter(kind);
    const matches = this.#matcher(kind, filter);
    const candidates = this.#candidates(kind, filter);
    const items: unknown[] = [];
    let scanned = 0;
    let lastId = afterId;
    const visit = (id: number): boolean => {
      lastId = id;
      const value = get(id);
      if (value !== undefined && matches(value)) items.push(kind === 'contracts' ? contractView(value as Contract) : value);
      return items.length < limit && ++scanned < listScanMax;
    };
    if (candidates !== undefined) {
      const ids = candidates.filter((id) => id > afterId);
      for (let i = 0; i < ids.length; i++) if (!visit(ids[i]!)) return { items, nextAfterId: i + 1 < ids.length ? lastId : undefined };
      return { items, nextAfterId: undefined };
    }
    const end = this.#endId(kind);
    for (let id = afterId + 1; id < end; id++) if (!visit(id)) return { items, nextAfterId: id + 1 < end ? lastId : undefined };
    return { items, nextAfterId: undefined };
  }

  #getter(kind: ListKind): (id: number) => unknown {
    const state = this.#state;
    switch (kind) {
      case 'twins':
        return (id) => state.twins.get(id);
      case 'farms':
        return (id) => state.farms.get(id);
      case 'nodes':
        return (id) => state.nodes.get(id);
      case 'contracts':
        return (id) => state.contracts.get(id);
      case 'pricingPolicies':
        return (id) => state.pricing.get(id);
    }
  }

  /** Sorted ids from an index when the filter has one, else undefined (scan by id). */
  #candidates(kind: ListKind, filter: ListFilter): number[] | undefined {
    const state = this.#state;
    if (kind === 'contracts' && filter.twinId !== undefined) return sortedIds(state.contractsByTwin.get(filter.twinId));
    if (kind === 'contracts' && filter.nodeId !== undefined) {
      const ids = new Set(state.contractsByNode.get(filter.nodeId));
      const rent = state.rentByNode.get(filter.nodeId);
      if (rent !== undefined) ids.add(rent);
      return sortedIds(ids);
    }
    if (kind === 'nodes' && filter.farmId !== undefined) return sortedIds(state.nodesByFarm.get(filter.farmId));
    if (kind === 'farms' && filter.twinId !== undefined) return sortedIds(state.farmsByTwin.get(filter.twinId));
    if (kind === 'pricingPolicies') return [...state.pricing.values()].map((p) => p.id).sort((a, b) => a - b);
    return undefined;
  }

  #matcher(kind: ListKind, filter: ListFilter): (value: unknown) => boolean {
    const checks: Array<[string, unknown]> = [];
    const add = (field: string, wanted: unknown): void => void (wanted !== undefined && checks.push([field, wanted]));
    if (kind === 'contracts') {
      add('twinId', filter.twinId);
      add('nodeId', filter.nodeId);
      add('kind', filter.kind);
      add('state', filter.state);
    } else if (kind === 'nodes') {
      add('farmId', filter.farmId);
      add('twinId', filter.twinId);
      add('status', filter.status);
    } else if (kind === 'farms') {
      add('twinId', filter.twinId);
    }
    return (value) => checks.every(([field, wanted]) => (value as Record<string, unknown>)[field] === wanted);
  }

  #endId(kind: ListKind): number {
    const meta = this.#state.getMeta();
    if (kind === 'twins') return meta.nextTwinId;
    if (kind === 'farms') return meta.nextFarmId;
    if (kind === 'nodes') return meta.nextNodeId;
    return meta.nextContractId;
  }
}
