// BCDB benchmark: signed inserts and updates per second, get and indexed find latency at N
// objects, proof generation and verification per second, index rebuild speed. The log lives in
// a real `tfgrid zdb` process (no fsync, as 0-db's default); beside it, in the same run, raw
// pipelined 0-db appends of records of the same size: the ceiling the store sets.
// Run: npm run bench:bcdb -- [--objects 1000000] [--window 256]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Identity } from '../../src/crypto/index.ts';
import { ZdbClient } from '../../src/zdb/index.ts';
import { startOurZdb, tempDir } from '../../src/zdb/server/testing.ts';
import { Bcdb, verifyHeadConsistency, verifyRecordProof, type FindQuery } from '../../src/bcdb/index.ts';
import { prng } from '../../src/base/testing.ts';
import { cpuMs, formatMsPair, formatNumber, formatRatio, machineLine, printTable } from '../lib/measure.ts';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '200000' }, window: { type: 'string', default: '256' } } });
const objects = Number(values.objects);
const window = Number(values.window);
const updates = Math.max(1000, Math.floor(objects / 10));
const random = prng(42);
const cities = Array.from({ length: 50 }, (_, i) => `city-${i.toString().padStart(2, '0')}`);

const server = await startOurZdb();
const connectZdb = () => ZdbClient.connect({ host: '127.0.0.1', port: server.port }, { timeoutMs: 60_000, reconnect: false, pendingCallsMax: 1_000_000 });
const owner = Identity.fromSeed('42'.repeat(32));
const dir = tempDir('tfgrid-bench-bcdb-');
const zdb = await connectZdb();
let db = await Bcdb.open({ zdb, dir, identity: owner, twinId: 1, headIntervalMs: 1000 });
await db.createCollection('users', { indexes: { name: 'string', age: 'number', city: 'string' } });

const note = (text: string) => process.stderr.write(`${text}\n`);
const documentOf = (i: number) => ({ name: `user-${i.toString().padStart(8, '0')}`, age: i % 100, city: cities[i % cities.length]!, bio: 'x'.repeat(64) });

/** Runs `count` operations with `window` in flight; returns operations per second. */
async function pipelined(count: number, op: (i: number) => Promise<unknown>, label: string): Promise<number> {
  const started = performance.now();
  let next = 0;
  let done = 0;
  let lastNote = started;
  await Promise.all(Array.from({ length: window }, async () => {
    while (next < count) {
      await op(next++);
      if (++done % 50_000 === 0 && performance.now() - lastNote > 5000) {
        lastNote = performance.now();
        note(`${label}: ${done.toLocaleString('en-US')} of ${count.toLocaleString('en-US')}`);
      }
    }
  }));
  return (count * 1000) / (performance.now() - started);
}

async function latencies(count: number, op: () => Promise<unknown>): Promise<{ p50: number; p95: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await op();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

function perSecond(count: number, fn: (i: number) => void): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) fn(i);
  return (count * 1000) / (performance.now() - started);
}

// The reference: raw pipelined appends of records of the same size to a sequential namespace.
const sample = await db.set('users', documentOf(-1), { id: 'sample' });
const recordBytes = (await db.record(sample.position)).length;
const raw = await connectZdb();
await raw.nsnew('raw');
await raw.nsset('raw', 'mode', 'seq');
await raw.select('raw');
const payload = Buffer.alloc(recordBytes, 'r');
const rawCount = Math.min(objects, 200_000);
const rawRate = await pipelined(rawCount, () => raw.set(null, payload), 'raw appends');
raw.destroy();

// Tags independent of the indexed fields (a tag derived from the city would make tag + city either all or nothing).
// CPU per insert (this process with its signing thread, and the 0-db server) is steadier than
// inserts/s on a shared machine.
const pids = [process.pid, server.process.pid!];
const cpuBefore = pids.map((pid) => cpuMs([pid]));
const insertRate = await pipelined(objects, (i) => db.set('users', documentOf(i), { id: `u${i}`, tags: [`t${Math.floor(random() * 10)}`] }), 'inserts');
const insertCpuUs = pids.map((pid, i) => ((cpuMs([pid]) - cpuBefore[i]!) * 1000) / objects);
const insertedHead = db.head();
const updateRate = await pipelined(updates, () => {
  const i = Math.floor(random() * objects);
  return db.update('users', `u${i}`, { ...documentOf(i), age: (i + 1) % 100 });
}, 'updates');
note('measuring reads');
const get = await latencies(3000, () => db.get('users', `u${Math.floor(random() * objects)}`));
const finds: Array<[string, () => FindQuery]> = [
  ['find city = c (20)', () => ({ where: { city: { eq: cities[Math.floor(random() * cities.length)]! } }, limit: 20 })],
  ['find age range (20)', () => { const a = Math.floor(random() * 90); return { where: { age: { gte: a, lt: a + 5 } }, limit: 20 }; }],
  ['find name prefix (20)', () => ({ where: { name: { prefix: `user-${Math.floor(random() * objects).toString().padStart(8, '0').slice(0, 6)}` } }, limit: 20 })],
  ['find tag + city (20)', () => ({ tags: [`t${Math.floor(random() * 10)}`], where: { city: { eq: cities[Math.floor(random() * cities.length)]! } }, limit: 20 })],
];
const findRows: string[][] = [];
for (const [name, query] of finds) {
  const l = await latencies(1000, () => db.find('users', query()));
  findRows.push([name, `${formatMsPair(l.p50, l.p95)} (p99 ${formatMsPair(l.p99, l.p99).split('/')[0]})`, l.p95 <= 5 ? '✓ ≤ 5 ms' : '✗ > 5 ms']);
}

// Proofs: the server side makes them from the in-memory tree; a client checks them with the owner's key.
const head = db.head();
const positions = Array.from({ length: 20_000 }, () => Math.floor(random() * head.size));
const inclusionRate = perSecond(positions.length, (i) => db.proveInclusion(positions[i]!, head.size));
const records = await Promise.all(positions.slice(0, 5000).map((p) => db.record(p)));
const proofs = positions.slice(0, 5000).map((p) => db.proveInclusion(p, head.size));
const verifyRate = perSecond(records.length, (i) => verifyRecordProof(records[i]!, proofs[i], head, owner.publicKey));
const consistencyRate = perSecond(5000, (i) => db.proveConsistency(1 + ((i * 7919) % (head.size - 1)), head.size));
const consistency = db.proveConsistency(insertedHead.size, head.size);
const consistencyVerifyRate = perSecond(5000, () => verifyHeadConsistency(insertedHead, head, consistency, owner.publicKey));

await db.close();
const reopenStarted = performance.now();
db = await Bcdb.open({ zdb, dir, identity: owner, twinId: 1 });
const reopenMs = performance.now() - reopenStarted;
await db.close();
rmSync(join(dir, 'index.sqlite'));
note('rebuilding the index from the log');
const rebuildStarted = performance.now();
db = await Bcdb.open({ zdb, dir, identity: owner, twinId: 1 });
const rebuildMs = performance.now() - rebuildStarted;
const rss = process.memoryUsage().rss;
await db.close();
zdb.destroy();
await server.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`\nBCDB · ${objects.toLocaleString('en-US')} objects (+${updates.toLocaleString('en-US')} updates), ${recordBytes} B records, ${window} in flight · ${machineLine()}\n`);
printTable(['operation', 'figure', 'goal / reference'], [
  ['signed inserts', `${formatNumber(insertRate)}/s`, `${insertRate >= 10_000 ? '✓' : '✗'} ≥ 10,000/s · ${formatRatio(insertRate / rawRate)}× raw 0-db appends`],
  ['signed updates', `${formatNumber(updateRate)}/s`, `${formatRatio(updateRate / rawRate)}× raw 0-db appends`],
  ['CPU per insert: bcdb process / 0-db', `${insertCpuUs.map((us) => us.toFixed(0)).join(' / ')} µs`, 'all threads of each process'],
  ['raw 0-db appends (same size)', `${formatNumber(rawRate)}/s`, 'reference: the store alone'],
  ['get latest p50/p95 ms', `${formatMsPair(get.p50, get.p95)} (p99 ${get.p99.toFixed(2)})`, ''],
  ...findRows.map(([name, figure, goal]) => [`${name} p50/p95 ms`, figure!, goal!]),
  ['inclusion proofs made', `${formatNumber(inclusionRate)}/s`, `tree of ${head.size.toLocaleString('en-US')}`],
  ['record proofs verified', `${formatNumber(verifyRate)}/s`, 'head signature + path + record signature'],
  ['consistency proofs made', `${formatNumber(consistencyRate)}/s`, ''],
  ['consistency proofs verified', `${formatNumber(consistencyVerifyRate)}/s`, 'two head signatures + path'],
  ['reopen (index current)', `${(reopenMs / 1000).toFixed(2)} s`, ''],
  ['rebuild index from log', `${(rebuildMs / 1000).toFixed(1)} s`, `${formatNumber((head.size * 1000) / rebuildMs)} records/s`],
  ['rss after rebuild', `${(rss / 2 ** 20).toFixed(0)} MiB`, ''],
]);
