// Placement: the policy's worst case by hand, free space and availability respected, and the
// searched family against exhaustive search on every small configuration (random ones are seeded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng, rejectionCode, seedFromEnv } from '../base/testing.ts';
import { place, worstCaseLoss, type PlacementBackend, type PlacementPolicy } from './placement.ts';

const groupsOf = (sizes: readonly number[], free = Infinity): PlacementBackend[][] =>
  sizes.map((size, g) => Array.from({ length: size }, (_, i) => ({ id: `g${g}b${i}`, available: true, freeBytes: free })));

function countsOf(groups: readonly (readonly PlacementBackend[])[], ids: readonly string[]): number[] {
  return groups.map((g) => g.filter((b) => ids.includes(b.id)).length);
}

/** Every count vector within the capacities: is any of them good enough? */
function exhaustiveFeasible(caps: readonly number[], total: number, policy: PlacementPolicy): boolean {
  const recurse = (g: number, left: number, counts: number[]): boolean => {
    if (g === caps.length) return left === 0 && worstCaseLoss(counts, policy) <= policy.parityShards;
    for (let c = 0; c <= Math.min(caps[g]!, left); c++) if (recurse(g + 1, left - c, [...counts, c])) return true;
    return false;
  };
  return recurse(0, total, []);
}

test('worst case: whole groups first, then redundantNodes in every other group', () => {
  const policy = { dataShards: 4, parityShards: 2, redundantGroups: 1, redundantNodes: 1 };
  assert.equal(worstCaseLoss([2, 2, 2], policy), 2 + 1 + 1);
  assert.equal(worstCaseLoss([3, 1, 0], { ...policy, redundantNodes: 0 }), 3);
  assert.equal(worstCaseLoss([4, 0, 0], { ...policy, redundantGroups: 0, redundantNodes: 2 }), 2);
});

test('spreads over groups to survive a lost group; concentrates to survive lost nodes per group', () => {
  const spread = place({ groups: groupsOf([4, 4, 4]), policy: { dataShards: 4, parityShards: 2, redundantGroups: 1, redundantNodes: 0 }, shardCount: 6, shardBytes: 1 });
  assert.deepEqual(countsOf(groupsOf([4, 4, 4]), spread), [2, 2, 2]);
  const dense = place({ groups: groupsOf([4, 4, 4]), policy: { dataShards: 2, parityShards: 2, redundantGroups: 0, redundantNodes: 2 }, shardCount: 4, shardBytes: 1 });
  assert.deepEqual(countsOf(groupsOf([4, 4, 4]), dense).sort(), [0, 0, 4]);
  assert.equal(new Set(spread).size, 6, 'distinct backends');
});

test('free space, unavailable backends and fixed shards are respected', async () => {
  const groups = groupsOf([3, 3]).map((g, gi) => g.map((b, i) => ({ ...b, freeBytes: gi === 0 && i === 0 ? 10 : 1000, available: !(gi === 1 && i === 2) })));
  const policy = { dataShards: 2, parityShards: 2, redundantGroups: 0, redundantNodes: 0 };
  const ids = place({ groups, policy, shardCount: 4, shardBytes: 100 });
  assert.deepEqual(ids.sort(), ['g0b1', 'g0b2', 'g1b0', 'g1b1']);
  const more = place({ groups, policy, shardCount: 1, shardBytes: 100, fixed: ['g0b1', 'g1b0', 'g1b1'] });
  assert.deepEqual(more, ['g0b2']);
  assert.equal(await rejectionCode(Promise.resolve().then(() => place({ groups, policy, shardCount: 5, shardBytes: 100 }))), 'ZSTOR_PLACEMENT_IMPOSSIBLE');
});

test('the searched family finds a placement whenever exhaustive search does (small configs)', () => {
  const seed = seedFromEnv();
  const random = prng(seed);
  for (let round = 0; round < 3000; round++) {
    const caps = Array.from({ length: 1 + Math.floor(random() * 4) }, () => Math.floor(random() * 5));
    const dataShards = 1 + Math.floor(random() * 4);
    const parityShards = 1 + Math.floor(random() * 4);
    const policy = { dataShards, parityShards, redundantGroups: Math.floor(random() * 3), redundantNodes: Math.floor(random() * 3) };
    const total = dataShards + parityShards;
    const expected = exhaustiveFeasible(caps, total, policy);
    const groups = groupsOf(caps);
    let ids: string[] | null;
    try {
      ids = place({ groups, policy, shardCount: total, shardBytes: 1 });
    } catch {
      ids = null;
    }
    assert.equal(ids !== null, expected, `SEED=${seed} round ${round}: caps ${caps.join(',')} policy ${JSON.stringify(policy)}`);
    if (ids !== null) {
      assert.equal(new Set(ids).size, total);
      assert.ok(worstCaseLoss(countsOf(groups, ids), policy) <= parityShards);
    }
  }
});
