// The explorer's pure rules, by hand: node status (up / standby / down and the 24 h window), the
// same rule as SQL over an in-memory SQLite table (agrees with the function at every sample),
// free resources with Zero-OS's memory reserve (and their SQL as stored generated columns, against
// the function), the uptime timeline, and query checking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { prng, seedFromEnv } from '../../base/testing.ts';
import { freeResources, freeSql, zosReservedMru } from './resources.ts';
import { nodeStatus, poweredDownExprSql, statusBounds, statusConditionSql, statusRankSql, explorerStatuses } from './status.ts';
import { uptimeTimeline } from './uptime.ts';
import { nodeQuerySchema, nodeWhere } from './node-query.ts';

const minute = 60_000;
const interval = 40 * minute;
const now = 100 * 24 * 60 * minute;
const bounds = statusBounds(now, interval);

test('status: up within 2 intervals unless powered down; standby when powered down within 24 h; else down', () => {
  const node = (ageMs: number, powerTarget = 'Up', powerState = 'Up') => nodeStatus({ lastUptimeMs: now - ageMs, powerTarget, powerState }, bounds);
  assert.equal(node(0), 'up');
  assert.equal(node(80 * minute), 'up');
  assert.equal(node(80 * minute + 1), 'down');
  assert.equal(node(10 * minute, 'Down'), 'standby');
  assert.equal(node(10 * minute, 'Up', 'Down'), 'standby');
  assert.equal(node(24 * 60 * minute, 'Down'), 'standby');
  assert.equal(node(24 * 60 * minute + 1, 'Down'), 'down');
});

test('status: the SQL condition (over the generated powered_down column) agrees with the function on random nodes (SEED replays)', () => {
  const seed = seedFromEnv();
  const random = prng(seed);
  const db = new DatabaseSync(':memory:');
  db.exec(`CREATE TABLE nodes (id INTEGER PRIMARY KEY, last_uptime_ms INTEGER, power_target TEXT, power_state TEXT, powered_down INTEGER GENERATED ALWAYS AS (${poweredDownExprSql}) STORED)`);
  const insert = db.prepare('INSERT INTO nodes VALUES (?, ?, ?, ?)');
  const nodes = Array.from({ length: 500 }, (_, id) => ({ id, lastUptimeMs: now - Math.floor(random() * 30 * 60 * minute), powerTarget: random() < 0.3 ? 'Down' : 'Up', powerState: random() < 0.2 ? 'Down' : 'Up' }));
  for (const n of nodes) insert.run(n.id, n.lastUptimeMs, n.powerTarget, n.powerState);
  // Power changes after the insert: the generated column follows.
  const power = db.prepare('UPDATE nodes SET power_target = ?, power_state = ? WHERE id = ?');
  for (const n of nodes.filter(() => random() < 0.2)) {
    [n.powerTarget, n.powerState] = [random() < 0.5 ? 'Down' : 'Up', random() < 0.5 ? 'Down' : 'Up'];
    power.run(n.powerTarget, n.powerState, n.id);
  }
  for (const status of explorerStatuses) {
    const condition = statusConditionSql(status, bounds);
    const got = db.prepare(`SELECT id FROM nodes n WHERE ${condition.sql} ORDER BY id`).all(...condition.params).map((r) => r['id']);
    assert.deepEqual(got, nodes.filter((n) => nodeStatus(n, bounds) === status).map((n) => n.id), `status ${status}, SEED=${seed}`);
  }
  const rank = statusRankSql(bounds);
  const ranks = db.prepare(`SELECT ${rank.sql} AS rank FROM nodes n ORDER BY id`).all(...rank.params).map((r) => r['rank']);
  assert.deepEqual(ranks, nodes.map((n) => explorerStatuses.indexOf(nodeStatus(n, bounds))), `rank, SEED=${seed}`);
});

test('free resources: the SQL of the stored free_* columns agrees with the function on random nodes (SEED replays)', () => {
  const seed = seedFromEnv();
  const random = prng(seed);
  const units = ['cru', 'mru', 'sru', 'hru'] as const;
  const db = new DatabaseSync(':memory:');
  db.exec(`CREATE TABLE nodes (id INTEGER PRIMARY KEY, ${units.map((u) => `total_${u} INTEGER, used_${u} INTEGER`).join(', ')},
    ${units.map((u) => `free_${u} INTEGER GENERATED ALWAYS AS (${freeSql[u]}) STORED`).join(', ')})`);
  const insert = db.prepare(`INSERT INTO nodes (id, ${units.map((u) => `total_${u}, used_${u}`).join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const gib = 2 ** 30;
  // Totals around the 20 GiB where Zero-OS's reserve switches from 2 GiB to a tenth; used may exceed total.
  const amount = (scale: number) => Math.floor(random() * scale);
  const nodes = Array.from({ length: 500 }, (_, id) => {
    const total = { cru: amount(128), mru: random() < 0.1 ? 20 * gib + amount(3) - 1 : amount(512 * gib), sru: amount(8 * 1024 * gib), hru: amount(16 * 1024 * gib) };
    const used = { cru: amount(160), mru: amount(600 * gib), sru: amount(8 * 1024 * gib), hru: random() < 0.5 ? 0 : amount(16 * 1024 * gib) };
    return { id, total, used };
  });
  for (const n of nodes) insert.run(n.id, ...units.flatMap((u) => [n.total[u], n.used[u]]));
  const got = db.prepare('SELECT free_cru AS cru, free_mru AS mru, free_sru AS sru, free_hru AS hru FROM nodes ORDER BY id').all().map((r) => ({ ...r }));
  assert.deepEqual(got, nodes.map((n) => freeResources(n.total, n.used)), `SEED=${seed}`);
});

test('free resources keep max(total/10, 2 GiB) of memory for Zero-OS', () => {
  const gib = 2 ** 30;
  assert.equal(zosReservedMru(8 * gib), 2 * gib);
  assert.equal(zosReservedMru(100 * gib), 10 * gib);
  assert.deepEqual(freeResources({ cru: 8, mru: 100 * gib, sru: 10, hru: 20 }, { cru: 2, mru: 4 * gib, sru: 1, hru: 0 }), { cru: 6, mru: 86 * gib, sru: 9, hru: 20 });
});

test('uptime timeline: up from boot to 2 intervals after each report, down between a lapse and the next boot', () => {
  const fromMs = 0;
  const toMs = 600 * minute;
  // Booted at 0, reported at 40 and 80 min; then silent; rebooted at 400 min, reported at 440.
  const reports = [{ timestampMs: 40 * minute, uptimeSec: 40 * 60 }, { timestampMs: 80 * minute, uptimeSec: 80 * 60 }, { timestampMs: 440 * minute, uptimeSec: 40 * 60 }];
  const timeline = uptimeTimeline(reports, { fromMs, toMs, uptimeIntervalMs: interval });
  assert.deepEqual(timeline.segments, [
    { startMs: 0, endMs: 160 * minute, up: true },
    { startMs: 160 * minute, endMs: 400 * minute, up: false },
    { startMs: 400 * minute, endMs: 520 * minute, up: true },
    { startMs: 520 * minute, endMs: 600 * minute, up: false },
  ]);
  assert.equal(timeline.upRatio, (160 + 120) / 600);
  assert.deepEqual(uptimeTimeline([], { fromMs, toMs, uptimeIntervalMs: interval }).segments, [{ startMs: 0, endMs: toMs, up: false }]);
});

test('node queries: lists split on commas, booleans are true/false, unknown keys refused; values are bound, never inlined', () => {
  const query = nodeQuerySchema.parse({ status: 'up,standby', farm_ids: '1,2', ipv4: 'true', country_contains: "x%'--" });
  assert.deepEqual(query.status, ['up', 'standby']);
  assert.deepEqual(query.farm_ids, [1, 2]);
  const where = nodeWhere(query, bounds);
  assert.ok(!where.sql.includes("x%'--"));
  assert.ok(where.params.includes("%x\\%'--%"));
  assert.equal(nodeQuerySchema.safeParse({ colour: 'red' }).success, false);
  assert.equal(nodeQuerySchema.safeParse({ ipv4: '1' }).success, false);
  assert.equal(nodeQuerySchema.safeParse({ farm_ids: '1,x' }).success, false);
});
