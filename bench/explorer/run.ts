// Explorer benchmark: index catch-up rate (transactions/s) over a real `tfgrid chain` process's
// WebSocket feed from block 1, then /nodes latency (p50/p95) with everything indexed, for a
// typical filter set and variations, asked over HTTP of a real `tfgrid explorer` process.
// The chain (100k nodes, 1M node contracts by default) is generated once by generate.ts and
// cached in --dir. Goals (issue #10): catch-up ≥ 10,000 tx/s; filtered /nodes p95 ≤ 20 ms.
// Run: npm run bench:explorer -- [--nodes 100000] [--contracts 1000000] [--queries 300] [--dir /tmp/tfgrid-bench-explorer]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTfgrid } from '../../src/cli/testing.ts';
import { formatMsPair, formatNumber, formatRatio, machineLine, printTable } from '../lib/measure.ts';
import { generate } from './generate.ts';

const { values } = parseArgs({ options: {
  nodes: { type: 'string', default: '100000' }, contracts: { type: 'string', default: '1000000' },
  queries: { type: 'string', default: '300' }, dir: { type: 'string', default: join(tmpdir(), 'tfgrid-bench-explorer') },
} });
const note = (text: string) => process.stderr.write(`${text}\n`);
const gib = 2 ** 30;

function quantiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95) };
}

const dataset = await generate(values.dir, { nodes: Number(values.nodes), contracts: Number(values.contracts) }, note);
const work = mkdtempSync(join(tmpdir(), 'tfgrid-bench-explorer-run-'));
const big = { home: join(work, 'home'), nodeArgs: ['--max-old-space-size=8192'] };
const chain = await startTfgrid<{ url: string }>(['chain', '--data', dataset.dataDir, '--port', '0', '--snapshot-interval', '0'], big);
note(`chain ready at ${chain.ready.url} (${dataset.transactions} transactions in ${dataset.blocks} blocks)`);
const explorer = await startTfgrid<{ url: string }>(['explorer', '--no-web', '--chain', chain.ready.url, '--db', join(work, 'index.sqlite'), '--port', '0'], big);
const started = performance.now();
const url = explorer.ready.url;
/** Polls /health every 250 ms until the generated blocks are indexed; the time it took. */
async function caughtUp(): Promise<number> {
  for (let last = 0; ; ) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    for (const [name, process] of [['chain', chain], ['explorer', explorer]] as const) {
      if (process.child.exitCode !== null || process.child.signalCode !== null) throw new Error(`${name} exited (${process.child.exitCode ?? process.child.signalCode}): ${process.stderr().slice(-3000)}`);
    }
    const health = (await (await fetch(`${url}/health`)).json()) as { height: number };
    if (health.height >= dataset.blocks) return performance.now() - started;
    if (health.height - last >= 50) {
      last = health.height;
      note(`indexed ${health.height} of ${dataset.blocks} blocks (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
}
const caughtUpMs = await caughtUp();
const catchUp = (dataset.transactions * 1000) / caughtUpMs;
note(`caught up in ${(caughtUpMs / 1000).toFixed(1)} s`);

const country = dataset.countries[2]!;
const typical = `status=up&free_mru=${8 * gib}&free_sru=${100 * gib}&size=50`;
const variants: Array<[string, string]> = [
  ['typical: status=up, free_mru ≥ 8 GiB, free_sru ≥ 100 GiB, 50 per page', typical],
  ['typical + country', `${typical}&country=${country}`],
  ['typical, sorted by free_mru desc', `${typical}&sort_by=free_mru&sort_order=desc`],
  ['typical, page 100', `${typical}&page=100`],
  ['farm_ids=1,2,3 + free_hru ≥ 1 TiB', `farm_ids=1,2,3&free_hru=${1024 * gib}`],
  ['ipv4=true, rentable=false, sorted by price', 'ipv4=true&rentable=false&sort_by=price_usd'],
];
const queries = Number(values.queries);
const rows: string[][] = [];
const typicalSamples: number[] = [];
for (const [name, query] of variants) {
  for (let i = 0; i < 20; i++) await (await fetch(`${url}/nodes?${query}`)).arrayBuffer(); // warm-up
  const samples: number[] = [];
  let total = 0;
  for (let i = 0; i < queries; i++) {
    const t = performance.now();
    const response = await fetch(`${url}/nodes?${query}`);
    total = ((await response.json()) as { total: number }).total;
    samples.push(performance.now() - t);
  }
  if (name.startsWith('typical:')) typicalSamples.push(...samples);
  const q = quantiles(samples);
  rows.push([name, total.toLocaleString('en-US'), formatMsPair(q.p50, q.p95)]);
}
const statsStart = performance.now();
await (await fetch(`${url}/stats`)).arrayBuffer();
const statsMs = performance.now() - statsStart;
const typicalQ = quantiles(typicalSamples);

console.log(`\nexplorer · ${machineLine()} · ${formatNumber(Number(values.nodes))} nodes, ${formatNumber(Number(values.contracts))} contracts, ${formatNumber(dataset.transactions)} transactions in ${dataset.blocks} blocks\n`);
printTable(['measure', 'value', 'goal'], [
  ['index catch-up over the WebSocket feed (tx/s)', formatNumber(catchUp), `≥ 10,000: ${formatRatio(catchUp / 10_000, 1)}`],
  ['typical /nodes p50/p95 (ms)', formatMsPair(typicalQ.p50, typicalQ.p95), `p95 ≤ 20 ms: ${formatRatio(20 / typicalQ.p95, 1)}`],
  ['/stats, first call (ms, aggregates over every row)', statsMs.toFixed(0), ''],
]);
console.log('');
printTable(['/nodes query (each over HTTP, one at a time)', 'matches', 'p50/p95 ms'], rows);
await explorer.stop();
await chain.stop();
rmSync(work, { recursive: true, force: true });
