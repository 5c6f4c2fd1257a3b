// The whole chain state: the committed tables, the lookups derived from them (kept by table
// hooks, so undoing a write also undoes its index changes) and the due-time queues. Everything
// here is rebuilt from the tables alone on restore; only the tables are committed and snapshotted.
import { assert } from '../../../base/index.ts';
import { canonicalJson, digestOf, toHex } from '../../../crypto/index.ts';
import type { Account, Contract, Farm, Meta, Node, Params, PricingPolicy, Twin } from '../entities.ts';
import { ContractKind, NodeStatus } from '../entities.ts';
import type { Address } from '../seam.ts';
import { DueQueue } from './due-queue.ts';
import { objectEncoder, stringArray, text } from './encode.ts';
import { Table, type JournalEntry, type JournalHolder, type TableKey } from './table.ts';

export const stateDomain = 'tfgrid/chain/state/v1';

// Hand-written canonical JSON (keys in sorted order) for the two tables every billing cycle
// rewrites; state.test.ts checks them against canonicalJson. Strings that users choose go
// through `text`; hex and enum strings need no escaping.
const encodeAccount = (a: Account): string => `{"address":"${a.address}","balance":"${a.balance}","nonce":${a.nonce}}`;

const encodeTwin = objectEncoder<Twin>(['id', 'account', 'encryptionKey', 'relays', 'createdMs'], { relays: stringArray });

function encodeContract(c: Contract): string {
  let out = `{"createdMs":${c.createdMs},"debt":"${c.debt}"`;
  if (c.kind === ContractKind.node) out += `,"deploymentData":${text(c.deploymentData)},"deploymentHash":"${c.deploymentHash}"`;
  out += `,"graceStartMs":${c.graceStartMs},"id":${c.id},"kind":"${c.kind}","lastBilledMs":${c.lastBilledMs}`;
  if (c.kind === ContractKind.name) out += `,"name":${text(c.name)}`;
  out += `,"nextBillMs":${c.nextBillMs}`;
  if (c.kind !== ContractKind.name) out += `,"nodeId":${c.nodeId}`;
  if (c.kind === ContractKind.node) {
    const r = c.resources;
    out += `,"publicIpList":${stringArray(c.publicIpList)},"publicIps":${c.publicIps},"resources":{"cru":${r.cru},"hru":${r.hru},"mru":${r.mru},"sru":${r.sru}}`;
  }
  return out + `,"state":"${c.state}","twinId":${c.twinId}}`;
}

/** The committed tables, in the order their roots enter the state root. */
export const tableNames = ['meta', 'params', 'pricing', 'accounts', 'twins', 'farms', 'nodes', 'contracts'] as const;
export type TableName = (typeof tableNames)[number];

function addToSet(map: Map<number, Set<number>>, key: number, id: number): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(id);
}

/** Do two versions of a contract have the same lookup keys (twin, kind, node, hash, name)? */
function sameContractKeys(a: Contract, b: Contract): boolean {
  if (a.twinId !== b.twinId || a.kind !== b.kind) return false;
  if (a.kind === ContractKind.node) return b.kind === ContractKind.node && a.nodeId === b.nodeId && a.deploymentHash === b.deploymentHash;
  if (a.kind === ContractKind.name) return b.kind === ContractKind.name && a.name === b.name;
  return b.kind === ContractKind.rent && a.nodeId === b.nodeId;
}

function removeFromSet(map: Map<number, Set<number>>, key: number, id: number): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

export class ChainState implements JournalHolder {
  journal: JournalEntry[] | undefined = undefined;

  readonly meta = new Table<string, Meta>({ name: 'meta', bits: 0, encode: canonicalJson, journal: this, keyKind: 'string' });
  readonly params = new Table<string, Params>({ name: 'params', bits: 0, encode: canonicalJson, journal: this, keyKind: 'string' });
  readonly pricing = new Table<number, PricingPolicy>({ name: 'pricing', bits: 4, encode: canonicalJson, journal: this, keyKind: 'number' });
  readonly accounts = new Table<string, Account>({ name: 'accounts', bits: 16, encode: encodeAccount, journal: this, keyKind: 'string' });
  readonly twins = new Table<number, Twin>({ name: 'twins', bits: 16, encode: encodeTwin, journal: this, keyKind: 'number' });
  readonly farms = new Table<number, Farm>({ name: 'farms', bits: 12, encode: canonicalJson, journal: this, keyKind: 'number' });
  readonly nodes = new Table<number, Node>({ name: 'nodes', bits: 16, encode: canonicalJson, journal: this, keyKind: 'number' });
  readonly contracts = new Table<number, Contract>({ name: 'contracts', bits: 16, encode: encodeContract, journal: this, keyKind: 'number' });

  // Derived lookups.
  readonly twinByAccount = new Map<Address, number>();
  readonly farmByName = new Map<string, number>();
  readonly farmsByTwin = new Map<number, Set<number>>();
  readonly nodeByTwin = new Map<number, number>();
  readonly nodesByFarm = new Map<number, Set<number>>();
  /** `${nodeId}/${deploymentHash}` → node contract. */
  readonly contractByNodeHash = new Map<string, number>();
  readonly contractByName = new Map<string, number>();
  /** Node → its rent contract. */
  readonly rentByNode = new Map<number, number>();
  /** Node → its node contracts (not the rent contract). */
  readonly contractsByNode = new Map<number, Set<number>>();
  readonly contractsByTwin = new Map<number, Set<number>>();

  readonly billingQueue: DueQueue;
  readonly uptimeQueue: DueQueue;
  /** Uptime queue entries are due times computed with the uptime interval: re-queue on change. */
  requeueUptime(): void {
    for (const node of this.nodes.values()) if (node.status === NodeStatus.up) this.uptimeQueue.push(this.downAtMs(node), node.id);
  }

  constructor(nowMs: number) {
    this.billingQueue = new DueQueue(nowMs);
    this.uptimeQueue = new DueQueue(nowMs);
    this.twins.addHook((_id, previous, next) => {
      if (previous !== undefined) this.twinByAccount.delete(previous.account);
      if (next !== undefined) this.twinByAccount.set(next.account, next.id);
    });
    this.farms.addHook((id, previous, next) => {
      if (previous !== undefined) {
        this.farmByName.delete(previous.name);
        removeFromSet(this.farmsByTwin, previous.twinId, id);
      }
      if (next !== undefined) {
        this.farmByName.set(next.name, id);
        addToSet(this.farmsByTwin, next.twinId, id);
      }
    });
    this.nodes.addHook((id, previous, next) => this.#indexNode(id, previous, next));
    this.contracts.addHook((id, previous, next) => this.#indexContract(id, previous, next));
  }

  #indexNode(id: number, previous: Node | undefined, next: Node | undefined): void {
    if (previous !== undefined) {
      this.nodeByTwin.delete(previous.twinId);
      removeFromSet(this.nodesByFarm, previous.farmId, id);
    }
    if (next !== undefined) {
      this.nodeByTwin.set(next.twinId, id);
      addToSet(this.nodesByFarm, next.farmId, id);
      if (next.status === NodeStatus.up && next.lastUptimeMs !== previous?.lastUptimeMs) this.uptimeQueue.push(this.downAtMs(next), id);
    }
  }

  #indexContract(id: number, previous: Contract | undefined, next: Contract | undefined): void {
    // Billing rewrites every contract each period: leave the lookups alone when the fields they
    // key on did not change (the common case), which also spares the garbage of their keys.
    if (previous === undefined || next === undefined || !sameContractKeys(previous, next)) {
      if (previous !== undefined) this.#unindexContract(id, previous);
      if (next !== undefined) this.#addContractIndexes(id, next);
    }
    if (next !== undefined && next.nextBillMs !== previous?.nextBillMs) this.billingQueue.push(next.nextBillMs, id);
  }

  #unindexContract(id: number, previous: Contract): void {
    removeFromSet(this.contractsByTwin, previous.twinId, id);
    if (previous.kind === ContractKind.node) {
      this.contractByNodeHash.delete(`${previous.nodeId}/${previous.deploymentHash}`);
      removeFromSet(this.contractsByNode, previous.nodeId, id);
    } else if (previous.kind === ContractKind.name) {
      this.contractByName.delete(previous.name);
    } else {
      this.rentByNode.delete(previous.nodeId);
    }
  }

  #addContractIndexes(id: number, next: Contract): void {
    addToSet(this.contractsByTwin, next.twinId, id);
    if (next.kind === ContractKind.node) {
      this.contractByNodeHash.set(`${next.nodeId}/${next.deploymentHash}`, id);
      addToSet(this.contractsByNode, next.nodeId, id);
    } else if (next.kind === ContractKind.name) {
      this.contractByName.set(next.name, id);
    } else {
      this.rentByNode.set(next.nodeId, id);
    }
  }

  /** When an up node that does not report again is flagged down. */
  downAtMs(node: Node): number {
    return node.lastUptimeMs + 2 * this.getParams().uptimeIntervalMs + 1;
  }

  getMeta(): Meta {
    const meta = this.meta.get('meta');
    assert(meta !== undefined, 'state has its meta entry from genesis on');
    return meta;
  }

  getParams(): Params {
    const params = this.params.get('params');
    assert(params !== undefined, 'state has its params entry from genesis on');
    return params;
  }

  updateMeta(change: Partial<Meta>): void {
    this.meta.set('meta', { ...this.getMeta(), ...change });
  }

  /** Takes the next id of a counter and advances it. */
  takeId(counter: 'nextTwinId' | 'nextFarmId' | 'nextNodeId' | 'nextContractId'): number {
    const id = this.getMeta()[counter];
    this.updateMeta({ [counter]: id + 1 });
    return id;
  }

  /** Runs `body` so that, if it throws, every table write it made is undone. */
  atomically<T>(body: () => T): T {
    return this.#journaled(body, false);
  }

  /** Runs `body` and undoes all its writes, whatever happens: a dry run (precheck). */
  dryRun<T>(body: () => T): T {
    return this.#journaled(body, true);
  }

  #journaled<T>(body: () => T, undoAlways: boolean): T {
    assert(this.journal === undefined, 'transactions do not nest');
    const journal: JournalEntry[] = [];
    this.journal = journal;
    let completed = false;
    try {
      const result = body();
      completed = true;
      return result;
    } finally {
      this.journal = undefined;
      if (undoAlways || !completed) for (let i = journal.length - 1; i >= 0; i--) journal[i]!.undo();
    }
  }

  table(name: TableName): Table<TableKey, unknown> {
    return this[name] as unknown as Table<TableKey, unknown>;
  }

  /** Hex SHA-256 commitment to every table (README: "State root"). */
  root(): string {
    const roots: Record<string, string> = {};
    for (const name of tableNames) roots[name] = toHex(this.table(name).root());
    return toHex(digestOf(stateDomain, roots));
  }
}
