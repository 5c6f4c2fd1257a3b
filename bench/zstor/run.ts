// Zero-Stor benchmark: Reed–Solomon encode and reconstruct (16+4, 1 MiB shards) with the
// WebAssembly SIMD kernel and the pure-TypeScript one; then store and retrieve end to end over 6
// local `tfgrid zdb` servers (4+2, 4 MiB segments, incompressible data) beside raw pipelined
// SETs of the same shard bytes to the same servers in the same run (the ceiling they set).
// CPU per MiB (client and servers, from /proc) is reported beside each rate: on a shared machine
// it moves less with other load than the rates do. Where client and servers share the cores and
// both phases are CPU-bound, a store can reach at most raw CPU / (raw CPU + the crypto the
// pipeline must do) of raw: that crypto (BLAKE2b-512, AES-256-GCM, RS 4+2, GMAC, all native or
// wasm, nothing else) is timed in the same run and the ceiling printed beside the ratio.
// Run: npm run bench:zstor -- [--mb 512] [--runs 3] [--rs false]
import { parseArgs } from 'node:util';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { ZdbClient } from '../../src/zdb/index.ts';
import { startOurZdb, removeDir, tempDir } from '../../src/zdb/server/testing.ts';
import { createWasmKernel, parseConfig, ReedSolomon, segmentsInFlightMax, tsKernel, Zstor, type RsKernel } from '../../src/zstor/index.ts';
import { cpuMs, formatBytesPerSec, formatRatio, machineLine, printTable, rate } from '../lib/measure.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '512' }, runs: { type: 'string', default: '3' }, rs: { type: 'string', default: 'true' } } });
const fileBytes = Number(values.mb) * 2 ** 20;
const runs = Number(values.runs);
const note = (text: string) => process.stderr.write(`${text}\n`);
const range = (xs: number[]) => `${formatBytesPerSec(Math.min(...xs))} – ${formatBytesPerSec(Math.max(...xs))}`;

// Reed–Solomon alone.
const shardBytes = 2 ** 20;
const data = Array.from({ length: 16 }, () => randomBytes(shardBytes));
const kernels: RsKernel[] = [createWasmKernel(), tsKernel].filter((k): k is RsKernel => k !== null);
const rsRows: string[][] = [];
for (const kernel of values.rs === 'false' ? [] : kernels) {
  const rs = new ReedSolomon(16, 4, kernel);
  const shards = [...data, ...rs.encode(data)];
  const lossy = shards.map((s, i) => (i < 4 ? null : s));
  const encode: number[] = [];
  const rebuild: number[] = [];
  for (let r = 0; r < runs; r++) {
    encode.push(rate('encode', () => rs.encode(data), { bytesPerOp: 16 * shardBytes, durationMs: 1500 }).bytesPerSec!);
    rebuild.push(rate('reconstruct', () => rs.reconstruct(lossy), { bytesPerOp: 16 * shardBytes, durationMs: 1500 }).bytesPerSec!);
  }
  const goal = kernel === tsKernel ? '' : `${Math.max(...encode) >= 1e9 ? '✓' : '✗'} ≥ 1 GB/s`;
  rsRows.push([`RS 16+4 encode, ${kernel.name}`, range(encode), goal]);
  rsRows.push([`RS 16+4 reconstruct 4 lost data shards, ${kernel.name}`, range(rebuild), '']);
  note(`${kernel.name}: done`);
}

// End to end over 6 servers.
const servers = await Promise.all(Array.from({ length: 6 }, () => startOurZdb()));
const backends: string[] = [];
const meta: string[] = [];
for (const [s, server] of servers.entries()) {
  const admin = await ZdbClient.connect({ host: '127.0.0.1', port: server.port }, { timeoutMs: 10_000, reconnect: false });
  await admin.nsnew('data');
  await admin.nsset('data', 'mode', 'seq');
  await admin.nsnew('raw');
  await admin.nsset('raw', 'mode', 'seq');
  if (s < 4) await admin.nsnew('meta');
  admin.destroy();
  backends.push(`[[groups]]\n[[groups.backends]]\naddress = "127.0.0.1:${server.port}"\nnamespace = "data"\n`);
  if (s < 4) meta.push(`[[meta.config.backends]]\naddress = "127.0.0.1:${server.port}"\nnamespace = "meta"\n`);
}
const config = parseConfig([
  'minimal_shards = 4', 'expected_shards = 6', 'redundant_groups = 1', 'segment_size = 4194304', 'timeout_ms = 60000',
  '[encryption]', 'algorithm = "AES"', `key = "${'ab'.repeat(32)}"`, '[compression]', 'algorithm = "none"',
  '[meta]', 'type = "zdb"', '[meta.config]', 'prefix = "bench"', '[meta.config.encryption]', 'algorithm = "AES"', `key = "${'cd'.repeat(32)}"`,
  ...meta, ...backends,
].join('\n'));
const zstor = Zstor.open(config);
const segments = Math.ceil(fileBytes / config.segmentBytes);
const shardValueBytes = Math.ceil((config.segmentBytes + 29) / 4) + 28;

/** Raw: the same number of shard-sized values, spread over the same servers, as many in flight as the store keeps (segmentsInFlightMax × 6); returns the file bytes they stand for. */
const rawClients = await Promise.all(servers.map((s) => ZdbClient.connect({ host: '127.0.0.1', port: s.port }, { namespace: 'raw', timeoutMs: 60_000, reconnect: false })));
const rawValue = randomBytes(shardValueBytes);
async function rawWrites(): Promise<number> {
  const clients = rawClients;
  const value = rawValue;
  let next = 0;
  const total = segments * 6;
  await Promise.all(Array.from({ length: segmentsInFlightMax * 6 }, async () => {
    while (next < total) {
      const i = next++;
      await clients[i % clients.length]!.set(null, value);
    }
  }));
  return fileBytes;
}

/** The file: 1 MiB views into 16 MiB of random bytes (generating bytes in JS would be timed too). */
const pool = randomBytes(16 * 2 ** 20);
function* source(seed: number): Generator<Buffer> {
  for (let sent = 0, i = seed; sent < fileBytes; sent += 2 ** 20, i++) {
    const at = (i * 7919 * 4096) % (pool.length - 2 ** 20);
    yield pool.subarray(at, at + Math.min(2 ** 20, fileBytes - sent));
  }
}

/** A timed phase: file bytes/s, and CPU ms per file MiB of this process and of the servers. */
interface Phase { rate: number; clientMsPerMiB: number; serverMsPerMiB: number }
const serverPids = servers.map((s) => s.process.pid!);
async function timed(run: () => Promise<number>): Promise<Phase> {
  const client0 = cpuMs([process.pid]);
  const server0 = cpuMs(serverPids);
  const started = performance.now();
  const bytes = await run();
  const seconds = (performance.now() - started) / 1000;
  const mib = bytes / 2 ** 20;
  return { rate: bytes / seconds, clientMsPerMiB: (cpuMs([process.pid]) - client0) / mib, serverMsPerMiB: (cpuMs(serverPids) - server0) / mib };
}
const cpuText = (p: Phase) => `CPU ${p.clientMsPerMiB.toFixed(2)} + ${p.serverMsPerMiB.toFixed(2)} ms/MiB`;

/** CPU ms per file MiB of the transforms a 4+2 store cannot skip, on this thread, nothing else. */
function requiredCryptoMsPerMiB(): number {
  const segment = randomBytes(config.segmentBytes);
  const key = randomBytes(32);
  const rs = new ReedSolomon(4, 2);
  const quarter = config.segmentBytes / 4;
  const parity = [Buffer.alloc(quarter), Buffer.alloc(quarter)];
  const started = process.cpuUsage();
  const rounds = 64;
  const hash = createHash('blake2b512');
  for (let r = 0; r < rounds; r++) {
    hash.update(segment);
    const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
    const sealed = cipher.update(segment);
    cipher.final();
    rs.encodeInto([0, 1, 2, 3].map((i) => sealed.subarray(i * quarter, (i + 1) * quarter)), parity);
    for (const shard of [0, 1, 2, 3, 4, 5]) {
      const gmac = createCipheriv('aes-256-gcm', key, randomBytes(12));
      gmac.setAAD(shard < 4 ? sealed.subarray(shard * quarter, (shard + 1) * quarter) : parity[shard - 4]!);
      gmac.final();
    }
  }
  hash.digest();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000 / ((rounds * config.segmentBytes) / 2 ** 20);
}
const cryptoMsPerMiB = requiredCryptoMsPerMiB();
note(`required crypto: ${cryptoMsPerMiB.toFixed(2)} ms per file MiB`);

const stores: Phase[] = [];
const retrieves: Phase[] = [];
const raws: Phase[] = [];
for (let r = 0; r < runs; r++) {
  raws.push(await timed(rawWrites));
  stores.push(await timed(async () => (await zstor.store(`bench-${r}`, source(r))).sizeBytes));
  retrieves.push(await timed(async () => {
    let bytes = 0;
    for await (const chunk of await zstor.retrieve(`bench-${r}`)) bytes += (chunk as Buffer).length;
    return bytes;
  }));
  const [raw, store, retrieve] = [raws.at(-1)!, stores.at(-1)!, retrieves.at(-1)!];
  note(`run ${r + 1}: raw ${formatBytesPerSec(raw.rate)} (${cpuText(raw)}), store ${formatBytesPerSec(store.rate)} (${cpuText(store)}), retrieve ${formatBytesPerSec(retrieve.rate)} (${cpuText(retrieve)}), load ${loadavg()[0]!.toFixed(2)}`);
}
zstor.close();
for (const c of rawClients) c.destroy();
await Promise.all(servers.map((s) => s.stop()));
for (const s of servers) removeDir(s.dir);
removeDir(tempDir('tfgrid-bench-zstor-'));

// Each store is compared with the raw run just before it (same load); the goal is judged on the
// median ratio, not the best run, since other load moves single runs a lot.
const ratios = stores.map((s, i) => s.rate / raws[i]!.rate);
const rawCpu = (p: Phase) => p.clientMsPerMiB + p.serverMsPerMiB;
const ceilings = raws.map((raw) => rawCpu(raw) / (rawCpu(raw) + cryptoMsPerMiB));
const ofCeiling = ratios.map((ratio, i) => ratio / ceilings[i]!);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const medianRatio = median(ratios);
const cpuRange = (ps: Phase[]) => {
  const total = ps.map((p) => p.clientMsPerMiB + p.serverMsPerMiB);
  return `CPU ${Math.min(...total).toFixed(1)}–${Math.max(...total).toFixed(1)} ms/MiB (client ${Math.min(...ps.map((p) => p.clientMsPerMiB)).toFixed(1)}–${Math.max(...ps.map((p) => p.clientMsPerMiB)).toFixed(1)})`;
};
console.log(`\nZero-Stor · kernel ${zstor.kernel} · ${runs} runs · load ${loadavg().map((l) => l.toFixed(2)).join(' ')} · ${machineLine()}\n`);
printTable(['operation', 'range over runs', 'goal / reference', 'CPU per file MiB (client + servers)'], [
  ...rsRows.map((row) => [...row, '']),
  [`store ${values.mb} MiB, 4+2 over 6 zdb (file bytes/s)`, range(stores.map((p) => p.rate)), `${formatRatio(Math.min(...ratios))}–${formatRatio(Math.max(...ratios))}× raw, median ${formatRatio(medianRatio, 0.8)} (goal ≥ 0.80)`, cpuRange(stores)],
  [`retrieve ${values.mb} MiB (file bytes/s)`, range(retrieves.map((p) => p.rate)), 'data shards only, checksums, AES-GCM, BLAKE2b', cpuRange(retrieves)],
  [`raw SETs of the same shard bytes (file bytes/s)`, range(raws.map((p) => p.rate)), `${segments * 6} × ${shardValueBytes} B, ${segmentsInFlightMax * 6} in flight`, cpuRange(raws)],
  ['store / raw ceiling on these shared cores', `${formatRatio(Math.min(...ceilings))}–${formatRatio(Math.max(...ceilings))}× raw`, `store reached ${formatRatio(median(ofCeiling))} of it (median)`, `required crypto ${cryptoMsPerMiB.toFixed(2)} ms/MiB`],
]);
