// Where a segment's shards go. Pure: the caller passes what it knows of the backends (reachable,
// free bytes) and gets backend ids back, or ZSTOR_PLACEMENT_IMPOSSIBLE.
//
// The policy (0-stor v2's): after losing any `redundantGroups` whole groups and, in every other
// group, any `redundantNodes` backends, at least `dataShards` shards must remain. With c[g] shards
// in group g the worst case loses the largest redundantGroups counts plus min(c[g], redundantNodes)
// from every other group. 0-stor enumerates every distribution (exponential); we search one
// family instead: for T from 1 up, "at most T shards per group", filled level (emptiest group
// first) or in order (groups with more usable backends first), and keep the first that satisfies
// the policy. Small T spreads shards (what losing whole groups needs); large T with in-order
// filling concentrates them (what losing nodes in every group needs).
// placement.test.ts checks this finds a placement whenever exhaustive search does, on small cases.
import { TfgridError } from '../base/index.ts';
import { ZstorError } from './errors.ts';

export interface PlacementBackend {
  readonly id: string;
  /** Reachable and accepting writes. */
  readonly available: boolean;
  /** Infinity when the namespace has no size limit. */
  readonly freeBytes: number;
}

export interface PlacementPolicy {
  readonly dataShards: number;
  readonly parityShards: number;
  readonly redundantGroups: number;
  readonly redundantNodes: number;
}

export interface PlacementRequest {
  /** Every configured group, available or not (fixed shards may sit on unavailable backends). */
  readonly groups: readonly (readonly PlacementBackend[])[];
  readonly policy: PlacementPolicy;
  /** How many shards to place now. */
  readonly shardCount: number;
  readonly shardBytes: number;
  /** Backends already holding this segment's other shards: they count, and are not reused. */
  readonly fixed?: readonly string[];
}

/** Shards lost in the worst case the policy covers, for per-group shard counts. */
export function worstCaseLoss(counts: readonly number[], policy: PlacementPolicy): number {
  const sorted = [...counts].sort((a, b) => b - a);
  const whole = sorted.slice(0, policy.redundantGroups).reduce((a, b) => a + b, 0);
  const nodes = sorted.slice(policy.redundantGroups).reduce((a, c) => a + Math.min(c, policy.redundantNodes), 0);
  return whole + nodes;
}

export function place(request: PlacementRequest): string[] {
  const { groups, policy, shardCount, shardBytes } = request;
  const fixed = new Set(request.fixed ?? []);
  const fixedCounts = groups.map((g) => g.filter((b) => fixed.has(b.id)).length);
  // Usable backends per group, most free space first.
  const usable = groups.map((g) => g.filter((b) => b.available && !fixed.has(b.id) && b.freeBytes >= shardBytes).sort((a, b) => b.freeBytes - a.freeBytes));
  const order = groups.map((_, g) => g).sort((a, b) => usable[b]!.length + fixedCounts[b]! - (usable[a]!.length + fixedCounts[a]!));
  const total = fixedCounts.reduce((a, b) => a + b, 0) + shardCount;
  const room = (counts: readonly number[], g: number, cap: number) => Math.min(usable[g]!.length - (counts[g]! - fixedCounts[g]!), cap - counts[g]!);
  // Two fillings per cap: level (one shard at a time to the emptiest group) and in order (each
  // group up to the cap, biggest first).
  const level = (cap: number): number[] => {
    const counts = fixedCounts.slice();
    for (let left = shardCount; left > 0; left--) {
      const open = order.filter((g) => room(counts, g, cap) > 0);
      if (open.length === 0) break;
      const g = open.reduce((best, candidate) => (counts[candidate]! < counts[best]! ? candidate : best));
      counts[g]!++;
    }
    return counts;
  };
  const inOrder = (cap: number): number[] => {
    const counts = fixedCounts.slice();
    let left = shardCount;
    for (const g of order) {
      const take = Math.min(left, Math.max(0, room(counts, g, cap)));
      counts[g]! += take;
      left -= take;
    }
    return counts;
  };
  const placed = fixedCounts.reduce((a, b) => a + b, 0) + shardCount;
  for (let cap = 1; cap <= total; cap++) {
    for (const counts of [level(cap), inOrder(cap)]) {
      if (counts.reduce((a, b) => a + b, 0) !== placed || worstCaseLoss(counts, policy) > policy.parityShards) continue;
      return groups.flatMap((_, g) => usable[g]!.slice(0, counts[g]! - fixedCounts[g]!).map((b) => b.id));
    }
  }
  const usableCount = usable.reduce((a, u) => a + u.length, 0);
  throw new TfgridError(ZstorError.PLACEMENT_IMPOSSIBLE, `no placement of ${shardCount} shard(s) of ${shardBytes} B over ${usableCount} usable backend(s) in ${groups.length} group(s) survives losing ${policy.redundantGroups} group(s) and ${policy.redundantNodes} backend(s) per group with ${policy.dataShards} of ${policy.dataShards + policy.parityShards} shards needed`, {
    details: { usableBackends: usableCount, groups: groups.length },
  });
}
