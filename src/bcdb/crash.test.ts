// kill -9 of a BCDB writer mid-stream, and appends refused by 0-db mid-pipeline: afterwards every
// acknowledged version is there, the log and the index agree, and a rebuilt index is identical.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Identity } from '../crypto/index.ts';
import { ZdbClient } from '../zdb/index.ts';
import { startOurZdb, tempDir, type ZdbProcess } from '../zdb/server/testing.ts';
import { rejectionCode } from '../base/testing.ts';
import { Bcdb } from './index.ts';

const owner = Identity.fromSeed('11'.repeat(32));
const writer = new URL('../../test/fixtures/bcdb-writer.ts', import.meta.url).pathname;
let server: ZdbProcess;
const clients: ZdbClient[] = [];

before(async () => {
  server = await startOurZdb({ args: ['--sync'] });
});

after(async () => {
  for (const client of clients) client.destroy();
  await server.stop();
});

async function open(namespace: string, dir: string): Promise<Bcdb> {
  const zdb = await ZdbClient.connect({ host: '127.0.0.1', port: server.port }, { timeoutMs: 10_000, reconnect: false });
  clients.push(zdb);
  return Bcdb.open({ zdb, namespace, dir, identity: owner, twinId: 1 });
}

test('kill -9 of the writer loses no acknowledged version; the index catches up and rebuilds identically', async () => {
  const dir = tempDir('tfgrid-bcdb-crash-');
  for (let round = 0; round < 2; round++) {
    const child = spawn(process.execPath, [writer, String(server.port), 'crash', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.split('\n').length > 400 * (round + 1)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited with ${code}: ${err}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const acked = out.split('\n').filter((line) => line.startsWith('ack ')).map((line) => line.split(' '));
    const db = await open('crash', dir);
    for (const [, id, version, hash] of acked) {
      assert.equal((await db.get('events', id!, { version: Number(version) })).hash, hash, `${id} v${version}`);
    }
    const report = await db.verify();
    assert.deepEqual(report.problems, []);
    assert.ok(report.records >= acked.length);
    const root = db.head().root;
    const found = (await db.find('events', { where: { n: { gte: 0 } }, limit: 1000 })).items.map((o) => o.id);
    await db.close();
    if (round === 1) {
      rmSync(join(dir, 'index.sqlite'));
      const rebuilt = await open('crash', dir);
      assert.equal(rebuilt.head().root, root);
      assert.deepEqual((await rebuilt.find('events', { where: { n: { gte: 0 } }, limit: 1000 })).items.map((o) => o.id), found);
      await rebuilt.close();
    }
  }
});

test('appends refused by 0-db mid-pipeline: callers learn exactly which versions were written', async () => {
  const dir = tempDir('tfgrid-bcdb-full-');
  const db = await open('full', dir);
  await db.createCollection('blobs');
  const admin = await ZdbClient.connect({ host: '127.0.0.1', port: server.port }, { timeoutMs: 10_000, reconnect: false });
  clients.push(admin);
  await admin.nsset('full', 'maxsize', 64 * 1024);
  const results = await Promise.allSettled(Array.from({ length: 120 }, (_, i) => db.set('blobs', { data: 'x'.repeat(1000), i }, { id: `b${i}` })));
  const written = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []));
  assert.ok(written.length > 10 && refused.length > 10, `${written.length} written, ${refused.length} refused`);
  assert.ok(refused.every((code) => code === 'ZDB_SERVER_ERROR' || code === 'BCDB_STORAGE'), refused.join());
  for (const i of written) assert.equal((await db.get('blobs', `b${i}`)).id, `b${i}`);
  const missing = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
  for (const i of missing.slice(0, 5)) assert.equal(await rejectionCode(db.get('blobs', `b${i}`)), 'BCDB_NOT_FOUND');
  // Room again: writing goes on where the log is.
  await admin.nsset('full', 'maxsize', 0);
  await db.set('blobs', { data: 'after' }, { id: 'after' });
  assert.deepEqual((await db.verify()).problems, []);
  assert.equal(db.size, written.length + 2);
  await db.close();
});
