// A node that refuses for a reason of its own (here a storage-only node asked for a container):
// the deploy rolls that attempt back, plans again without the node, and lands on another.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { missingSystem } from '../zos/index.ts';
import { deployWithRetries, down, parseSpec } from './index.ts';
import { page, startBotGrid, until, webSpec, type BotGrid } from './testing.ts';

const missing = missingSystem();
const skip = missing === undefined ? false : `needs root and system packages: ${missing}`;
let grid: BotGrid;

before(async () => {
  if (skip === false) grid = await startBotGrid('d5', 2, { storageOnly: [0] });
});

after(async () => {
  await grid?.stop();
});

test('a node refusal (storage-only node, container asked) is planned around, not a failed deploy', { skip }, async () => {
  const session = await grid.session();
  const store = grid.store(session);
  const notes: string[] = [];
  const plans: number[][] = [];
  const { records } = await deployWithRetries(session, store, parseSpec(webSpec(grid), 'web.yaml'), { onPlan: (plan) => plans.push(plan.replicas.map((r) => r.nodeId)), onProgress: (text) => notes.push(text) });
  const placed = records[0]!.replicas[0]!;
  assert.equal(placed.nodeId, grid.nodes[1]!.nodeId);
  assert.deepEqual(plans, [[grid.nodes[0]!.nodeId], [grid.nodes[1]!.nodeId]], 'first the storage-only node (lowest id), then the other');
  assert.ok(notes.some((n) => /refused \(.*ZOS_UNSUPPORTED/.test(n)), notes.join('\n'));
  assert.ok(notes.some((n) => n.startsWith('rolling back')), 'the refused attempt was rolled back');
  await until('the page', () => page(placed.ips['httpd']!));
  await down(session, store, 'web');
  await session.close();
});
