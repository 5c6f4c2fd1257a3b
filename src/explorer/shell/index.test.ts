// The index in process, without a chain: random blocks of facts (nodes created and updated,
// node contracts created, resized by reports and updates, canceled; uptime reports; power target
// and state changes) written by IndexWriter, then after every block the stored free_* and
// powered_down columns compared with the pure rules (core/resources.ts, core/status.ts) over a
// model kept here, and /nodes lists (status and free filters, counts over the status/free index,
// sorts that walk an index or the table, pages) compared with the model filtered and sorted in
// JavaScript. SEED= replays. Also: an index of an older schema version is rebuilt on open, a
// newer one (or another database) refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { prng, seedFromEnv } from '../../base/testing.ts';
import type { Resources } from '../../chain/index.ts';
import { ExplorerError } from '../errors.ts';
import type { Fact } from '../core/facts.ts';
import { nodeOrderIndexes, nodeQuerySchema, statusFreeIndex, type NodeSortColumn } from '../core/node-query.ts';
import { freeResources } from '../core/resources.ts';
import { explorerStatuses, nodeStatus, type ExplorerStatusName } from '../core/status.ts';
import { IndexWriter } from './apply.ts';
import { NodeReader } from './read-nodes.ts';
import { indexSchemaVersion } from './schema.ts';
import { Statements } from './statements.ts';
import { IndexStore } from './store.ts';

const minute = 60_000;
const interval = 40 * minute;
const gib = 2 ** 30;
const units = ['cru', 'mru', 'sru', 'hru'] as const;

interface ModelNode { id: number; farmId: number; total: Resources; used: Record<(typeof units)[number], number>; lastUptimeMs: number; powerTarget: string; powerState: string }
interface ModelContract { id: number; nodeId: number; resources: Resources }

test('stored free_* and powered_down follow contracts, reports, uptime and power; /nodes lists agree with the rules (SEED replays)', () => {
  const seed = seedFromEnv();
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const store = IndexStore.open(':memory:');
  store.reset({ chainId: 'test', genesisHash: 'g', sequencer: 's' }, interval);
  const writer = new IndexWriter(store);
  const reader = new NodeReader(store, new Statements(store.db));
  const nodes = new Map<number, ModelNode>();
  const contracts = new Map<number, ModelContract>();
  let nowMs = 1_000 * 24 * 60 * minute;
  let nextContract = 1;
  const randomResources = (scale: number): Resources => ({ cru: Math.floor(random() * 16 * scale), mru: Math.floor(random() * 64 * scale * gib), sru: Math.floor(random() * 1000 * scale * gib), hru: random() < 0.5 ? 0 : Math.floor(random() * 4000 * scale * gib) });
  const details = { publicConfig: null, interfaces: [], secureBoot: false, virtualized: false, serial: '' };
  const location = { country: 'Belgium', city: 'Ghent', latitude: 51, longitude: 3.7 };
  const farms: Fact[] = [1, 2, 3].map((farmId) => ({ type: 'FarmCreated', farmId, name: `farm-${farmId}`, twinId: farmId, pricingPolicyId: 1 }));
  let height = 0;
  const apply = (facts: Fact[]) => {
    store.begin();
    writer.applyBlock({ height: ++height, hash: `h${height}`, timestampMs: nowMs, transactions: facts.length, facts });
    store.commit();
  };
  apply(farms);

  const check = (label: string) => {
    const bounds = reader.bounds();
    const stored = store.db.prepare('SELECT id, free_cru, free_mru, free_sru, free_hru, powered_down FROM nodes ORDER BY id').all() as Array<Record<string, number>>;
    assert.equal(stored.length, nodes.size);
    for (const row of stored) {
      const node = nodes.get(row['id']!)!;
      const free = freeResources(node.total, node.used);
      assert.deepEqual(units.map((u) => row[`free_${u}`]), units.map((u) => free[u]), `${label}: free of node ${node.id}, SEED=${seed}`);
      assert.equal(row['powered_down'], node.powerTarget === 'Down' || node.powerState === 'Down' ? 1 : 0, `${label}: powered_down of node ${node.id}, SEED=${seed}`);
    }
    // Random lists: status and free filters (covered by the status/free index) alone or with a
    // farm, sorted by keys with and without an index, pages near the start and past the end.
    for (let i = 0; i < 12; i++) {
      const raw: Record<string, string> = { size: String(pick([1, 3, 10, 50])), page: String(pick([1, 1, 2, 5])) };
      const statuses = explorerStatuses.filter(() => random() < 0.5);
      if (statuses.length > 0) raw['status'] = statuses.join(',');
      for (const unit of units) if (random() < 0.4) raw[`free_${unit}`] = String(Math.max(0, Math.floor(random() * freeResources(nodes.get(1)!.total, noUse)[unit])));
      if (random() < 0.2) raw['farm_ids'] = String(pick([1, 2, 3]));
      const sort = pick<NodeSortColumn>(['node_id', 'free_cru', 'free_mru', 'free_sru', 'free_hru', 'last_uptime', 'farm_id', 'status', 'total_mru']);
      raw['sort_by'] = sort;
      raw['sort_order'] = pick(['asc', 'desc']);
      const query = nodeQuerySchema.parse(raw);
      const key = (n: ModelNode): number => {
        if (sort === 'node_id') return n.id;
        if (sort === 'last_uptime') return n.lastUptimeMs;
        if (sort === 'farm_id') return n.farmId;
        if (sort === 'status') return explorerStatuses.indexOf(nodeStatus(n, bounds));
        if (sort === 'total_mru') return n.total.mru;
        return freeResources(n.total, n.used)[sort.slice(5) as keyof Resources];
      };
      const direction = query.sort_order === 'desc' ? -1 : 1;
      const matching = [...nodes.values()]
        .filter((n) => query.status === undefined || query.status.includes(nodeStatus(n, bounds)))
        .filter((n) => units.every((u) => query[`free_${u}`] === undefined || freeResources(n.total, n.used)[u] >= query[`free_${u}`]!))
        .filter((n) => query.farm_ids === undefined || query.farm_ids.includes(n.farmId))
        .sort((a, b) => direction * (key(a) - key(b) || a.id - b.id));
      const page = reader.list(query);
      const expected = matching.slice((query.page - 1) * query.size, query.page * query.size);
      assert.equal(page.total, matching.length, `${label}: total of ${JSON.stringify(raw)}, SEED=${seed}`);
      assert.deepEqual(page.items.map((n) => n.nodeId), expected.map((n) => n.id), `${label}: items of ${JSON.stringify(raw)}, SEED=${seed}`);
      for (const item of page.items) {
        const node = nodes.get(item.nodeId)!;
        assert.deepEqual(item.freeResources, freeResources(node.total, node.used));
        assert.equal(item.status, nodeStatus(node, bounds) satisfies ExplorerStatusName);
      }
    }
  };
  const noUse: Resources = { cru: 0, mru: 0, sru: 0, hru: 0 };

  for (let block = 0; block < 60; block++) {
    nowMs += Math.floor(random() * 30 * minute);
    const facts: Fact[] = [];
    const live = () => [...contracts.values()];
    for (let i = 0, n = 1 + Math.floor(random() * 8); i < n; i++) {
      const r = random();
      if (nodes.size < 40 && (nodes.size < 5 || r < 0.2)) {
        const id = nodes.size + 1;
        const node: ModelNode = { id, farmId: pick([1, 2, 3]), total: randomResources(4), used: { ...noUse }, lastUptimeMs: nowMs, powerTarget: 'Up', powerState: 'Up' };
        nodes.set(id, node);
        facts.push({ type: 'NodeCreated', nodeId: id, farmId: node.farmId, twinId: 100 + id, resources: node.total, location, details });
      } else if (r < 0.45) {
        const node = pick([...nodes.values()]);
        const contract: ModelContract = { id: nextContract++, nodeId: node.id, resources: randomResources(1) };
        contracts.set(contract.id, contract);
        for (const u of units) node.used[u] += contract.resources[u];
        facts.push({ type: 'ContractCreated', contractId: contract.id, kind: 'node', twinId: 7, nodeId: node.id, deploymentHash: 'ab', deploymentData: '', resources: contract.resources });
      } else if (r < 0.6 && contracts.size > 0) {
        // A node reports new resources for some of its contracts (or an update declares them).
        const contract = pick(live());
        const node = nodes.get(contract.nodeId)!;
        const next = randomResources(1);
        for (const u of units) node.used[u] += next[u] - contract.resources[u];
        contract.resources = next;
        facts.push(random() < 0.5
          ? { type: 'NodeResourcesReported', nodeId: node.id, contractIds: [contract.id], reports: [{ contractId: contract.id, resources: next }] }
          : { type: 'ContractUpdated', contractId: contract.id, deploymentHash: 'cd', deploymentData: undefined, resources: next });
      } else if (r < 0.72 && contracts.size > 0) {
        const contract = pick(live());
        contracts.delete(contract.id);
        const node = nodes.get(contract.nodeId)!;
        for (const u of units) node.used[u] -= contract.resources[u];
        facts.push({ type: 'ContractDeleted', contractId: contract.id, reason: 'CanceledByUser' });
      } else if (r < 0.88) {
        const node = pick([...nodes.values()]);
        node.lastUptimeMs = nowMs - Math.floor(random() * minute);
        facts.push({ type: 'NodeUptimeReported', nodeId: node.id, uptimeSec: 60, timestampMs: node.lastUptimeMs });
      } else if (r < 0.94) {
        const node = pick([...nodes.values()]);
        node.powerTarget = pick(['Up', 'Down']);
        facts.push({ type: 'NodePowerTargetChanged', nodeId: node.id, target: node.powerTarget as 'Up' | 'Down' });
      } else {
        const node = pick([...nodes.values()]);
        node.powerState = pick(['Up', 'Down']);
        facts.push({ type: 'NodePowerStateChanged', nodeId: node.id, state: node.powerState as 'Up' | 'Down' });
      }
    }
    apply(facts);
    check(`block ${height}`);
  }
  // A node update changes totals: free follows.
  const node = nodes.get(1)!;
  node.total = randomResources(8);
  apply([{ type: 'NodeUpdated', nodeId: 1, farmId: node.farmId, resources: node.total, location, details }]);
  check('after a node update');
  store.close();
});

test('the schema has every index the queries name (INDEXED BY fails on a missing one)', () => {
  const store = IndexStore.open(':memory:');
  const indexes = new Set((store.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index'").all() as Array<{ name: string }>).map((r) => r.name));
  for (const name of [statusFreeIndex, ...Object.values(nodeOrderIndexes)]) assert.ok(indexes.has(name), name);
  store.close();
});

test('an index of an older schema version is emptied and rebuilt on open; a newer one is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfgrid-explorer-index-'));
  try {
    const path = join(dir, 'index.sqlite');
    const old = new DatabaseSync(path);
    old.exec("CREATE TABLE nodes (id INTEGER PRIMARY KEY, total_mru INTEGER); INSERT INTO nodes VALUES (1, 5); CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('height', '7'); CREATE TABLE blocks (height INTEGER PRIMARY KEY); PRAGMA user_version = 1;");
    old.close();
    const store = IndexStore.open(path);
    assert.equal(store.rebuiltFromVersion, 1);
    assert.equal(store.head().height, 0);
    assert.equal(store.chain(), undefined, 'no chain identity: the indexer re-indexes from block 1');
    assert.equal((store.db.prepare('SELECT count(*) AS n FROM nodes').get() as { n: number }).n, 0);
    assert.equal((store.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, indexSchemaVersion);
    store.close();
    const again = IndexStore.open(path);
    assert.equal(again.rebuiltFromVersion, undefined);
    again.close();
    const newer = new DatabaseSync(path);
    newer.exec(`PRAGMA user_version = ${indexSchemaVersion + 1}`);
    newer.close();
    assert.throws(() => IndexStore.open(path), { code: ExplorerError.INDEX_UNSUPPORTED_VERSION });
    // Some other database with an older version number is left alone.
    const other = join(dir, 'other.sqlite');
    const foreign = new DatabaseSync(other);
    foreign.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY); PRAGMA user_version = 1;');
    foreign.close();
    assert.throws(() => IndexStore.open(other), { code: ExplorerError.INDEX_UNSUPPORTED_VERSION });
    const kept = new DatabaseSync(other);
    assert.equal((kept.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'notes'").get() as { n: number }).n, 1);
    kept.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
