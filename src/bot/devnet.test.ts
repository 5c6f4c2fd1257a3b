// The whole grid as a user meets it: `devnet up`, a funded twin, `tfgrid deploy examples/web.yaml`,
// the page fetched at its address, examples/kv.yaml's container talking to its zdb, the contract billed, one node process killed -9, `tfgrid bot`
// moving the site to another node where the page answers again, `tfgrid down` ending the
// contracts and the billing. Real processes throughout (chain, relay, hub, explorer, 0-db, nodes
// with runc); root only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../base/testing.ts';
import { ChainClient } from '../chain/index.ts';
import { readKeystorePublic } from '../crypto/index.ts';
import { devnetDown } from '../devnet/index.ts';
import { devnetUpOnFreePorts } from '../devnet/testing.ts';
import { findBusybox } from '../flist/index.ts';
import { sweep } from '../zos/testing.ts';
import { cliMain, json, tfgrid } from '../cli/testing.ts';

const root = process.getuid?.() === 0;
const ready = root && existsSync('/usr/sbin/runc') && findBusybox() !== undefined;
const prefix = 'tdv';

async function page(ip: string): Promise<string> {
  try {
    return await (await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(2000) })).text();
  } catch {
    return '';
  }
}


test('devnet → deploy → billed → node killed → healed by the bot → down', { skip: ready ? false : 'needs root, runc (Debian runc) and busybox-static' }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'tfgrid-e2e-'));
  const dir = join(home, 'devnet');
  let bot: ReturnType<typeof spawn> | undefined;
  try {
    assert.equal(tfgrid(home, ['identity', 'new']).status, 0);
    // 203.0.113.0/24: not the default devnet's range, so both can run on one machine.
    const state = await devnetUpOnFreePorts({ dir, userHome: home, nodes: 2, nodePrefix: prefix, publicSubnet: '203.0.113.0/24' });
    const env = { TFGRID_CHAIN: state.chain, TFGRID_HUB: state.hub, TFGRID_RELAY: state.relay, TFGRID_EXPLORER: state.explorer!, TFGRID_BCDB_ZDB: state.zdb! };
    const run = (...args: string[]) => tfgrid(home, args, { env });
    assert.equal(run('twin', 'create', '--relay', state.relay.replace('ws://', '')).status, 0);
    const me = (await readKeystorePublic(join(home, 'identities', 'default.json'))).publicKey;
    const chain = new ChainClient({ url: state.chain });
    const deployed = run('deploy', join(import.meta.dirname, '..', '..', 'examples', 'web.yaml'));
    assert.equal(deployed.status, 0, deployed.stderr);
    type Ps = { replicas: Array<{ replica: { nodeId: number; contractId: number; ips: Record<string, string>; publicIps: Record<string, string> }; workloads: Record<string, string> }> };
    const placed = () => json<Ps>(run('ps', '--json')).replicas[0]!.replica;
    const first = placed();
    assert.match(await page(first.ips['httpd']!), /Hello from a tfgrid workload/);
    // Its public IP: reserved from the farm by the contract, attached on the node's public bridge.
    const reserved = await chain.contract(first.contractId);
    assert.ok(reserved?.kind === 'node');
    assert.deepEqual(reserved.publicIpList.map((ip) => ip.split('/')[0]), [first.publicIps['httpd']]);
    assert.match(first.publicIps['httpd']!, /^203\.0\.113\./);
    assert.match(await page(first.publicIps['httpd']!), /Hello from a tfgrid workload/);
    // The kv example: its container finds the deployment's zdb (ZDB_STORE_*), writes a key, reads it back.
    const kv = run('deploy', join(import.meta.dirname, '..', '..', 'examples', 'kv.yaml'));
    assert.equal(kv.status, 0, kv.stderr);
    const said = await waitFor('the kv client\'s reply from its zdb', () => {
      const logs = run('logs', 'kv', 'client').stdout;
      return /hello-from-kv/.test(logs) ? logs : undefined;
    }, { timeoutMs: 20_000 });
    assert.match(said, /\+OK\n\$8\ngreeting\n\$13\nhello-from-kv/);
    assert.equal(run('down', 'kv').status, 0);
    // Billing: the devnet bills every 10 s; the user's balance goes down.
    const before = BigInt((await chain.account(me))!.balance);
    await waitFor('a bill', async () => (BigInt((await chain.account(me))!.balance) < before ? true : undefined), { timeoutMs: 30_000 });
    // Kill -9 the node serving the page; the bot moves the site.
    bot = spawn(process.execPath, [cliMain, 'bot'], { env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: home, TFGRID_PASSPHRASE: 'test-pass', ...env }, stdio: 'ignore' });
    const nodeNames = state.components.filter((c) => c.name.startsWith('node'));
    const nodeOf = async (name: string) => (await chain.nodeByTwin((await chain.twinByAccount((await readKeystorePublic(join(dir, 'home', 'identities', `${name}.json`))).publicKey))!.id))!.id;
    const victim = (await Promise.all(nodeNames.map(async (c) => ((await nodeOf(c.name)) === first.nodeId ? c : undefined)))).find((c) => c !== undefined)!;
    process.kill(victim.pid, 'SIGKILL');
    const moved = await waitFor('the site on another node', async () => {
      const now = placed();
      return now.nodeId !== first.nodeId && /Hello/.test(await page(now.ips['httpd']!)) && /Hello/.test(await page(now.publicIps['httpd']!)) ? now : undefined;
    }, { timeoutMs: 45_000 });
    assert.notEqual(moved.contractId, first.contractId);
    assert.equal((await chain.contract(first.contractId))?.state ?? 'Deleted', 'Deleted', 'the old contract was cancelled');
    // Down: contracts cancelled, billing stops.
    bot.kill('SIGTERM');
    assert.equal(run('down').status, 0);
    assert.equal((await chain.contract(moved.contractId))?.state ?? 'Deleted', 'Deleted');
  } finally {
    bot?.kill('SIGKILL');
    await devnetDown(dir);
    for (const i of [1, 2]) await sweep(`${prefix}${i}`, join(dir, 'nodes', `node${i}`));
    rmSync(home, { recursive: true, force: true });
  }
});
