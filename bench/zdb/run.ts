// bench/zdb: redis-benchmark SET and GET against our `tfgrid zdb`, the real 0-db v2.0.7 (when
// its binary is given) and redis-server (the in-memory ceiling), in the same run, on loopback.
//
// Two row sets:
// - "no fsync": ours and 0-db without --sync (writes reach the page cache; 0-db's default),
//   Redis without persistence. SET uses random keys over a large keyspace, so nearly every SET
//   writes a new key: redis-benchmark's value is a constant, and 0-db answers an overwrite with
//   an identical value without writing anything, so repeated keys would be free no-ops. GET
//   reads keys prefilled before the GET rows, so every GET hits.
// - "durable": ours --sync (group commit) vs 0-db --sync (fsync after every write) vs Redis
//   appendfsync always; SET only, fewer requests.
// The servers of one value size run side by side and each row is measured in rounds that
// alternate between them (median reported), so that load from other processes on the machine
// hits every column alike.
// Usage: npm run bench:zdb -- [--reference /path/to/zdb] [--rounds N] [--help]
import { parseArgs } from 'node:util';
import { formatMsPair, formatNumber, formatRatio, machineLine, printTable } from '../lib/measure.ts';
import { prefill, redisBenchmark, type Load, type Measured } from './load.ts';
import { baselineServer, durableSettings, ourServer, redisServer, referenceServer, type RunningServer, type ServerName, type ServerSpec } from './servers.ts';

const usage = `npm run bench:zdb -- [options]
  --reference <path>         real 0-db binary to compare with (or env ZDB_REFERENCE_BIN)
  --baseline <checkout>      also run tfgrid zdb from another checkout (a column, and ours/baseline)
  --ours-args=<flags>        extra flags for our server, space-separated (e.g. --ours-args='--read-cache 256M')
  --rounds <n>               measurements per cell, alternating servers; the median is shown (default 3)
  --seconds <s>              target length of one measurement after the first round (default 1)
  --requests <n>             requests of a first-round pipeline-1 measurement (default 50000)
  --pipelined-requests <n>   requests of a first-round pipeline-16 measurement (default 150000)
  --sync-requests <n>        requests of a first-round durable measurement (default 3000)
  --get-keys <n>             keys prefilled for the GET rows (default 50000)
  --clients <n>              concurrent connections (default 50)
  --keyspace <n>             random SET keys are drawn below this (default 1000000)
  --servers <list>           subset of ours,0-db,redis (default all)
  --sizes <list>             value sizes in bytes (default 100,4096)
  --pipelines <list>         pipeline depths (default 1,16)
  --phases <list>            subset of fast,durable (default both)`;

const { values: flags } = parseArgs({
  options: {
    reference: { type: 'string' }, baseline: { type: 'string' }, 'ours-args': { type: 'string' }, rounds: { type: 'string' }, seconds: { type: 'string' }, requests: { type: 'string' },
    'pipelined-requests': { type: 'string' }, 'sync-requests': { type: 'string' }, 'get-keys': { type: 'string' }, clients: { type: 'string' },
    keyspace: { type: 'string' }, servers: { type: 'string' }, sizes: { type: 'string' }, pipelines: { type: 'string' }, phases: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (flags.help === true) {
  console.log(usage);
  process.exit(0);
}

const count = (text: string | undefined, fallback: number): number => {
  const value = Number(text ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`expected a positive integer, got ${text}`);
  return value;
};
const list = (text: string | undefined, fallback: string): string[] => (text ?? fallback).split(',').map((item) => item.trim()).filter(Boolean);

const settings = {
  rounds: count(flags.rounds, 3),
  seconds: Number(flags.seconds ?? 1),
  requests: count(flags.requests, 50_000),
  pipelinedRequests: count(flags['pipelined-requests'], 150_000),
  syncRequests: count(flags['sync-requests'], 3_000),
  getKeys: count(flags['get-keys'], 50_000),
  clients: count(flags.clients, 50),
  keyspace: count(flags.keyspace, 1_000_000),
  sizes: list(flags.sizes, '100,4096').map((size) => count(size, 0)),
  pipelines: list(flags.pipelines, '1,16').map((depth) => count(depth, 0)),
  phases: list(flags.phases, 'fast,durable'),
};
/** Bounds of one adaptive measurement: long enough to be steady, short enough for the run. */
const REQUESTS_MIN = 2_000;
const REQUESTS_MAX = 1_000_000;
const wanted = list(flags.servers, 'ours,0-db,redis');
const referencePath = flags.reference ?? process.env['ZDB_REFERENCE_BIN'];
const specs: ServerSpec[] = [];
const oursArgs = list(flags['ours-args']?.replaceAll(' ', ','), '');
if (wanted.includes('ours')) specs.push(ourServer(oursArgs));
if (flags.baseline !== undefined) specs.push(baselineServer(flags.baseline));
if (wanted.includes('0-db') && referencePath !== undefined) specs.push(referenceServer(referencePath));
if (wanted.includes('redis')) specs.push(redisServer());

type Phase = 'fast' | 'durable';
/** Row label → server → one measurement per round. */
const results = new Map<string, Map<ServerName, Measured[]>>();
const rowLabel = (phase: Phase, test: string, size: number, pipeline: number): string =>
  `${phase === 'durable' ? 'durable ' : ''}${test.toUpperCase()} ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} P${pipeline}`;

function load(test: 'set' | 'get', size: number, pipeline: number, requests: number, keyspace: number): Load {
  return { test, requests, clients: settings.clients, pipeline, valueBytes: size, keyspace };
}

/** Measures one row on every server, `rounds` times, alternating servers within each round. */
async function measureRow(label: string, running: Map<ServerName, RunningServer>, makeLoad: (requests: number) => Load, firstRequests: number): Promise<void> {
  const row = new Map<ServerName, Measured[]>();
  results.set(label, row);
  for (let round = 0; round < settings.rounds; round++) {
    for (const [name, server] of running) {
      const previous = row.get(name)?.at(-1);
      const requests = previous === undefined ? firstRequests : Math.min(REQUESTS_MAX, Math.max(REQUESTS_MIN, Math.round(previous.opsPerSec * settings.seconds)));
      const measured = await redisBenchmark(server.port, makeLoad(requests));
      row.set(name, [...(row.get(name) ?? []), measured]);
      console.error(`  ${name.padEnd(5)} ${label.padEnd(22)} round ${round + 1}: ${formatNumber(measured.opsPerSec).padStart(9)} ops/s  p50/p99 ${formatMsPair(measured.p50Ms, measured.p99Ms)} ms`);
    }
  }
}

async function startAll(durable: boolean): Promise<Map<ServerName, RunningServer>> {
  const running = new Map<ServerName, RunningServer>();
  for (const spec of specs) running.set(spec.name, await spec.start(durable));
  return running;
}

async function stopAll(running: Map<ServerName, RunningServer>): Promise<void> {
  for (const server of running.values()) await server.stop();
}

/** One value size, servers side by side: warm-up, SET rows, prefill, GET rows. */
async function runFast(size: number): Promise<void> {
  const running = await startAll(false);
  try {
    for (const server of running.values()) await redisBenchmark(server.port, load('set', size, 16, 20_000, settings.keyspace)); // warm-up (JIT), not recorded
    for (const pipeline of settings.pipelines) {
      const first = pipeline === 1 ? settings.requests : settings.pipelinedRequests;
      await measureRow(rowLabel('fast', 'set', size, pipeline), running, (n) => load('set', size, pipeline, n, settings.keyspace), first);
    }
    for (const server of running.values()) await prefill(server.port, settings.getKeys, size);
    for (const pipeline of settings.pipelines) {
      const first = pipeline === 1 ? settings.requests : settings.pipelinedRequests;
      await measureRow(rowLabel('fast', 'get', size, pipeline), running, (n) => load('get', size, pipeline, n, settings.getKeys), first);
    }
  } finally {
    await stopAll(running);
  }
}

async function runDurable(size: number): Promise<void> {
  const running = await startAll(true);
  try {
    for (const server of running.values()) await redisBenchmark(server.port, load('set', size, 16, 1_000, settings.keyspace)); // warm-up, not recorded
    for (const pipeline of settings.pipelines) {
      await measureRow(rowLabel('durable', 'set', size, pipeline), running, (n) => load('set', size, pipeline, n, settings.keyspace), settings.syncRequests);
    }
  } finally {
    await stopAll(running);
  }
}

/** The round with the median ops/s (its latencies are shown with it). */
function median(measured: Measured[] | undefined): Measured | undefined {
  if (measured === undefined || measured.length === 0) return undefined;
  return [...measured].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor((measured.length - 1) / 2)];
}

function printResults(title: string, labels: string[]): void {
  const names = specs.map((spec) => spec.name);
  const withReference = names.includes('ours') && names.includes('0-db');
  const withRedis = names.includes('ours') && names.includes('redis');
  const headers = ['test', ...names.flatMap((name) => [`${name} ops/s`, `${name} p50/p99 ms`])];
  const withBaseline = names.includes('ours') && names.includes('baseline');
  if (withBaseline) headers.push('ours/baseline');
  if (withReference) headers.push('ours/0-db (goal ≥ 2)');
  if (withRedis) headers.push('ours/redis (goal ≥ 0.5)');
  const rows = labels.map((label) => {
    const row = results.get(label)!;
    const cells = [label, ...names.flatMap((name) => {
      const measured = median(row.get(name));
      return measured === undefined ? ['', ''] : [formatNumber(measured.opsPerSec), formatMsPair(measured.p50Ms, measured.p99Ms)];
    })];
    const ours = median(row.get('ours'))?.opsPerSec ?? NaN;
    if (withBaseline) cells.push(formatRatio(ours / (median(row.get('baseline'))?.opsPerSec ?? NaN)));
    if (withReference) cells.push(formatRatio(ours / (median(row.get('0-db'))?.opsPerSec ?? NaN), 2));
    if (withRedis) cells.push(formatRatio(ours / (median(row.get('redis'))?.opsPerSec ?? NaN), 0.5));
    return cells;
  });
  console.log(`\n${title}`);
  printTable(headers, rows);
}

const startedMs = Date.now();
console.error(`reference: ${referencePath === undefined ? 'not given' : referencePath}`);
for (const phase of settings.phases) {
  for (const size of settings.sizes) {
    if (phase === 'fast') await runFast(size);
    else if (phase === 'durable') await runDurable(size);
    else throw new Error(`unknown phase ${phase}`);
  }
}

console.log(`bench/zdb — ${machineLine()}`);
console.log(`reference: ${referencePath === undefined ? 'not given' : referencePath}`);
if (oursArgs.length > 0) console.log(`ours: tfgrid zdb ${oursArgs.join(' ')}`);
console.log(
  `redis-benchmark: ${settings.clients} clients; median of ${settings.rounds} rounds alternating servers, ~${settings.seconds} s each after the first ` +
    `(P1 ${formatNumber(settings.requests)}, P16 ${formatNumber(settings.pipelinedRequests)}, durable ${formatNumber(settings.syncRequests)} requests); ` +
    `SET keys random below ${formatNumber(settings.keyspace)}, GET keys prefilled (${formatNumber(settings.getKeys)})`,
);
const fastLabels = [...results.keys()].filter((label) => !label.startsWith('durable'));
const durableLabels = [...results.keys()].filter((label) => label.startsWith('durable'));
if (fastLabels.length > 0) printResults('no fsync (ours and 0-db: page cache, survives kill -9; redis: no persistence)', fastLabels);
if (durableLabels.length > 0) {
  printResults('durable (acknowledged = fsynced)', durableLabels);
  for (const spec of specs) console.log(`  ${spec.name}: ${durableSettings[spec.name]}`);
}
console.log(`\n(${((Date.now() - startedMs) / 1000).toFixed(0)} s)`);
