// A storage-only node (what the devnet runs without root): it registers, takes a zdb workload on
// its own 0-db, and refuses volumes, networks and containers with ZOS_UNSUPPORTED before
// anything is installed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rejectionCode } from '../base/testing.ts';
import { startNode, type Deployment, type ZosNode } from './index.ts';
import { startZosGrid, ZosUser, type ZosGrid } from './testing.ts';

let zg: ZosGrid;
let node: ZosNode;
let user: ZosUser;

before(async () => {
  zg = await startZosGrid('c9');
  node = await startNode({ identity: zg.ids.node, farmId: zg.farmId, chainUrl: zg.grid.url, relays: [zg.relayUrl], dataDir: join(zg.dir, 'node'), prefix: 'so', zdb: { host: '127.0.0.1' }, storageOnly: true });
  user = await ZosUser.connect(zg, zg.ids.user, zg.userTwin, node.twinId);
});

after(async () => {
  user.close();
  await node.close();
  await zg.stop();
});

const w = (name: string, type: string, data: unknown) => ({ version: 0, name, type, data }) as Deployment['workloads'][number];

test('a storage-only node takes zdb workloads and refuses the others with ZOS_UNSUPPORTED', async () => {
  const zdbOnly = await user.contract(node.nodeId, user.build({ version: 0, workloads: [w('db', 'zdb', { size: 16 * 2 ** 20, mode: 'user', password: '', public: true })] }));
  await user.call('zos.deployment.deploy', zdbOnly);
  const settled = await user.settled(zdbOnly.contract_id, 0);
  assert.equal(settled.workloads[0]!.result?.state, 'ok', JSON.stringify(settled.workloads[0]!.result));
  const withContainer = await user.contract(node.nodeId, user.build({ version: 0, description: 'web', workloads: [w('net', 'network', { ip_range: '10.77.0.0/16', subnet: '10.77.1.0/24' })] }));
  assert.equal(await rejectionCode(user.call('zos.deployment.deploy', withContainer)), 'ZOS_UNSUPPORTED');
  assert.equal(await rejectionCode(user.call('zos.deployment.get', { contract_id: withContainer.contract_id })), 'ZOS_NOT_FOUND', 'nothing was installed');
});
