// End to end over real processes and sockets: `tfgrid chain` is spawned on a free port and driven
// with the typed client through a grid's life (twins, farm, node, uptime, contracts, transfer,
// cancel), checking inclusion, state reads and the WebSocket event feed; then restarted to check
// the state survives; restarted with another sequencer key, it refuses to start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../../crypto/index.ts';
import { ChainClient, type Included } from '../client.ts';
import type { Block, ChainEvent } from '../core/seam.ts';
import { failingChainProcess, startChainProcess, type ChainProcess } from './process-testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-chain-e2e-'));
const user = Identity.fromSeed('a1'.repeat(32));
const farmer = Identity.fromSeed('a2'.repeat(32));
const nodeKey = Identity.fromSeed('a3'.repeat(32));
let chain: ChainProcess | undefined;
test.after(async () => {
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function ok(inclusion: Included): Included {
  assert.equal(inclusion.status, 'included');
  assert.deepEqual(inclusion.result, { ok: true }, JSON.stringify(inclusion.result));
  return inclusion;
}

test('a grid life cycle through the client against a real chain process', async () => {
  const dataDir = join(dir, 'data');
  const fund = [user, farmer, nodeKey].flatMap((id) => ['--fund', id.publicKeyHex]);
  chain = await startChainProcess({ home: join(dir, 'home'), dataDir, args: ['--block-interval', '50', ...fund] });
  const events: ChainEvent[] = [];
  const heights: number[] = [];
  // The generated devnet genesis pins the key this run signs with; the reader checks every block by it.
  const genesis = JSON.parse(readFileSync(join(dataDir, 'genesis.json'), 'utf8')) as { sequencer: string };
  assert.equal(genesis.sequencer, chain.ready.sequencer);
  const reader = new ChainClient({ url: chain.url, sequencer: chain.ready.sequencer });
  const feed = reader.subscribe((block: Block) => {
    heights.push(block.height);
    events.push(...block.events);
  });
  test.after(() => feed.close()); // a failing assertion must not leave the feed reconnecting
  const alice = new ChainClient({ url: chain.url, identity: user });
  const bob = new ChainClient({ url: chain.url, identity: farmer });
  const zos = new ChainClient({ url: chain.url, identity: nodeKey });
  const wait = { wait: true, timeoutMs: 10_000 } as const;

  const twins = await Promise.all([alice, bob, zos].map((c) => c.createTwin({ encryptionKey: c.identity!.encryptionPublicKeyHex, relays: ['relay.example.org'] }, wait)));
  twins.forEach((t) => ok(t as Included));
  const aliceTwin = (await alice.twinByAccount(user.publicKeyHex))!;
  assert.deepEqual(aliceTwin.relays, ['relay.example.org']);
  ok((await bob.createFarm({ name: 'farm-e2e' }, wait)) as Included);
  const farm = (await reader.farmByName('farm-e2e'))!;
  ok((await bob.addFarmIp({ farmId: farm.id, ip: '185.69.166.10/24', gateway: '185.69.166.1' }, wait)) as Included);
  const resources = { cru: 8, mru: 32 * 2 ** 30, sru: 512 * 2 ** 30, hru: 2 * 2 ** 40 };
  ok((await zos.createNode({ farmId: farm.id, resources, location: { country: 'BE', city: 'Ghent', latitude: 51.05, longitude: 3.72 } }, wait)) as Included);
  const node = (await reader.nodeByTwin((await reader.twinByAccount(nodeKey.publicKeyHex))!.id))!;
  ok((await zos.reportUptime(3600, wait)) as Included);

  // Several transactions from one client without waiting: nonces are assigned locally, in order.
  const deploymentHash = 'd0'.repeat(32);
  const sent = await Promise.all([
    alice.createNodeContract({ nodeId: node.id, deploymentHash, deploymentData: '{"name":"vm1"}', publicIps: 1 }),
    alice.createNameContract('alice-web'),
    alice.transfer(farmer.publicKeyHex, 25n * 10_000_000n),
  ]);
  const included = await Promise.all(sent.map((s) => alice.waitForInclusion(s.hash, 10_000)));
  included.forEach(ok);
  const contract = (await reader.contractByNodeHash(node.id, deploymentHash))!;
  assert.equal(contract.state, 'Created');
  assert.equal((await reader.contractByNodeHash(node.id, 'ee'.repeat(32))), undefined);
  const page = await reader.list('contracts', { filter: { twinId: aliceTwin.id } });
  assert.equal(page.items.length, 2);

  // Bad input is refused before inclusion, with the server's code.
  await assert.rejects(alice.createNameContract('alice-web'), { code: 'CHAIN_DUPLICATE_NAME' });
  await assert.rejects(alice.transfer(farmer.publicKeyHex, 10n ** 25n), { code: 'CHAIN_INSUFFICIENT_FUNDS' });
  await assert.rejects(bob.createFarm({ name: 'farm-e2e' }), { code: 'CHAIN_DUPLICATE_NAME' });
  // A stale nonce (another client with the same key went first) is resynced automatically.
  const other = new ChainClient({ url: chain.url, identity: user });
  ok((await other.transfer(farmer.publicKeyHex, 1n, wait)) as Included);
  ok((await alice.cancelContract(contract.id, wait)) as Included);
  assert.ok([undefined, 'Deleted'].includes((await reader.contract(contract.id))?.state), 'a canceled contract is deleted');

  const latest = (await reader.latestBlock())!;
  for (let i = 0; i < 200 && heights.at(-1) !== latest.height; i++) await new Promise((r) => setTimeout(r, 10));
  feed.close();
  assert.deepEqual(heights, Array.from({ length: heights.length }, (_, i) => heights[0]! + i), 'no block missed or repeated');
  for (const type of ['TwinCreated', 'FarmCreated', 'NodeCreated', 'ContractCreated', 'Transfer', 'NodeUptimeReported']) {
    assert.ok(events.some((e) => e.type === type), `event ${type} seen on the feed`);
  }

  // Restart: the same state root and balances come back from the log.
  const before = { health: await reader.health(), balance: await reader.balance(user.publicKeyHex) };
  const root = (await reader.latestBlock())!.stateRoot;
  await chain.stop();
  chain = await startChainProcess({ home: join(dir, 'home'), dataDir, args: ['--block-interval', '50'] });
  assert.equal(chain.ready.height, before.health.height);
  assert.equal(chain.ready.stateRoot, root);
  assert.equal(await new ChainClient({ url: chain.url }).balance(user.publicKeyHex), before.balance);
});

test('restarted with another sequencer key than the genesis names, the chain refuses to start', async () => {
  // Method: after the life cycle above, replace <data>/sequencer-seed with another key and start again.
  const dataDir = join(dir, 'data');
  const pinned = chain!.ready.sequencer;
  await chain!.stop();
  chain = undefined;
  const other = Identity.fromSeed('a4'.repeat(32));
  writeFileSync(join(dataDir, 'sequencer-seed'), other.seedHex + '\n', { mode: 0o600 });
  const failed = await failingChainProcess({ home: join(dir, 'home'), dataDir, args: ['--block-interval', '50'] });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /CHAIN_WRONG_SEQUENCER/);
  assert.ok(failed.stderr.includes(pinned) && failed.stderr.includes(other.publicKeyHex), `both keys named: ${failed.stderr}`);
});
