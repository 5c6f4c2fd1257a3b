// `tfgrid zstor` as a user runs it, against real `tfgrid zdb` processes: store, check, retrieve,
// list, scrub, status, a service pass, exit codes; and kill -9 in the middle of a store, after
// which the name still reads back its previous version (metadata never points at missing shards).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../base/testing.ts';
import { collect, generated, startCluster, type Cluster } from '../zstor/testing.ts';
import { Zstor } from '../zstor/index.ts';
import { cliMain, json, tfgrid } from './testing.ts';

let cluster: Cluster;
let home: string;

before(async () => {
  cluster = await startCluster({ servers: 3, backendsPerServer: 2, dataShards: 3, parityShards: 2, segmentBytes: 64 * 1024, compression: 'zstd' });
  home = cluster.dir;
});
after(async () => {
  await cluster.stop();
});

test('store, check, retrieve (atomically, to another file), list, scrub, status, service --once', () => {
  const path = join(cluster.dir, 'photo.bin');
  const content = Buffer.concat([...generated(300_000, 3)]);
  writeFileSync(path, content);
  const c = ['-c', cluster.configPath];
  const stored = json<{ name: string; sizeBytes: number; checksum: string }>(tfgrid(home, ['--json', 'zstor', 'store', ...c, path]));
  assert.equal(stored.name, path);
  assert.equal(stored.sizeBytes, content.length);
  assert.equal(json<{ checksum: string }>(tfgrid(home, ['--json', 'zstor', 'check', ...c, path])).checksum, stored.checksum);
  const out = join(cluster.dir, 'restored.bin');
  const retrieved = tfgrid(home, ['zstor', 'retrieve', ...c, path, '-o', out]);
  assert.equal(retrieved.status, 0, retrieved.stderr);
  assert.ok(readFileSync(out).equals(content));
  const piped = tfgrid(home, ['zstor', 'retrieve', ...c, '--name', path, '-o', '-', 'ignored']);
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout.length, content.toString('utf8').length);
  assert.ok(json<{ name: string }[]>(tfgrid(home, ['--json', 'zstor', 'list', ...c])).some((f) => f.name === path));
  const scrub = json<{ shardsBad: number }[]>(tfgrid(home, ['--json', 'zstor', 'scrub', ...c, '--dry-run']));
  assert.ok(scrub.length >= 1 && scrub.every((r) => r.shardsBad === 0));
  const status = json<{ data: { reachable: boolean }[]; meta: { reachable: boolean }[] }>(tfgrid(home, ['--json', 'zstor', 'status', ...c]));
  assert.equal(status.data.length, 6);
  assert.ok([...status.data, ...status.meta].every((b) => b.reachable));
  const pass = json<{ files: number; shardsBad: number }>(tfgrid(home, ['--json', 'zstor', 'service', ...c, '--once']));
  assert.ok(pass.files >= 1);
  assert.equal(pass.shardsBad, 0);
});

test('exit codes: a bad config is 2 with the key named; a missing file is 1 with ZSTOR_NOT_FOUND', () => {
  const bad = join(cluster.dir, 'bad.toml');
  writeFileSync(bad, cluster.text.replace(/expected_shards = \d+/, 'expected_shards = 2'));
  const run = tfgrid(home, ['zstor', 'status', '-c', bad]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /ZSTOR_CONFIG_INVALID.*minimal_shards/);
  const missing = tfgrid(home, ['zstor', 'retrieve', '-c', cluster.configPath, '/nowhere/at/all', '-o', join(cluster.dir, 'x')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /ZSTOR_NOT_FOUND/);
});

test('kill -9 during a store: the name still reads back its previous version, and scrub finds nothing lost', async () => {
  const c = ['-c', cluster.configPath];
  const first = Buffer.from('version one');
  const firstPath = join(cluster.dir, 'v1.txt');
  writeFileSync(firstPath, first);
  assert.equal(tfgrid(home, ['zstor', 'store', ...c, '--name', 'crashy', firstPath]).status, 0);
  const bigPath = join(cluster.dir, 'v2.bin');
  writeFileSync(bigPath, Buffer.concat([...generated(48 * 1024 * 1024, 9, 1024 * 1024)]));
  const probe = await cluster.dataClient(0, 0);
  const before = await probe.dbsize();
  const child = spawn(process.execPath, [cliMain, 'zstor', 'store', ...c, '--name', 'crashy', bigPath], { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: home } });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    // Kill once shards are landing: the store is under way, well before its metadata is written.
    await until(async () => (await probe.dbsize()) > before + 20, 'shards written', 20_000);
    child.kill('SIGKILL');
    await exited;
  } finally {
    probe.destroy();
  }
  const zstor = Zstor.open(cluster.config);
  try {
    const back = await collect(await zstor.retrieve('crashy'));
    assert.ok(back.equals(first), `read back ${back.length} bytes`);
    const reports = await zstor.scrub(undefined, { repair: false });
    assert.ok(reports.every((r) => r.shardsBad === 0 && r.segmentsLost === 0), JSON.stringify(reports.filter((r) => r.shardsBad > 0)));
  } finally {
    zstor.close();
  }
});
