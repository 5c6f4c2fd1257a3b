// The 3Bot end to end with real processes: a chain process, a relay, three Zero-OS nodes (runc,
// bridges, iptables), a 0-db holding the user's BCDB, and `tfgrid deploy|ps|down` run as
// processes. The web example is deployed and its page fetched at the container's private
// address; the node serving it is stopped (its processes and its bus peer go); the reconciler
// moves the replica to another node, cancels the old contract and records why, and the page
// answers again; `tfgrid down` cancels the contracts. Needs root and runc/iproute2/iptables.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../base/index.ts';
import { missingSystem } from '../zos/index.ts';
import { Reconciler, type DesiredRecord } from './index.ts';
import { page, startBotGrid, tfgridAsync, until, webSpec, type BotGrid } from './testing.ts';

const missing = missingSystem();
const skip = missing === undefined ? false : `3Bot end-to-end tests need root and system packages: ${missing}`;
let grid: BotGrid;

before(async () => {
  if (skip === false) grid = await startBotGrid('b7');
});

after(async () => {
  if (skip === false) await grid?.stop();
});

test('deploy the web example, lose its node, heal elsewhere, take it down', { skip }, async () => {
  const file = join(grid.zg.dir, 'web.yaml');
  writeFileSync(file, webSpec(grid));

  const deployed = await tfgridAsync(grid.home, ['--json', 'deploy', file, ...grid.args]);
  assert.equal(deployed.status, 0, deployed.stderr);
  const [web] = (JSON.parse(deployed.stdout) as { deployments: DesiredRecord[] }).deployments;
  const first = web!.replicas[0]!;
  assert.equal(web!.name, 'web');
  assert.match((await until('the page', () => page(first.ips['httpd']!))), /Hello from a tfgrid workload/);

  const ps = await tfgridAsync(grid.home, ['--json', 'ps', ...grid.args]);
  assert.equal(ps.status, 0, ps.stderr);
  assert.deepEqual((JSON.parse(ps.stdout) as { replicas: Array<{ workloads: Record<string, string> }> }).replicas.map((r) => r.workloads), [{ net: 'ok', httpd: 'ok' }]);

  // The reconciler watches; the node serving the page stops.
  const session = await grid.session();
  const store = grid.store(session);
  const reconciler = new Reconciler(session, store, { log: createLogger({ component: 'bot', level: 'warn' }), tickMs: 300, heal: { unreachableGraceMs: 1_500, errorGraceMs: 3_000 } });
  reconciler.start();
  const index = grid.nodes.findIndex((n) => n?.nodeId === first.nodeId);
  await grid.nodes[index]!.close();
  grid.nodes[index] = undefined;

  const moved = await until('the move', async () => {
    const record = await store.use((state) => state.get('web'));
    const replica = record?.replicas[0];
    return replica !== undefined && replica.nodeId > 0 && replica.nodeId !== first.nodeId ? { record: record!, replica } : undefined;
  });
  await reconciler.stop();
  assert.match((await until('the page after the move', () => page(moved.replica.ips['httpd']!))), /Hello from a tfgrid workload/);
  assert.equal(await session.chain.contract(first.contractId), undefined);
  const event = moved.record.events.at(-1)!;
  assert.equal(event.kind, 'moved');
  assert.equal(event.fromNode, first.nodeId);
  assert.match(event.reason, new RegExp(`node ${first.nodeId} (does not answer on the message bus|stopped reporting uptime)`));

  const downed = await tfgridAsync(grid.home, ['--json', 'down', 'web', ...grid.args]);
  assert.equal(downed.status, 0, downed.stderr);
  assert.deepEqual(JSON.parse(downed.stdout), [{ name: 'web', cancelled: [moved.replica.contractId], failed: [] }]);
  assert.equal(await session.chain.contract(moved.replica.contractId), undefined);
  assert.equal((await store.use((state) => state.get('web')))?.status, 'down');
  await session.close();
});
