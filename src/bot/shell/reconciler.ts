// `tfgrid bot`: every tick, read the desired state, look at each replica (its node's status and
// its contract on the chain, its deployment on the node over the bus), decide (core/heal.ts) and
// move what must move: cancel the old contract first (included on the chain), then plan, contract
// and deploy on another node that meets the same requirements, then record why. Cancelling
// first is what keeps "one copy where the spec says one": there is never a second live
// contract for a replica, and a node that was only cut off tears the old copy down when it sees
// the cancellation on the chain. Data of stateful workloads (volumes, zdbs) is NOT restored on
// the new node yet: that needs zstor, and each move says so.
import { isTfgridError, type Logger } from '../../base/index.ts';
import { ZosError, type Deployment } from '../../zos/index.ts';
import { subnetOf } from '../core/build.ts';
import { decideMoves, healDefaults, replicaKey, type HealSettings, type Move, type Observation, type Probe, type Suspect } from '../core/heal.ts';
import { orphanContracts, parseContractTag } from '../core/orphans.ts';
import { planReplicas } from '../core/plan.ts';
import { withEvent, type DesiredRecord } from '../core/state.ts';
import { findCandidates } from './capacity.ts';
import { cancelContracts, deployReplica } from './deployer.ts';
import { resolveFlists, twinContracts } from './ops.ts';
import type { BotSession } from './session.ts';
import type { DesiredStore } from './store.ts';

export interface ReconcilerOptions {
  readonly tickMs?: number;
  /** Per bus request to a node when looking at it. */
  readonly probeTimeoutMs?: number;
  readonly heal?: HealSettings;
  /** How long a node a move failed on is avoided. */
  readonly avoidMs?: number;
  readonly log: Logger;
  /** Each move as it happens (the CLI prints them). */
  readonly onMove?: (event: MoveReport) => void;
  /** How old a contract no record holds must be before it is cancelled (a deploy may still record it). */
  readonly orphanGraceMs?: number;
  /** How often the twin's contracts are listed to find such orphans. */
  readonly orphanCheckMs?: number;
  /** Each orphan contract cancelled (or that could not be). */
  readonly onOrphan?: (event: OrphanReport) => void;
}

export interface OrphanReport {
  readonly contractId: number;
  /** The deployment and replica its data names. */
  readonly tag: string;
  readonly error: string | undefined;
}

export const orphanGraceMsDefault = 10 * 60_000;

export interface MoveReport {
  readonly name: string;
  readonly index: number;
  readonly fromNode: number;
  readonly toNode: number | undefined;
  readonly reason: string;
  readonly error: string | undefined;
  readonly stateful: boolean;
}

export const statefulWarning = 'volume and zdb data is not carried over: restoring from zstor is not implemented yet, the new replica starts empty';

export class Reconciler {
  readonly #session: BotSession;
  readonly #store: DesiredStore;
  readonly #options: ReconcilerOptions;
  #suspects = new Map<string, Suspect>();
  readonly #avoid = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #orphansCheckedMs = 0;

  constructor(session: BotSession, store: DesiredStore, options: ReconcilerOptions) {
    this.#session = session;
    this.#store = store;
    this.#options = options;
  }

  start(): void {
    const loop = (): void => {
      if (this.#stopped) return;
      this.#running = this.tick().then(() => undefined, (error: unknown) => this.#options.log.warn('tick failed', { error: isTfgridError(error) ? error.toJSON() : String(error) }));
      void this.#running.then(() => {
        if (!this.#stopped) this.#timer = setTimeout(loop, this.#options.tickMs ?? 1_000);
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One look and the moves it calls for; returns what was moved. */
  async tick(): Promise<MoveReport[]> {
    const all = await this.#store.use((state) => state.list());
    const records = all.filter((r) => r.status === 'active');
    const observed = new Map<string, Observation>();
    await Promise.all(records.flatMap((record) => record.replicas.filter((r) => r.nodeId > 0).map(async (replica) => {
      observed.set(replicaKey(record.name, replica.index), await this.#observe(replica.nodeId, replica.nodeTwin, replica.contractId));
    })));
    const decided = decideMoves(records, observed, this.#suspects, Date.now(), this.#options.heal ?? healDefaults);
    this.#suspects = decided.suspects;
    const reports: MoveReport[] = [];
    for (const move of decided.moves) {
      const record = records.find((r) => r.name === move.name)!;
      const report = await this.#move(record, move);
      reports.push(report);
      this.#options.onMove?.(report);
    }
    if (Date.now() - this.#orphansCheckedMs >= (this.#options.orphanCheckMs ?? 30_000)) await this.#cancelOrphans(all);
    return reports;
  }

  /** Cancels tagged contracts that no record holds (a deploy or move killed before recording). */
  async #cancelOrphans(records: readonly DesiredRecord[]): Promise<void> {
    this.#orphansCheckedMs = Date.now();
    const contracts = await twinContracts(this.#session);
    // Records read again after the listing: a deploy that recorded meanwhile is not mistaken.
    const fresh = await this.#store.use((state) => state.list());
    const orphans = orphanContracts(contracts, [...records, ...fresh], Date.now(), this.#options.orphanGraceMs ?? orphanGraceMsDefault);
    for (const id of orphans) {
      const tag = parseContractTag(contracts.find((c) => c.id === id)?.deploymentData ?? '');
      const left = await cancelContracts(this.#session, [id]);
      const report: OrphanReport = { contractId: id, tag: tag === undefined ? '' : `${tag.bot}[${tag.replica}]`, error: left[0]?.error };
      this.#options.log[left.length === 0 ? 'info' : 'warn']('orphan contract', { contract: id, tag: report.tag, ...(report.error === undefined ? {} : { error: report.error }) });
      this.#options.onOrphan?.(report);
    }
  }

  async #observe(nodeId: number, nodeTwin: number, contractId: number): Promise<Observation> {
    const [node, contract, probe] = await Promise.all([
      this.#session.chain.node(nodeId).catch(() => undefined),
      this.#session.chain.contract(contractId).then((c) => c !== undefined, () => true),
      this.#probe(nodeTwin, contractId),
    ]);
    return { nodeUp: node === undefined ? true : node.status === 'up', contractLive: contract, probe };
  }

  async #probe(nodeTwin: number, contractId: number): Promise<Probe> {
    try {
      const node = await this.#session.node(nodeTwin, this.#options.probeTimeoutMs ?? 1_500);
      const d = await node.call<Deployment>('zos.deployment.get', { contract_id: contractId });
      const failing = d.workloads.find((w) => w.result?.state === 'error');
      if (failing !== undefined) return { kind: 'error', message: `${failing.name}: ${failing.result?.message ?? ''}` };
      return d.workloads.every((w) => w.result?.state === 'ok') ? { kind: 'ok' } : { kind: 'init' };
    } catch (error) {
      if (isTfgridError(error, ZosError.NOT_FOUND)) return { kind: 'missing' };
      return { kind: 'unreachable', message: isTfgridError(error) ? error.code : String(error) };
    }
  }

  async #move(record: DesiredRecord, move: Move): Promise<MoveReport> {
    const log = this.#options.log.child({ deployment: move.name, replica: move.index });
    const stateful = Object.keys(record.spec.volumes).length + Object.keys(record.spec.zdbs).length > 0;
    const old = record.replicas.find((r) => r.index === move.index);
    log.info('moving', { from: move.fromNode, reason: move.reason });
    // Cancel first: after this the old node may not run the replica any more.
    if (old !== undefined && old.contractId > 0) {
      const left = await cancelContracts(this.#session, [old.contractId]);
      if (left.length > 0) return this.#failed(record, move, `could not cancel contract ${old.contractId}: ${left[0]!.error}`, stateful);
    }
    if (move.fromNode > 0) this.#avoid.set(move.fromNode, Date.now() + (this.#options.avoidMs ?? 60_000));
    const created: number[] = [];
    try {
      const now = Date.now();
      for (const [node, until] of this.#avoid) if (until < now) this.#avoid.delete(node);
      const others = record.replicas.filter((r) => r.index !== move.index && r.nodeId > 0);
      const { candidates, pricing } = await findCandidates(this.#session.chain, this.#session.explorerUrl);
      const [planned] = planReplicas(record.name, record.spec, candidates, pricing.tftPriceUsdUnits, { indexes: [move.index], avoid: [...this.#avoid.keys()], taken: { nodes: others.map((r) => r.nodeId), farms: others.map((r) => r.farmId) } });
      const [n] = await this.#store.use((state) => state.reserveSubnets(1));
      const replica = await deployReplica(this.#session, { name: record.name, spec: record.spec, ipRange: record.ipRange, subnet: subnetOf(record.ipRange, n!), planned: planned!, flists: await resolveFlists(this.#session, record.spec) }, created);
      const reason = `${move.reason}${stateful ? `; ${statefulWarning}` : ''}`;
      await this.#update(record.name, (r) => withEvent({ ...r, replicas: [...r.replicas.filter((x) => x.index !== move.index), replica].sort((a, b) => a.index - b.index) }, { atMs: Date.now(), replica: move.index, kind: 'moved', fromNode: move.fromNode, toNode: replica.nodeId, contractId: replica.contractId, reason }));
      log.info('moved', { to: replica.nodeId, contract: replica.contractId });
      return { name: move.name, index: move.index, fromNode: move.fromNode, toNode: replica.nodeId, reason: move.reason, error: undefined, stateful };
    } catch (error) {
      await cancelContracts(this.#session, created);
      return this.#failed(record, move, isTfgridError(error) ? error.message : String(error), stateful);
    }
  }

  async #failed(record: DesiredRecord, move: Move, error: string, stateful: boolean): Promise<MoveReport> {
    this.#options.log.warn('move failed', { deployment: move.name, replica: move.index, error });
    await this.#update(record.name, (r) => withEvent({ ...r, replicas: r.replicas.map((x) => (x.index === move.index ? { ...x, nodeId: 0, nodeTwin: 0, contractId: 0 } : x)) }, { atMs: Date.now(), replica: move.index, kind: 'failed', fromNode: move.fromNode, reason: `${move.reason}; the move failed: ${error}` }));
    return { name: move.name, index: move.index, fromNode: move.fromNode, toNode: undefined, reason: move.reason, error, stateful };
  }

  /** Re-reads the record so a concurrent `down` is not undone. */
  async #update(name: string, change: (record: DesiredRecord) => DesiredRecord): Promise<void> {
    await this.#store.use(async (state) => {
      const current = await state.get(name);
      if (current !== undefined && current.status === 'active') await state.put(change(current));
    });
  }
}
