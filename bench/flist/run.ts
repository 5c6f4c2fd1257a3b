// flist benchmark: pack and unpack MB/s of a generated tree (small and large files, half
// compressible) to/from a directory store, a 0-db store and a warm block cache, beside `tar c`
// and `tar x` of the same tree in the same run. Goal: unpack from a warm cache within 1.5× of
// `tar x` (time ratio). Run: npm run bench:flist -- [--mib 256]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ZdbClient } from '../../src/zdb/index.ts';
import { startOurZdb, tempDir } from '../../src/zdb/server/testing.ts';
import { BlockCache, packDirectory, unpack } from '../../src/flist/index.ts';
import { prng } from '../../src/base/testing.ts';
import { formatNumber, formatRatio, machineLine, printTable } from '../lib/measure.ts';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' } } });
const totalBytes = Number(values.mib) * 2 ** 20;
const work = tempDir('tfgrid-bench-flist-');
const tree = join(work, 'tree');
const random = prng(7);

// The tree: 80% of the bytes in files of 4–256 KiB, 20% in files of 8 MiB; half the files text-like.
let written = 0;
let index = 0;
while (written < totalBytes) {
  const large = written < totalBytes * 0.2;
  const size = large ? 8 * 2 ** 20 : 4096 + Math.floor(random() * 252 * 1024);
  const dir = join(tree, `d${Math.floor(index / 100)}`);
  mkdirSync(dir, { recursive: true });
  const bytes = Buffer.allocUnsafe(size);
  if (index % 2 === 0) for (let i = 0; i < size; i += 4) bytes.writeUInt32LE(Math.floor(random() * 2 ** 32), Math.min(i, size - 4));
  else bytes.fill(`line ${index} of a text-like file, compressible\n`);
  writeFileSync(join(dir, `f${index}.bin`), bytes);
  written += size;
  index++;
}
execFileSync('sync');

function timed(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}
async function timedAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}
const mbps = (seconds: number) => written / 2 ** 20 / seconds;

const tarPack = timed(() => execFileSync('tar', ['cf', join(work, 'tree.tar'), '-C', tree, '.']));

const server = await startOurZdb({ dir: join(work, 'zdb') });
const admin = await ZdbClient.connect({ host: '127.0.0.1', port: server.port }, { timeoutMs: 10_000, reconnect: false });
await admin.nsnew('blocks');
admin.destroy();
const dirStore = { start: 0, end: 255, url: `dir://${join(work, 'store')}` };
const zdbStore = { start: 0, end: 255, url: `zdb://127.0.0.1:${server.port}/blocks` };

const packDir = await timedAsync(() => packDirectory(tree, join(work, 'dir.fl'), { routes: [dirStore] }));
const packZdb = await timedAsync(() => packDirectory(tree, join(work, 'zdb.fl'), { routes: [zdbStore] }));
const cache = new BlockCache(join(work, 'cache'));
const unpackZdb = await timedAsync(() => unpack(join(work, 'zdb.fl'), join(work, 'out-zdb'), { cache }));
const unpackDir = await timedAsync(() => unpack(join(work, 'dir.fl'), join(work, 'out-dir')));
// tar x and the warm-cache unpack alternate after a sync, so both meet the same page cache and
// writeback state; the median of 3 each.
const tarRuns: number[] = [];
const warmRuns: number[] = [];
for (let round = 0; round < 3; round++) {
  execFileSync('sync');
  tarRuns.push(timed(() => {
    mkdirSync(join(work, `tar-out-${round}`));
    execFileSync('tar', ['xf', join(work, 'tree.tar'), '-C', join(work, `tar-out-${round}`)]);
  }));
  execFileSync('sync');
  warmRuns.push(await timedAsync(() => unpack(join(work, 'zdb.fl'), join(work, `out-warm-${round}`), { cache })));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
const tarUnpack = median(tarRuns);
const unpackWarm = median(warmRuns);
await server.stop();
rmSync(work, { recursive: true, force: true });

console.log(`\nflist · ${index} files, ${formatNumber(written / 2 ** 20)} MiB (half compressible) · ${machineLine()}\n`);
printTable(['operation', 'MiB/s', 'seconds', 'time vs tar'], [
  ['tar c (baseline)', formatNumber(mbps(tarPack)), tarPack.toFixed(2), '1.00'],
  ['pack → dir store', formatNumber(mbps(packDir)), packDir.toFixed(2), formatRatio(packDir / tarPack)],
  ['pack → 0-db store', formatNumber(mbps(packZdb)), packZdb.toFixed(2), formatRatio(packZdb / tarPack)],
  ['tar x (baseline)', formatNumber(mbps(tarUnpack)), tarUnpack.toFixed(2), '1.00'],
  ['unpack ← 0-db store (cold cache)', formatNumber(mbps(unpackZdb)), unpackZdb.toFixed(2), formatRatio(unpackZdb / tarUnpack)],
  ['unpack ← dir store (no cache)', formatNumber(mbps(unpackDir)), unpackDir.toFixed(2), formatRatio(unpackDir / tarUnpack)],
  ['unpack ← warm cache', formatNumber(mbps(unpackWarm)), unpackWarm.toFixed(2), `${formatRatio(unpackWarm / tarUnpack)} ${unpackWarm / tarUnpack <= 1.5 ? '✓' : '✗'} goal ≤ 1.5`],
]);
