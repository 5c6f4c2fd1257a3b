// zos benchmark: time from the `zos.deployment.deploy` call to the container running (its result
// ok: runc started it and it survived the 200 ms start grace), over many deploys of a network +
// busybox httpd container from a warm flist cache; then teardown time from the contract's
// cancellation being in a block to the node answering ZOS_NOT_FOUND. A real chain process, relay,
// node (root, runc). Goal: p50 ≤ 1 s. Run: npm run bench:zos -- [--deploys 20]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { isTfgridError } from '../../src/base/index.ts';
import { missingSystem, startNode, type Deployment } from '../../src/zos/index.ts';
import { startZosGrid, sweep, ZosUser } from '../../src/zos/testing.ts';
import { machineLine, printTable } from '../lib/measure.ts';

const { values } = parseArgs({ options: { deploys: { type: 'string', default: '20' }, grace: { type: 'string', default: '200' } } });
const deploys = Number(values.deploys);
const missing = missingSystem();
if (missing !== undefined) {
  console.log(`bench:zos skipped: ${missing}`);
  process.exit(0);
}

const prefix = `b${randomBytes(1).toString('hex')}`;
const zg = await startZosGrid('b5');
const dataDir = join(zg.dir, 'node');
const node = await startNode({ identity: zg.ids.node, farmId: zg.farmId, chainUrl: zg.grid.url, relays: [zg.relayUrl], dataDir, prefix, zdb: { host: '127.0.0.1' }, forwarding: false, startGraceMs: Number(values.grace) });
const user = await ZosUser.connect(zg, zg.ids.user, zg.userTwin, node.twinId);
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function until(fn: () => Promise<boolean>): Promise<void> {
  while (!(await fn())) await new Promise((resolve) => setTimeout(resolve, 5));
}

try {
  const deployMs: number[] = [];
  const contracts: number[] = [];
  for (let i = 0; i <= deploys; i++) {
    const d = await user.contract(node.nodeId, user.build({
      version: 0, description: `bench ${i}`,
      workloads: [
        { version: 0, name: 'net', type: 'network', data: { ip_range: '10.250.0.0/16', subnet: `10.250.${i}.0/24` } },
        { version: 0, name: 'web', type: 'container', data: { flist: zg.images.httpd, compute_capacity: { cpu: 1, memory: 32 * 2 ** 20 }, network: { interfaces: [{ network: 'net', ip: `10.250.${i}.2` }] } } },
      ],
    }));
    const started = performance.now();
    await user.call('zos.deployment.deploy', d);
    await until(async () => (await user.call<Deployment>('zos.deployment.get', { contract_id: d.contract_id })).workloads.every((w) => w.result?.state === 'ok'));
    // The first deploy warms the block cache (and the chain/relay paths): not counted.
    if (i > 0) deployMs.push(performance.now() - started);
    contracts.push(d.contract_id);
  }
  const teardownMs: number[] = [];
  for (const id of contracts) {
    await user.chain.cancelContract(id, { wait: true });
    const started = performance.now();
    await until(() => user.call('zos.deployment.get', { contract_id: id }).then(() => false, (error: unknown) => isTfgridError(error, 'ZOS_NOT_FOUND')));
    teardownMs.push(performance.now() - started);
  }
  deployMs.sort((a, b) => a - b);
  teardownMs.sort((a, b) => a - b);
  console.log(machineLine());
  printTable(['measure', 'n', 'p50 ms', 'p99 ms', 'max ms'], [
    ['deploy call → container running (warm cache)', String(deployMs.length), pct(deployMs, 50).toFixed(0), pct(deployMs, 99).toFixed(0), deployMs.at(-1)!.toFixed(0)],
    ['cancel in a block → all removed', String(teardownMs.length), pct(teardownMs, 50).toFixed(0), pct(teardownMs, 99).toFixed(0), teardownMs.at(-1)!.toFixed(0)],
  ]);
  console.log(`goal: deploy p50 ≤ 1000 ms → ${pct(deployMs, 50) <= 1000 ? 'met' : 'not met'} (includes the ${values.grace} ms start grace)`);
} finally {
  user.close();
  await node.close();
  await sweep(prefix, dataDir);
  await zg.stop();
}
