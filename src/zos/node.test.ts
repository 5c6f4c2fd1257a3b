// The node end to end, as the issue asks: a real chain process, a relay, the node's own 0-db
// server, runc, bridges, veths and iptables. A user twin registers nothing by hand: the node
// registers itself, reports uptime, takes a zdb + volume + network + two containers (busybox
// httpd from a ready image, and a client that fetches its page across the bridge), is updated,
// restarted (the deployment comes back) and sees the contract cancelled (everything goes).
// Forged, mismatched, badly named and over-capacity deployments are refused with their codes.
// Needs root and runc/iproute2/iptables/e2fsprogs: skipped otherwise, naming the packages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rejectionCode, waitFor } from '../base/testing.ts';
import { Identity } from '../crypto/index.ts';
import { ZdbClient } from '../zdb/index.ts';
import { ZosError, deploymentHashHex, missingSystem, signDeployment, startNode, type Deployment, type ZosNode } from './index.ts';
import { leftovers, startZosGrid, sweep, ZosUser, type ZosGrid } from './testing.ts';
import { isMounted } from './shell/managers/volume.ts';

const missing = missingSystem();
const skip = missing === undefined ? false : `zos node tests need root and system packages: ${missing}`;
const prefix = `t${randomBytes(2).toString('hex').slice(0, 3)}`;
const octet = 100 + Math.floor(Math.random() * 150);
const subnet = `10.${octet}.7.0/24`;
const webIp = `10.${octet}.7.2`;

let zg: ZosGrid;
let node: ZosNode | undefined;
let user: ZosUser;
let dataDir: string;

const nodeOptions = () => ({ identity: zg.ids.node, farmId: zg.farmId, chainUrl: zg.grid.url, relays: [zg.relayUrl], dataDir, prefix, zdb: { host: '127.0.0.1' }, forwarding: false });

before(async () => {
  if (skip !== false) return;
  zg = await startZosGrid('a7');
  dataDir = join(zg.dir, 'node');
  node = await startNode(nodeOptions());
  user = await ZosUser.connect(zg, zg.ids.user, zg.userTwin, node.twinId);
});

after(async () => {
  if (skip !== false) return;
  user?.close();
  await node?.close();
  await sweep(prefix, dataDir);
  await zg?.stop();
});

const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitFor(what, fn, { timeoutMs: 30_000 });

const page = async (ip: string): Promise<string | undefined> => {
  const response = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? await response.text() : undefined;
};

function workloads(version: number, env: Record<string, string> = {}) {
  const w = (name: string, type: string, data: unknown, v = 0) => ({ version: v, name, type, data }) as Deployment['workloads'][number];
  return [
    w('vol', 'volume', { size: 16 * 2 ** 20 }),
    w('db', 'zdb', { size: 16 * 2 ** 20, mode: 'user', password: 'secret', public: false }),
    w('net', 'network', { ip_range: `10.${octet}.0.0/16`, subnet }),
    w('web', 'container', { flist: zg.images.httpd, env, compute_capacity: { cpu: 1, memory: 64 * 2 ** 20 }, mounts: [{ volume: 'vol', mountpoint: '/data' }], network: { interfaces: [{ network: 'net', ip: webIp }] } }, version),
    w('client', 'container', {
      flist: zg.images.busybox, entrypoint: `/bin/sh -c wget\${IFS}-qO-\${IFS}http://${webIp}/;sleep\${IFS}3600`,
      compute_capacity: { cpu: 1, memory: 32 * 2 ** 20 }, network: { interfaces: [{ network: 'net', ip: `10.${octet}.7.3` }] },
    }),
  ];
}

test('a node registers, deploys, updates, restarts and tears down on cancellation', { skip }, async () => {
  const chainNode = (await user.chain.nodeByTwin(node!.twinId))!;
  assert.equal(chainNode.farmId, zg.farmId);
  assert.ok(chainNode.resources.cru >= 1 && chainNode.resources.mru > 0 && chainNode.resources.sru + chainNode.resources.hru > 0);

  // Deploy: accepted at once, installed in order, every result ok.
  const d0 = await user.contract(node!.nodeId, user.build({ version: 0, workloads: workloads(0) }));
  const accepted = await user.call<{ contract_id: number }>('zos.deployment.deploy', d0);
  assert.equal(accepted.contract_id, d0.contract_id);
  const got = await user.settled(d0.contract_id, 0);
  assert.deepEqual(got.workloads.map((w) => [w.name, w.result?.state, w.result?.message]), [['vol', 'ok', ''], ['db', 'ok', ''], ['net', 'ok', ''], ['web', 'ok', ''], ['client', 'ok', '']]);

  // The container serves its page at its private address, and the other container reaches it.
  assert.match((await until('web page', () => page(webIp))), /Hello from a tfgrid workload/);
  await until('client logs', async () => {
    const { logs } = await user.call<{ logs: string }>('zos.deployment.logs', { contract_id: d0.contract_id, name: 'client' });
    return logs.includes('Hello from a tfgrid workload') ? true : undefined;
  });

  // zdb: a namespace on the node's 0-db with the password; volume: mounted, quota enforced.
  const db = got.workloads.find((w) => w.name === 'db')!.result!.data as { namespace: string; port: number };
  const client = await ZdbClient.connect({ host: '127.0.0.1', port: db.port }, { timeoutMs: 5_000, reconnect: false, namespace: db.namespace, password: 'secret' });
  await client.set(Buffer.from('k'), Buffer.from('v'));
  assert.equal((await client.get(Buffer.from('k')))?.toString(), 'v');
  await client.close();
  const volumeDir = join(dataDir, 'volumes', `${prefix}-${d0.contract_id}-vol`);
  assert.ok(isMounted(volumeDir));
  assert.throws(() => writeFileSync(join(volumeDir, 'big'), Buffer.alloc(20 * 2 ** 20)), /ENOSPC/);

  // Statistics count the deployment; the chain gets its used resources for billing.
  const stats = await user.call<{ used: { mru: number } }>('zos.statistics.get', {});
  assert.equal(stats.used.mru, 96 * 2 ** 20);
  await until('resources reported', async () => ((await user.chain.contract(d0.contract_id)) as { resources: { mru: number } }).resources.mru === 96 * 2 ** 20 ? true : undefined);

  // Update: only `web` changes (new env, version 1); the client keeps its result.
  const d1 = { ...user.build({ version: 1, workloads: workloads(1, { GREETING: 'hi' }) }), contract_id: d0.contract_id };
  await user.chain.updateNodeContract({ contractId: d0.contract_id, deploymentHash: deploymentHashHex(d1) }, { wait: true });
  await user.call('zos.deployment.update', d1);
  const updated = await user.settled(d0.contract_id, 1);
  assert.deepEqual(updated.workloads.map((w) => w.result?.state), ['ok', 'ok', 'ok', 'ok', 'ok']);
  assert.equal(updated.workloads.find((w) => w.name === 'client')!.result!.created, got.workloads.find((w) => w.name === 'client')!.result!.created);
  const changes = await user.call<Array<{ name: string; state: string; version: number }>>('zos.deployment.changes', { contract_id: d0.contract_id });
  assert.deepEqual(changes.filter((c) => c.name === 'web').map((c) => `${c.state}@${c.version}`), ['init@0', 'ok@0', 'deleted@0', 'init@1', 'ok@1']);
  await until('web page after update', () => page(webIp));

  // Restart: the node stops its containers; started again, it re-applies the deployment.
  await node!.close();
  node = undefined;
  assert.deepEqual((await leftovers(prefix)).filter((x) => x.startsWith('container')), []);
  node = await startNode(nodeOptions());
  await until('web page after restart', () => page(webIp));
  assert.equal((await user.settled(d0.contract_id, 1)).workloads.every((w) => w.result?.state === 'ok'), true);

  // Uptime was reported (the first report carries 0 s, later ones more).
  await until('uptime', async () => ((await user.chain.node(node!.nodeId))!.uptimeSec > 0 ? true : undefined));

  // Cancelling the contract on the chain removes everything.
  await user.chain.cancelContract(d0.contract_id, { wait: true });
  await until('teardown', async () => ((await rejectionCode(user.call('zos.deployment.get', { contract_id: d0.contract_id }))) === ZosError.NOT_FOUND ? true : undefined));
  assert.deepEqual(await leftovers(prefix), []);
  assert.equal(isMounted(volumeDir), false);
  assert.equal(existsSync(join(dataDir, 'deployments', `${d0.contract_id}.json`)), false);
});

test('forged, mismatched, invalid and over-capacity deployments are refused and install nothing', { skip }, async () => {
  const small = () => [{ version: 0, name: 'v', type: 'volume' as const, data: { size: 16 * 2 ** 20 } }];
  const good = await user.contract(node!.nodeId, user.build({ version: 0, workloads: small(), description: 'refusals' }));
  // Signed by another key than the twin's.
  const forged = signDeployment({ ...good, signature_requirement: { ...good.signature_requirement, signatures: [] } }, Identity.fromSeed('99'.repeat(32)), user.twinId);
  assert.equal(await rejectionCode(user.call('zos.deployment.deploy', forged)), ZosError.BAD_SIGNATURE);
  // Content that is not what the contract holds.
  const changed = { ...good, workloads: [{ ...good.workloads[0]!, data: { size: 32 * 2 ** 20 } }] };
  assert.equal(await rejectionCode(user.call('zos.deployment.deploy', changed)), ZosError.HASH_MISMATCH);
  // Another twin sending the user's deployment.
  const farmer = await ZosUser.connect(zg, zg.ids.farmer, zg.farmerTwin, node!.twinId);
  assert.equal(await rejectionCode(farmer.call('zos.deployment.deploy', good)), ZosError.UNAUTHORIZED);
  assert.equal(await rejectionCode(user.call('zos.admin.deployments', {})), ZosError.UNAUTHORIZED);
  assert.ok(Array.isArray(await farmer.call('zos.admin.deployments', {})));
  farmer.close();
  // A bad name, and more memory than the node has: each with its contract, each refused.
  const badName = await user.contract(node!.nodeId, user.build({ version: 0, workloads: [{ ...small()[0]!, name: 'no-dashes' }] }));
  assert.equal(await rejectionCode(user.call('zos.deployment.deploy', badName)), ZosError.INVALID_NAME);
  const stats = await user.call<{ total: { mru: number } }>('zos.statistics.get', {});
  const huge = await user.contract(node!.nodeId, user.build({ version: 0, workloads: [{ version: 0, name: 'c', type: 'container', data: { flist: zg.images.httpd, compute_capacity: { cpu: 1, memory: stats.total.mru } } }] }));
  assert.equal(await rejectionCode(user.call('zos.deployment.deploy', huge)), ZosError.OVER_CAPACITY);
  const listed = await user.call<Deployment[]>('zos.deployment.list', {});
  assert.deepEqual(listed.filter((d) => [good, badName, huge].some((r) => r.contract_id === d.contract_id)), []);
  // A container that exits at once: an error in its result, nothing left of it.
  const dies = await user.contract(node!.nodeId, user.build({ version: 0, workloads: [{ version: 0, name: 'c', type: 'container', data: { flist: zg.images.busybox, entrypoint: '/bin/false', compute_capacity: { cpu: 1, memory: 32 * 2 ** 20 } } }] }));
  await user.call('zos.deployment.deploy', dies);
  const failed = await user.settled(dies.contract_id, 0);
  assert.equal(failed.workloads[0]!.result?.state, 'error');
  assert.match(failed.workloads[0]!.result.message, /^ZOS_CONTAINER_EXITED: /);
  assert.deepEqual((await leftovers(prefix)).filter((x) => x.includes(`${prefix}-${dies.contract_id}-`)), []);
  await user.chain.cancelContract(dies.contract_id, { wait: true });
});
