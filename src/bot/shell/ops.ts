// The user's operations: plan and deploy a spec (rolling back every contract this call created
// when anything fails), take deployments down, and look at them (status, logs, contracts).
import { TfgridError, isTfgridError } from '../../base/index.ts';
import { listFlists } from '../../flist/index.ts';
import type { Deployment } from '../../zos/index.ts';
import { BotError } from '../errors.ts';
import { subnetOf } from '../core/build.ts';
import { planSpec, type Plan } from '../core/plan.ts';
import { orphanContracts, type ContractFact } from '../core/orphans.ts';
import type { Candidate } from '../core/rank.ts';
import type { DeploymentSpec, Spec } from '../core/spec.ts';
import { withEvent, type DesiredRecord, type Replica } from '../core/state.ts';
import { findCandidates } from './capacity.ts';
import { cancelContracts, deployReplica } from './deployer.ts';
import type { BotSession } from './session.ts';
import type { DesiredStore } from './store.ts';

export type Progress = (text: string) => void;

/** Container name → flist: `flist` as given, `image` looked up by name on the hub. */
export async function resolveFlists(session: BotSession, spec: DeploymentSpec): Promise<Record<string, string>> {
  const flists: Record<string, string> = {};
  for (const [name, c] of Object.entries(spec.containers)) {
    if (c.flist !== undefined) {
      flists[name] = c.flist;
      continue;
    }
    const image = c.image!;
    if (session.hubUrl === undefined) throw new TfgridError(BotError.IMAGE_NOT_FOUND, `container ${name}: image "${image}" needs a hub to look it up (--hub or $TFGRID_HUB), or give flist: <url>`);
    const found = (await listFlists(session.hubUrl)).filter((f) => f.name === image || f.name === `${image}.fl`).sort((a, b) => b.createdMs - a.createdMs)[0];
    if (found === undefined) throw new TfgridError(BotError.IMAGE_NOT_FOUND, `container ${name}: no image "${image}" on ${session.hubUrl} (tfgrid hub list)`);
    flists[name] = found.url;
  }
  return flists;
}

export async function planDeploy(session: BotSession, spec: Spec): Promise<{ plan: Plan; candidates: Candidate[] }> {
  const { candidates, pricing } = await findCandidates(session.chain, session.explorerUrl);
  return { plan: planSpec(spec, candidates, pricing.tftPriceUsdUnits), candidates };
}

/**
 * Deploys every deployment of the spec as planned, replicas in parallel. Any failure cancels
 * every contract this call created and rethrows; on success the desired state records them.
 */
export async function deploySpec(session: BotSession, store: DesiredStore, spec: Spec, plan: Plan, onProgress: Progress = () => {}): Promise<DesiredRecord[]> {
  const names = Object.keys(spec.deployments);
  const subnets = await store.use(async (state) => {
    for (const name of names) {
      if ((await state.get(name))?.status === 'active') throw new TfgridError(BotError.EXISTS, `${name} is already deployed (tfgrid down ${name} first)`);
    }
    return state.reserveSubnets(plan.replicas.length);
  });
  const created: number[] = [];
  let replicas: Replica[];
  try {
    const flists = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await resolveFlists(session, spec.deployments[name]!)] as const)));
    replicas = await Promise.all(plan.replicas.map((planned, i) => deployReplica(session, {
      name: planned.deployment, spec: spec.deployments[planned.deployment]!, ipRange: spec.network.ip_range,
      subnet: subnetOf(spec.network.ip_range, subnets[i]!), planned, flists: flists[planned.deployment]!,
    }, created, onProgress)));
  } catch (error) {
    if (created.length > 0) {
      onProgress(`rolling back: cancelling contract(s) ${created.join(', ')}`);
      const left = await cancelContracts(session, created);
      if (left.length > 0) onProgress(`could not cancel: ${left.map((l) => `${l.id} (${l.error})`).join(', ')}; cancel them with tfgrid contract cancel`);
    }
    throw error;
  }
  const now = Date.now();
  const records = names.map((name): DesiredRecord => {
    const mine = replicas.filter((_, i) => plan.replicas[i]!.deployment === name);
    let record: DesiredRecord = { v: 1, name, status: 'active', ipRange: spec.network.ip_range, spec: spec.deployments[name]!, replicas: mine, events: [] };
    for (const r of mine) record = withEvent(record, { atMs: now, replica: r.index, kind: 'placed', toNode: r.nodeId, contractId: r.contractId, reason: 'tfgrid deploy' });
    return record;
  });
  await store.use(async (state) => {
    for (const record of records) await state.put(record);
  });
  return records;
}

/**
 * Plans and deploys; when a node refuses for a reason of its own (BOT_NODE_REFUSED: a storage-only
 * node asked for a container, capacity taken meanwhile…), plans again without it — everything the
 * failed attempt created is rolled back first — up to `attempts` times.
 */
export async function deployWithRetries(session: BotSession, store: DesiredStore, spec: Spec, hooks: { onPlan?: (plan: Plan) => void; onProgress?: Progress } = {}, attempts = 3): Promise<{ records: DesiredRecord[]; plan: Plan }> {
  const refused = new Set<number>();
  for (let attempt = 1; ; attempt++) {
    const excluded: Spec = refused.size === 0 ? spec : {
      ...spec,
      deployments: Object.fromEntries(Object.entries(spec.deployments).map(([name, d]) => [name, { ...d, placement: { ...d.placement, exclude_nodes: [...d.placement.exclude_nodes, ...refused] } }])),
    };
    const { plan } = await planDeploy(session, excluded);
    hooks.onPlan?.(plan);
    try {
      return { records: await deploySpec(session, store, excluded, plan, hooks.onProgress), plan };
    } catch (error) {
      const nodeId = isTfgridError(error, BotError.NODE_REFUSED) ? error.details?.['nodeId'] : undefined;
      if (typeof nodeId !== 'number' || attempt >= attempts) throw error;
      refused.add(nodeId);
      hooks.onProgress?.(`node ${nodeId} refused (${(error as TfgridError).detail}): planning again without it`);
    }
  }
}

/** Cancels the contracts of `name` (or of every active deployment) and records them down. */
export async function down(session: BotSession, store: DesiredStore, name: string | undefined): Promise<Array<{ name: string; cancelled: number[]; failed: Array<{ id: number; error: string }> }>> {
  return store.use(async (state) => {
    const records = name === undefined ? (await state.list()).filter((r) => r.status === 'active') : [await state.get(name)].filter((r): r is DesiredRecord => r !== undefined);
    if (name !== undefined && records.length === 0) throw new TfgridError(BotError.NOT_FOUND, `no deployment "${name}" (tfgrid ps)`);
    const results = [];
    for (const record of records) {
      const ids = record.replicas.map((r) => r.contractId).filter((id) => id > 0);
      const failed = await cancelContracts(session, ids);
      await state.put(withEvent({ ...record, status: 'down', replicas: failed.length === 0 ? [] : record.replicas }, { atMs: Date.now(), replica: -1, kind: 'removed', reason: 'tfgrid down' }));
      results.push({ name: record.name, cancelled: ids.filter((id) => !failed.some((f) => f.id === id)), failed });
    }
    return results;
  });
}

export interface ReplicaStatus {
  readonly name: string;
  readonly replica: Replica;
  /** Workload name → state, or the error reaching the node. */
  readonly workloads: Record<string, string>;
  readonly problem: string | undefined;
}

/** The desired state with what each node says now (3 s per node). */
export async function status(session: BotSession, store: DesiredStore): Promise<{ records: DesiredRecord[]; replicas: ReplicaStatus[] }> {
  const records = await store.use((state) => state.list());
  const replicas = await Promise.all(records.filter((r) => r.status === 'active').flatMap((record) => record.replicas.map(async (replica): Promise<ReplicaStatus> => {
    if (replica.nodeId === 0) return { name: record.name, replica, workloads: {}, problem: 'not placed' };
    try {
      const d = await (await session.node(replica.nodeTwin, 3_000)).call<Deployment>('zos.deployment.get', { contract_id: replica.contractId });
      const failing = d.workloads.filter((w) => w.result?.state === 'error');
      return { name: record.name, replica, workloads: Object.fromEntries(d.workloads.map((w) => [w.name, w.result?.state ?? 'init'])), problem: failing.length === 0 ? undefined : failing.map((w) => `${w.name}: ${w.result?.message ?? ''}`).join('; ') };
    } catch (error) {
      return { name: record.name, replica, workloads: {}, problem: isTfgridError(error) ? error.message : String(error) };
    }
  })));
  return { records, replicas };
}

export async function logs(session: BotSession, store: DesiredStore, name: string, container: string, options: { replica?: number; bytes?: number } = {}): Promise<string> {
  const record = await store.use((state) => state.get(name));
  if (record === undefined || record.status !== 'active') throw new TfgridError(BotError.NOT_FOUND, `no active deployment "${name}" (tfgrid ps)`);
  if (record.spec.containers[container] === undefined) throw new TfgridError(BotError.NOT_FOUND, `${name} has no container "${container}" (it has: ${Object.keys(record.spec.containers).join(', ') || 'none'})`);
  const replica = record.replicas.find((r) => r.index === (options.replica ?? 0) && r.nodeId > 0);
  if (replica === undefined) throw new TfgridError(BotError.NOT_FOUND, `${name}: replica ${options.replica ?? 0} is not placed`);
  const answer = await (await session.node(replica.nodeTwin)).call<{ logs: string }>('zos.deployment.logs', { contract_id: replica.contractId, name: container, ...(options.bytes === undefined ? {} : { bytes: options.bytes }) });
  return answer.logs;
}

export interface ContractRow extends ContractFact {
  readonly state: string;
  readonly nodeId: number | undefined;
  /** The deployment and replica holding it, or undefined when the desired state does not know it. */
  readonly deployment: string | undefined;
  /** Tagged by the bot and held by no record, whatever its age (`tfgrid bot` cancels it once older than its grace). */
  readonly orphan: boolean;
}

/** The twin's live contracts on the chain. */
export async function twinContracts(session: BotSession): Promise<Array<Omit<ContractRow, 'deployment' | 'orphan'>>> {
  const rows: Array<Omit<ContractRow, 'deployment' | 'orphan'>> = [];
  let afterId: number | undefined;
  for (;;) {
    const page = await session.chain.list('contracts', { limit: 100, filter: { twinId: session.twinId }, ...(afterId === undefined ? {} : { afterId }) });
    for (const c of page.items) rows.push({ id: c.id, kind: c.kind, state: c.state, createdMs: c.createdMs, ...(c.kind === 'node' ? { nodeId: c.nodeId, deploymentData: c.deploymentData } : { nodeId: undefined }) });
    if (page.nextAfterId === undefined) return rows;
    afterId = page.nextAfterId;
  }
}

/** The twin's contracts on the chain, each joined with the deployment that holds it. */
export async function contracts(session: BotSession, store: DesiredStore): Promise<ContractRow[]> {
  const records = await store.use((state) => state.list());
  const owner = new Map(records.flatMap((r) => r.replicas.map((replica) => [replica.contractId, `${r.name}[${replica.index}]`] as const)));
  const rows = await twinContracts(session);
  const orphans = new Set(orphanContracts(rows, records, Number.MAX_SAFE_INTEGER, 0));
  return rows.map((c) => ({ ...c, deployment: owner.get(c.id), orphan: orphans.has(c.id) }));
}
