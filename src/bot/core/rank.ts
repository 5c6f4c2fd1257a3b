// Capacity search, the pure part: which nodes can take one replica of a deployment, and in what
// order. Up nodes only; memory and disk must fit in what is free (Zero-OS never overcommits
// them); a container may not ask for more cores than the node has (cores are overcommitted, as
// in zos). Order: cheaper first (the farm's pricing policy for this replica's units), then more
// memory headroom left, then the lower node id so equal runs give equal plans.
import type { PricingPolicy, Resources } from '../../chain/index.ts';
import type { DeploymentSpec, Placement } from './spec.ts';
import { monthlyCostTftUnits } from './cost.ts';

export interface Candidate {
  readonly nodeId: number;
  readonly twinId: number;
  readonly farmId: number;
  readonly country: string;
  readonly city: string;
  readonly certified: boolean;
  readonly up: boolean;
  readonly total: Resources;
  /** Total − system reserve − used by live contracts. */
  readonly free: Resources;
  /** Public IPs of the node's farm no contract holds. */
  readonly freePublicIps: number;
  readonly policy: PricingPolicy;
}

/** What one replica needs. */
export interface Requirement {
  readonly resources: Resources;
  /** The most cores one container asks for. */
  readonly coresMax: number;
  /** Public IPs one replica takes from its farm. */
  readonly publicIps: number;
}

export interface Ranked {
  readonly candidate: Candidate;
  readonly costTftUnits: bigint;
}

export interface Ranking {
  readonly ranked: Ranked[];
  /** Why the others were ruled out: reason → node ids. */
  readonly rejected: Record<string, number[]>;
}

export function requirementOf(spec: DeploymentSpec): Requirement {
  const containers = Object.values(spec.containers);
  const disk = [...Object.values(spec.volumes), ...Object.values(spec.zdbs)].reduce((sum, w) => sum + w.size, 0);
  return {
    resources: { cru: containers.reduce((sum, c) => sum + c.cpu, 0), mru: containers.reduce((sum, c) => sum + c.memory, 0), sru: disk, hru: 0 },
    coresMax: Math.max(0, ...containers.map((c) => c.cpu)),
    publicIps: containers.filter((c) => c.public_ip).length,
  };
}

/** The first rule `c` breaks, or undefined when it can take the replica. */
export function ruledOut(c: Candidate, need: Requirement, placement: Placement, tftPriceUsdUnits: number): string | undefined {
  if (!c.up) return 'down';
  if (placement.nodes !== undefined && !placement.nodes.includes(c.nodeId)) return 'not in placement.nodes';
  if (placement.exclude_nodes.includes(c.nodeId)) return 'excluded';
  if (placement.farms !== undefined && !placement.farms.includes(c.farmId)) return 'not in placement.farms';
  if (placement.country !== undefined && c.country.toLowerCase() !== placement.country.toLowerCase()) return 'another country';
  if (placement.city !== undefined && c.city.toLowerCase() !== placement.city.toLowerCase()) return 'another city';
  if (placement.certified && !c.certified) return 'not certified';
  if (need.coresMax > c.total.cru) return 'too few cores';
  if (need.publicIps > c.freePublicIps) return 'no free public IP in its farm';
  if (need.resources.mru > c.free.mru) return 'not enough free memory';
  // A node's disks are SSD (sru) or HDD (hru); zos puts volumes and zdbs on what it has.
  if (need.resources.sru > Math.max(c.free.sru, c.free.hru)) return 'not enough free disk';
  if (placement.max_price !== undefined && monthlyCostTftUnits(need.resources, c.policy, tftPriceUsdUnits) > BigInt(Math.round(placement.max_price * 1e7))) return 'over max_price';
  return undefined;
}

export function rank(candidates: readonly Candidate[], need: Requirement, placement: Placement, tftPriceUsdUnits: number): Ranking {
  const ranked: Ranked[] = [];
  const rejected: Record<string, number[]> = {};
  for (const c of candidates) {
    const reason = ruledOut(c, need, placement, tftPriceUsdUnits);
    if (reason === undefined) ranked.push({ candidate: c, costTftUnits: monthlyCostTftUnits(need.resources, c.policy, tftPriceUsdUnits) });
    else (rejected[reason] ??= []).push(c.nodeId);
  }
  const headroom = (r: Ranked): number => (r.candidate.free.mru - need.resources.mru) / Math.max(1, r.candidate.total.mru);
  ranked.sort((a, b) => (a.costTftUnits < b.costTftUnits ? -1 : a.costTftUnits > b.costTftUnits ? 1 : 0) || headroom(b) - headroom(a) || a.candidate.nodeId - b.candidate.nodeId);
  return { ranked, rejected };
}

/**
 * Picks `count` nodes from a ranking: never two replicas on one node; farms not used yet first
 * (with spread "farms" that is a rule, not a preference). `taken` are nodes and farms the
 * deployment's other replicas already hold. Each pick takes `publicIps` from its farm, whose
 * nodes share them.
 */
export function pickSpread(ranking: readonly Ranked[], count: number, spread: Placement['spread'], taken: { nodes: readonly number[]; farms: readonly number[] }, publicIps = 0): Ranked[] {
  const picked: Ranked[] = [];
  const nodes = new Set(taken.nodes);
  const farms = new Set(taken.farms);
  const ipsLeft = new Map<number, number>();
  const hasIps = (c: Candidate): boolean => (ipsLeft.get(c.farmId) ?? c.freePublicIps) >= publicIps;
  for (let n = 0; n < count; n++) {
    const free = ranking.filter((r) => !nodes.has(r.candidate.nodeId) && hasIps(r.candidate));
    const next = free.find((r) => !farms.has(r.candidate.farmId)) ?? (spread === 'farms' ? undefined : free[0]);
    if (next === undefined) break;
    picked.push(next);
    ipsLeft.set(next.candidate.farmId, (ipsLeft.get(next.candidate.farmId) ?? next.candidate.freePublicIps) - publicIps);
    nodes.add(next.candidate.nodeId);
    farms.add(next.candidate.farmId);
  }
  return picked;
}

export function describeRejections(rejected: Record<string, number[]>): string {
  const parts = Object.entries(rejected).map(([reason, ids]) => `${reason}: node${ids.length === 1 ? '' : 's'} ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? '…' : ''}`);
  return parts.length === 0 ? 'no nodes known' : parts.join('; ');
}
