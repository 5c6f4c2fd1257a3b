// Self-healing benchmark: deploy latency (deploySpec called → every workload ok, which is what
// `tfgrid deploy` waits for after planning) and self-heal time (the node serving the page
// stopped → the page answering again at its new address on another node), over repeated runs
// of the web example on three real Zero-OS nodes (root, runc), with the reconciler at devnet
// settings (tick 300 ms, a silent node given 1.5 s). The stopped node is started again between
// runs. Goals: deploy p50 ≤ 2 s, self-heal ≤ 15 s. Run: npm run bench:selfheal -- [--runs 5]
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/base/index.ts';
import { missingSystem } from '../../src/zos/index.ts';
import { deploySpec, parseSpec, planDeploy, down, Reconciler } from '../../src/bot/index.ts';
import { page, startBotGrid, until, webSpec } from '../../src/bot/testing.ts';
import { machineLine, printTable } from '../lib/measure.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const missing = missingSystem();
if (missing !== undefined) {
  console.log(`bench:selfheal skipped: ${missing}`);
  process.exit(0);
}

const grid = await startBotGrid('c3');
const session = await grid.session();
const store = grid.store(session);
const spec = parseSpec(webSpec(grid));
const log = createLogger({ component: 'bot', level: 'error' });
const deployMs: number[] = [];
const healMs: number[] = [];
try {
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const { plan } = await planDeploy(session, spec);
    const [record] = await deploySpec(session, store, spec, plan);
    deployMs.push(performance.now() - started);
    const first = record!.replicas[0]!;
    await until('the page', () => page(first.ips['httpd']!));
    const reconciler = new Reconciler(session, store, { log, tickMs: 300, heal: { unreachableGraceMs: 1_500, errorGraceMs: 3_000 } });
    reconciler.start();
    const index = grid.nodes.findIndex((n) => n?.nodeId === first.nodeId);
    const killed = performance.now();
    await grid.nodes[index]!.close();
    grid.nodes[index] = undefined;
    await until('the heal', async () => {
      const replica = (await store.use((state) => state.get('web')))?.replicas[0];
      if (replica === undefined || replica.nodeId === 0 || replica.nodeId === first.nodeId) return undefined;
      return page(replica.ips['httpd']!);
    }, 120_000);
    healMs.push(performance.now() - killed);
    await reconciler.stop();
    await down(session, store, 'web');
    await grid.startNode(index);
    console.error(`run ${run + 1}/${runs}: deploy ${deployMs.at(-1)!.toFixed(0)} ms, self-heal ${healMs.at(-1)!.toFixed(0)} ms`);
  }
} finally {
  await session.close();
  await grid.stop();
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number): number => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
console.log(machineLine());
printTable(['measure', 'runs', 'p50 ms', 'max ms', 'goal'], [
  ['deploy (call → all workloads ok)', String(runs), pct(deployMs, 50).toFixed(0), Math.max(...deployMs).toFixed(0), 'p50 ≤ 2000'],
  ['self-heal (node stopped → page answers elsewhere)', String(runs), pct(healMs, 50).toFixed(0), Math.max(...healMs).toFixed(0), '≤ 15000'],
]);
