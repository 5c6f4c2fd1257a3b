// End to end over real processes and sockets: a `tfgrid chain` process holding a sample grid
// (farms, nodes in six countries, node/rent/name contracts, a canceled one, a node powered down),
// an explorer indexing it over the WebSocket feed, and its HTTP API asked over TCP. Then the
// restarts: the same index reopened resumes at its head; a chain with the same genesis but other
// blocks, and a chain with another genesis, are both detected and re-indexed from block 1. Live
// statistics go over a real relay to a peer answering as the node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { freePort, until } from '../../base/testing.ts';
import { ChainClient } from '../../chain/index.ts';
import { startChainProcess } from '../../chain/shell/process-testing.ts';
import { Identity } from '../../crypto/index.ts';
import { ChainPhonebook, connect, startRelay } from '../../rmb/index.ts';
import { ExplorerError } from '../errors.ts';
import { relayIdentity, sampleNodes, startSampleGrid, startTestChain } from '../testing.ts';
import { busStatistics, statisticsCommand } from './live-stats.ts';
import { startExplorer, type Explorer } from './server.ts';

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-explorer-'));
const dbPath = join(dir, 'index.sqlite');
const relayPort = await freePort();
const grid = await startSampleGrid(join(dir, 'a'), { relay: `127.0.0.1:${relayPort}` });
const chainClient = new ChainClient({ url: grid.chain.url });
const phonebook = new ChainPhonebook(chainClient);
const relay = await startRelay({ identity: relayIdentity, twinId: grid.relayTwinId, phonebook, port: relayPort });
const peerOf = (identity: Identity, twinId: number) => connect(identity, { twinId, relays: [`ws://127.0.0.1:${relayPort}`], chain: phonebook });
// Node 0 answers as Zero-OS would; node 1's peer answers garbage.
const nodePeer = await peerOf(grid.nodes[0]!.identity, grid.nodes[0]!.twinId);
nodePeer.handle(statisticsCommand, () => Buffer.from(JSON.stringify({ total: { cru: 8, mru: 1, sru: 2, hru: 3 }, used: { cru: 1, mru: 0, sru: 0, hru: 0 }, users: { deployments: 1, workloads: 2 } })));
const junkPeer = await peerOf(grid.nodes[1]!.identity, grid.nodes[1]!.twinId);
junkPeer.handle(statisticsCommand, () => Buffer.from('{"total":"lots"}'));
const explorerPeer = await peerOf(grid.users[0]!.identity, grid.users[0]!.twinId);
let explorer: Explorer | undefined;

test.after(async () => {
  for (const peer of [nodePeer, junkPeer, explorerPeer]) peer.close();
  phonebook.close();
  await explorer?.close();
  await relay.close();
  await grid.chain.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function get<T>(path: string, status = 200): Promise<T> {
  const response = await fetch(explorer!.url + path);
  const body = (await response.json()) as T;
  assert.equal(response.status, status, `${path}: ${JSON.stringify(body)}`);
  return body;
}
interface Page { total: number; items: Array<Record<string, unknown>> }
const ids = (page: Page, key = 'nodeId') => page.items.map((item) => item[key]);

async function startOn(chainUrl: string): Promise<Explorer> {
  explorer = await startExplorer({ chainUrl, dbPath, host: '127.0.0.1', port: 0, statistics: busStatistics(explorerPeer, { timeoutMs: 2_000 }) });
  await explorer.indexer.ready();
  await explorer.indexer.waitForHeight((await new ChainClient({ url: chainUrl }).health()).height);
  return explorer;
}

test('the API answers from the index of a real chain: stats, node filters and sorts, farms, twins, contracts, bills', async () => {
  await startOn(grid.chain.url);
  const stats = await get<{ nodes: Record<string, number>; farms: number; countries: number; twins: number; publicIps: Record<string, number>; contracts: { byKind: Record<string, number> } }>('/stats');
  assert.deepEqual(stats.nodes, { total: 9, up: 8, standby: 1, down: 0 });
  assert.equal(stats.farms, 3);
  assert.equal(stats.countries, 6);
  assert.equal(stats.twins, 15);
  assert.deepEqual(stats.publicIps, { total: 6, free: 5 });
  assert.deepEqual(stats.contracts.byKind, { name: 1, node: 3, rent: 1 });

  const node = grid.nodes.map((n) => n.id);
  assert.deepEqual(ids(await get<Page>('/nodes?status=standby')), [grid.standbyNode]);
  assert.equal((await get<Page>('/nodes?status=up,standby')).total, 9);
  assert.deepEqual(ids(await get<Page>('/nodes?country=belgium')), [node[0], node[1]]);
  assert.deepEqual(ids(await get<Page>('/nodes?city_contains=XAND')), [node[8]]);
  assert.deepEqual(ids(await get<Page>('/nodes?sort_by=total_cru&sort_order=desc&size=2')), [node[3], node[6]]);
  assert.deepEqual(ids(await get<Page>('/nodes?ipv4=true')), [node[0], node[3]]);
  assert.deepEqual(ids(await get<Page>('/nodes?rented=true')), [grid.rentedNode]);
  assert.deepEqual(ids(await get<Page>(`/nodes?farm_name=${grid.farms[1]!.name}`)), [node[3], node[4], node[5]]);
  assert.deepEqual(ids(await get<Page>('/nodes?free_mru=100000000000&free_hru=1')), [node[3], node[6]]);
  const paged = await get<Page>('/nodes?size=4&page=3');
  assert.equal(paged.total, 9);
  assert.deepEqual(ids(paged), [node[8]]);
  // Node 0's deployment was declared at 2 cores and reported at 1: used follows the report.
  const first = await get<{ usedResources: Record<string, number>; freeResources: Record<string, number>; contracts: number; status: string }>(`/nodes/${node[0]}?live=false`);
  assert.deepEqual(first.usedResources, { cru: 1, mru: 2 * 2 ** 30, sru: 20 * 2 ** 30, hru: 0 });
  assert.equal(first.freeResources['cru'], sampleNodes[0]!.resources.cru - 1);
  assert.equal(first.contracts, 1);
  // Node 1's only contract was canceled: nothing used, rentable.
  const second = await get<{ usedResources: Record<string, number>; rentable: boolean }>(`/nodes/${node[1]}?live=false`);
  assert.deepEqual(second.usedResources, { cru: 0, mru: 0, sru: 0, hru: 0 });
  assert.equal(second.rentable, true);

  const farm = await get<{ publicIps: Record<string, number>; ips: Array<{ contractId: number }> }>(`/farms/${grid.farms[1]!.id}`);
  assert.deepEqual(farm.publicIps, { total: 2, free: 1 });
  assert.deepEqual(farm.ips.map((ip) => ip.contractId), [grid.contracts.withIp, 0]);
  const twin = await get<{ farms: number[]; contracts: Record<string, number> }>(`/twins/${grid.users[0]!.twinId}`);
  assert.deepEqual(twin.contracts, { total: 4, live: 3 });
  const deleted = await get<Page>('/contracts?state=Deleted');
  assert.deepEqual(deleted.items.map((c) => [c['contractId'], c['deleteReason']]), [[grid.contracts.canceled, 'CanceledByUser']]);
  assert.deepEqual(ids(await get<Page>(`/contracts?twin_id=${grid.users[1]!.twinId}&sort_by=contract_id&sort_order=desc`), 'contractId'), [grid.contracts.name, grid.contracts.rent]);
  // Billing runs every second on this chain, in the next block: an uptime report makes one at once.
  const nodeClient = new ChainClient({ url: grid.chain.url, identity: grid.nodes[2]!.identity });
  await until(async () => {
    await nodeClient.reportUptime(7_200, { wait: true, timeoutMs: 10_000 });
    return (await get<Page>(`/contracts/${grid.contracts.deployments[0]}/bills`)).total > 0;
  }, 'a bill indexed', 15_000);
  const bills = await get<{ items: Array<{ amount: string }> }>(`/contracts/${grid.contracts.deployments[0]}/bills`);
  assert.match(bills.items[0]!.amount, /^[1-9][0-9]*$/);
});

test('bad input is a 400 naming the parameter; unknown ids are 404', async () => {
  const invalid = async (path: string, pattern: RegExp) => {
    const body = await get<{ error: { code: string; message: string } }>(path, 400);
    assert.equal(body.error.code, ExplorerError.INVALID_QUERY);
    assert.match(body.error.message, pattern);
  };
  await invalid('/nodes?free_ram=1', /unknown filter "free_ram"/);
  await invalid('/nodes?free_mru=-1', /free_mru/);
  await invalid('/nodes?status=sideways', /status/);
  await invalid('/nodes?sort_by=color', /sort_by/);
  await invalid('/nodes?size=5000', /size/);
  await invalid('/nodes?rented=yes', /rented/);
  await invalid('/farms?owner=1', /unknown filter "owner"/);
  await invalid('/contracts?state=Gone', /state/);
  await invalid('/nodes/abc', /id/);
  assert.equal((await get<{ error: { code: string } }>('/nodes/99999', 404)).error.code, ExplorerError.NOT_FOUND);
  assert.equal((await get<{ error: { code: string } }>('/contracts/99999/bills', 404)).error.code, ExplorerError.NOT_FOUND);
  const openapi = await get<{ paths: Record<string, { get: { parameters: Array<{ name: string }> } }> }>('/openapi.json');
  assert.ok(openapi.paths['/nodes']!.get.parameters.some((p) => p.name === 'free_mru'));
});

test('node detail: uptime timeline, and live statistics over the message bus when the node answers', async () => {
  const live = await get<{ statistics: { users: { workloads: number } } | null; uptime: { segments: Array<{ up: boolean }> } }>(`/nodes/${grid.nodes[0]!.id}`);
  assert.equal(live.statistics?.users.workloads, 2);
  assert.equal(live.uptime.segments.at(-1)?.up, true);
  const junk = await get<{ statistics: null; statisticsError: { code: string } }>(`/nodes/${grid.nodes[1]!.id}`);
  assert.equal(junk.statisticsError.code, ExplorerError.NODE_UNREACHABLE);
});

test('a block the index cannot write (another writer holds the database) is rolled back and retried, not a crash', async () => {
  const locker = new DatabaseSync(dbPath);
  // The indexer may be inside its own write transaction: wait for its commit.
  await until(() => {
    try {
      locker.exec('BEGIN EXCLUSIVE');
      return true;
    } catch {
      return false;
    }
  }, 'the index database locked', 10_000);
  const height = explorer!.store.head().height;
  const nodeClient = new ChainClient({ url: grid.chain.url, identity: grid.nodes[2]!.identity });
  try {
    await nodeClient.reportUptime(7_300, { wait: true, timeoutMs: 10_000 });
    await until(() => explorer!.indexer.status().error !== null, 'the failed write reported', 10_000);
    assert.equal(explorer!.store.head().height, height, 'nothing of the failed block is kept');
  } finally {
    locker.exec('ROLLBACK');
    locker.close();
  }
  await explorer!.indexer.waitForHeight(height + 1);
  assert.equal(explorer!.indexer.status().error, null);
});

test('a restart resumes at the stored head; another chain (same genesis, other blocks; or another genesis) is re-indexed', async () => {
  const before = explorer!.store.head();
  await explorer!.close();
  await startOn(grid.chain.url);
  assert.equal(explorer!.indexer.status().reindexes, 0);
  assert.ok(explorer!.store.blockHash(before.height) === before.hash);
  await explorer!.close();
  explorer = undefined;

  // Same genesis and sequencer key, fresh log: block 1 onwards differ from what was indexed.
  const forkDir = join(dir, 'fork', 'data');
  mkdirSync(forkDir, { recursive: true });
  for (const file of ['genesis.json', 'sequencer-seed']) copyFileSync(join(dir, 'a', 'data', file), join(forkDir, file));
  const fork = await startChainProcess({ home: join(dir, 'fork', 'home'), dataDir: forkDir, args: ['--block-interval', '20'] });
  try {
    const farmer = new ChainClient({ url: fork.url, identity: Identity.fromSeed((256 + 1).toString(16).padStart(64, '0')) });
    await farmer.createTwin({ encryptionKey: farmer.identity!.encryptionPublicKeyHex, relays: [] }, { wait: true, timeoutMs: 10_000 });
    await startOn(fork.url);
    assert.equal(explorer!.indexer.status().reindexes, 1);
    assert.equal((await get<{ twins: number; nodes: { total: number } }>('/stats')).nodes.total, 0);
    await explorer!.close();
    explorer = undefined;
  } finally {
    await fork.stop();
  }

  const other = await startTestChain(join(dir, 'other'), []);
  try {
    await startOn(other.url);
    assert.equal(explorer!.indexer.status().reindexes, 1);
    const health = await get<{ ok: boolean; height: number }>('/health');
    assert.equal(health.ok, true);
    assert.equal((await get<{ twins: number }>('/stats')).twins, 0);
    await explorer!.close();
    explorer = undefined;
  } finally {
    await other.stop();
  }
});
