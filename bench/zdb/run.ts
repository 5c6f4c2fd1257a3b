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
// Usage: npm run bench:zdb -- [--reference /path/to/zdb] [--requests N] [--help]
import { parseArgs } from 'node:util';
import { formatMsPair, formatNumber, formatRatio, machineLine, printTable } from '../lib/measure.ts';
import { prefill, redisBenchmark, type Load, type Measured } from './load.ts';
import { durableSettings, ourServer, redisServer, referenceServer, type ServerName, type ServerSpec } from './servers.ts';

const usage = `npm run bench:zdb -- [options]
  --reference <path>         real 0-db binary to compare with (or env ZDB_REFERENCE_BIN)
  --requests <n>             requests per pipeline-1 row (default 100000)
  --pipelined-requests <n>   requests per pipeline-16 row (default 300000)
  --sync-requests <n>        requests per durable row (default 5000)
  --get-keys <n>             keys prefilled for the GET rows (default 50000)
  --clients <n>              concurrent connections (default 50)
  --keyspace <n>             random SET keys are drawn below this (default 1000000)
  --servers <list>           subset of ours,0-db,redis (default all)
  --sizes <list>             value sizes in bytes (default 100,4096)
  --pipelines <list>         pipeline depths (default 1,16)
  --phases <list>            subset of fast,durable (default both)`;

const { values: flags } = parseArgs({
  options: {
    reference: { type: 'string' }, requests: { type: 'string' }, 'pipelined-requests': { type: 'string' }, 'sync-requests': { type: 'string' },
    'get-keys': { type: 'string' }, clients: { type: 'string' }, keyspace: { type: 'string' }, servers: { type: 'string' },
    sizes: { type: 'string' }, pipelines: { type: 'string' }, phases: { type: 'string' }, help: { type: 'boolean' },
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
  requests: count(flags.requests, 100_000),
  pipelinedRequests: count(flags['pipelined-requests'], 300_000),
  syncRequests: count(flags['sync-requests'], 5_000),
  getKeys: count(flags['get-keys'], 50_000),
  clients: count(flags.clients, 50),
  keyspace: count(flags.keyspace, 1_000_000),
  sizes: list(flags.sizes, '100,4096').map((size) => count(size, 0)),
  pipelines: list(flags.pipelines, '1,16').map((depth) => count(depth, 0)),
  phases: list(flags.phases, 'fast,durable'),
};
const wanted = list(flags.servers, 'ours,0-db,redis');
const referencePath = flags.reference ?? process.env['ZDB_REFERENCE_BIN'];
const servers: ServerSpec[] = [];
if (wanted.includes('ours')) servers.push(ourServer());
if (wanted.includes('0-db') && referencePath !== undefined) servers.push(referenceServer(referencePath));
if (wanted.includes('redis')) servers.push(redisServer());

type Phase = 'fast' | 'durable';
/** Row label → server → measurement. */
const results = new Map<string, Map<ServerName, Measured>>();
const rowLabel = (phase: Phase, test: string, size: number, pipeline: number): string =>
  `${phase === 'durable' ? 'durable ' : ''}${test.toUpperCase()} ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} P${pipeline}`;

function record(label: string, server: ServerName, measured: Measured): void {
  if (!results.has(label)) results.set(label, new Map());
  results.get(label)!.set(server, measured);
  console.error(`  ${server.padEnd(5)} ${label.padEnd(22)} ${formatNumber(measured.opsPerSec).padStart(9)} ops/s  p50/p99 ${formatMsPair(measured.p50Ms, measured.p99Ms)} ms`);
}

function load(test: 'set' | 'get', size: number, pipeline: number, requests: number, keyspace: number): Load {
  return { test, requests, clients: settings.clients, pipeline, valueBytes: size, keyspace };
}

/** Fresh server per value size: warm-up, SET rows, prefill, GET rows. */
async function runFast(spec: ServerSpec, size: number): Promise<void> {
  const server = await spec.start(false);
  try {
    await redisBenchmark(server.port, load('set', size, 16, 20_000, settings.keyspace)); // warm-up (JIT), not recorded
    for (const pipeline of settings.pipelines) {
      const requests = pipeline === 1 ? settings.requests : settings.pipelinedRequests;
      record(rowLabel('fast', 'set', size, pipeline), spec.name, await redisBenchmark(server.port, load('set', size, pipeline, requests, settings.keyspace)));
    }
    await prefill(server.port, settings.getKeys, size);
    for (const pipeline of settings.pipelines) {
      const requests = pipeline === 1 ? settings.requests : settings.pipelinedRequests;
      record(rowLabel('fast', 'get', size, pipeline), spec.name, await redisBenchmark(server.port, load('get', size, pipeline, requests, settings.getKeys)));
    }
  } finally {
    await server.stop();
  }
}

async function runDurable(spec: ServerSpec, size: number): Promise<void> {
  const server = await spec.start(true);
  try {
    await redisBenchmark(server.port, load('set', size, 16, 1_000, settings.keyspace)); // warm-up, not recorded
    for (const pipeline of settings.pipelines) {
      record(rowLabel('durable', 'set', size, pipeline), spec.name, await redisBenchmark(server.port, load('set', size, pipeline, settings.syncRequests, settings.keyspace)));
    }
  } finally {
    await server.stop();
  }
}

function printResults(title: string, labels: string[]): void {
  const names = servers.map((spec) => spec.name);
  const has0db = names.includes('0-db');
  const hasRedis = names.includes('redis');
  const headers = ['test', ...names.flatMap((name) => [`${name} ops/s`, `${name} p50/p99 ms`])];
  if (names.includes('ours') && has0db) headers.push('ours/0-db (goal ≥ 2)');
  if (names.includes('ours') && hasRedis) headers.push('ours/redis (goal ≥ 0.5)');
  const rows = labels.map((label) => {
    const row = results.get(label)!;
    const cells = [label, ...names.flatMap((name) => {
      const measured = row.get(name);
      return measured === undefined ? ['', ''] : [formatNumber(measured.opsPerSec), formatMsPair(measured.p50Ms, measured.p99Ms)];
    })];
    const ours = row.get('ours')?.opsPerSec ?? NaN;
    if (names.includes('ours') && has0db) cells.push(formatRatio(ours / (row.get('0-db')?.opsPerSec ?? NaN), 2));
    if (names.includes('ours') && hasRedis) cells.push(formatRatio(ours / (row.get('redis')?.opsPerSec ?? NaN), 0.5));
    return cells;
  });
  console.log(`\n${title}`);
  printTable(headers, rows);
}

const startedMs = Date.now();
console.error(`reference: ${referencePath === undefined ? 'not given' : referencePath}`);
for (const phase of settings.phases as Phase[]) {
  for (const spec of servers) {
    for (const size of settings.sizes) {
      if (phase === 'fast') await runFast(spec, size);
      else if (phase === 'durable') await runDurable(spec, size);
    }
  }
}

console.log(`bench/zdb — ${machineLine()}`);
console.log(`reference: ${referencePath === undefined ? 'not given' : referencePath}`);
console.log(
  `redis-benchmark: ${settings.clients} clients; P1 rows ${formatNumber(settings.requests)} requests, P16 rows ${formatNumber(settings.pipelinedRequests)}, ` +
    `durable rows ${formatNumber(settings.syncRequests)}; SET keys random below ${formatNumber(settings.keyspace)}, GET keys prefilled (${formatNumber(settings.getKeys)})`,
);
const fastLabels = [...results.keys()].filter((label) => !label.startsWith('durable'));
const durableLabels = [...results.keys()].filter((label) => label.startsWith('durable'));
if (fastLabels.length > 0) printResults('no fsync (ours and 0-db: page cache, survives kill -9; redis: no persistence)', fastLabels);
if (durableLabels.length > 0) {
  printResults('durable (acknowledged = fsynced)', durableLabels);
  for (const spec of servers) console.log(`  ${spec.name}: ${durableSettings[spec.name]}`);
}
console.log(`\n(${((Date.now() - startedMs) / 1000).toFixed(0)} s)`);
