// Planning: every replica of every deployment in a spec gets a node, in name order, each pick
// taking its resources off the node's free capacity so later picks see what is left. Pure: the
// same candidates give the same plan. Healing plans one replica the same way, away from the
// nodes it must avoid.
import { TfgridError } from '../../base/index.ts';
import type { Resources } from '../../chain/index.ts';
import { BotError } from '../errors.ts';
import { describeRejections, pickSpread, rank, requirementOf, type Candidate } from './rank.ts';
import type { DeploymentSpec, Spec } from './spec.ts';

export interface PlannedReplica {
  readonly deployment: string;
  readonly replica: number;
  readonly nodeId: number;
  readonly nodeTwin: number;
  readonly farmId: number;
  readonly costTftUnits: bigint;
}

export interface Plan {
  readonly replicas: PlannedReplica[];
  readonly monthlyTftUnits: bigint;
}

const minus = (a: Resources, b: Resources): Resources => ({ cru: a.cru - b.cru, mru: a.mru - b.mru, sru: a.sru - b.sru, hru: a.hru - b.hru });

/** Takes a replica's resources off a node: disk from whichever kind the node has more of free. */
function consume(c: Candidate, need: Resources): Candidate {
  const disk = c.free.sru >= c.free.hru ? { ...need, hru: 0 } : { ...need, sru: 0, hru: need.sru };
  return { ...c, free: minus(c.free, disk) };
}

export function planSpec(spec: Spec, candidates: readonly Candidate[], tftPriceUsdUnits: number): Plan {
  let pool = [...candidates];
  const replicas: PlannedReplica[] = [];
  for (const name of Object.keys(spec.deployments).sort()) {
    const d = spec.deployments[name]!;
    const picked = planReplicas(name, d, pool, tftPriceUsdUnits, { indexes: range(d.replicas), avoid: [], taken: { nodes: [], farms: [] } });
    const need = requirementOf(d);
    for (const p of picked) {
      // Public IPs are the farm's: every node of the farm sees fewer left.
      pool = pool.map((c) => (c.nodeId === p.nodeId ? consume(c, need.resources) : c)).map((c) => (c.farmId === p.farmId ? { ...c, freePublicIps: c.freePublicIps - need.publicIps } : c));
    }
    replicas.push(...picked);
  }
  return { replicas, monthlyTftUnits: replicas.reduce((sum, r) => sum + r.costTftUnits, 0n) };
}

/**
 * Nodes for the replicas `indexes` of deployment `name`: BOT_NO_CAPACITY, saying what ruled the
 * nodes out, when there are not enough. `avoid` are nodes not to use (failed ones); `taken` are
 * the nodes and farms the deployment's other replicas hold.
 */
export function planReplicas(name: string, d: DeploymentSpec, candidates: readonly Candidate[], tftPriceUsdUnits: number, options: { indexes: readonly number[]; avoid: readonly number[]; taken: { nodes: readonly number[]; farms: readonly number[] } }): PlannedReplica[] {
  const need = requirementOf(d);
  const placement = { ...d.placement, exclude_nodes: [...d.placement.exclude_nodes, ...options.avoid] };
  const { ranked, rejected } = rank(candidates, need, placement, tftPriceUsdUnits);
  const picked = pickSpread(ranked, options.indexes.length, d.placement.spread, options.taken, need.publicIps);
  if (picked.length < options.indexes.length) {
    const spread = d.placement.spread === 'farms' ? ' in distinct farms' : ' on distinct nodes';
    throw new TfgridError(BotError.NO_CAPACITY, `${name}: ${options.indexes.length} replica(s) need ${options.indexes.length} node(s)${spread}, ${picked.length} fit (${ranked.length} eligible; ${describeRejections(rejected)})`);
  }
  return picked.map((r, i) => ({ deployment: name, replica: options.indexes[i]!, nodeId: r.candidate.nodeId, nodeTwin: r.candidate.twinId, farmId: r.candidate.farmId, costTftUnits: r.costTftUnits }));
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
