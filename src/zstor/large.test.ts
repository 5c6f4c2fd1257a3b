// A 200 MB file streamed through store and retrieve over real 0-db processes, with memory
// bounded: the pipeline holds a few segments, never the file. Memory is sampled after a forced
// GC (what the pipeline holds, not garbage V8 has not collected yet): live memory (JS heap +
// buffers; 60–80 MiB measured) must stay under 128 MiB and RSS growth under 256 MiB, where
// buffering the file and its shards would take over 500 MiB. (RSS keeps what glibc does not hand back: it measured 100, 135
// and 153 MiB for 50, 200 and 400 MB files here, flat rather than proportional.) No timing is asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Zstor } from './zstor.ts';
import { generated, startCluster } from './testing.ts';

const fileBytes = Number(process.env["ZSTOR_LARGE_MB"] ?? 200) * 1024 * 1024;
const liveBytesMax = 128 * 1024 * 1024;
const rssGrowthBytesMax = 256 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('200 MB streamed in and out with bounded memory; the bytes come back identical', async () => {
  const cluster = await startCluster({ servers: 3, backendsPerServer: 2, dataShards: 4, parityShards: 2, segmentBytes: 4 * 1024 * 1024, timeoutMs: 30_000 });
  const zstor = Zstor.open(cluster.config);
  try {
    gc();
    const live = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const baseline = process.memoryUsage().rss;
    const liveBaseline = live();
    let peak = baseline;
    let livePeak = liveBaseline;
    let samples = 0;
    const sample = () => {
      if (++samples % 8 !== 0) return;
      gc();
      peak = Math.max(peak, process.memoryUsage().rss);
      livePeak = Math.max(livePeak, live());
    };
    const source = createHash('blake2b512');
    function* tapped() {
      for (const chunk of generated(fileBytes, 42, 1024 * 1024)) {
        source.update(chunk);
        sample();
        yield chunk;
      }
    }
    const info = await zstor.store('large', tapped(), { onProgress: sample });
    assert.equal(info.sizeBytes, fileBytes);
    assert.equal(info.checksum, source.digest('hex'));
    const back = createHash('blake2b512');
    let bytes = 0;
    for await (const chunk of await zstor.retrieve('large')) {
      back.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      sample();
    }
    assert.equal(bytes, fileBytes);
    assert.equal(back.digest('hex'), info.checksum);
    const growth = peak - baseline;
    const liveGrowth = livePeak - liveBaseline;
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
    console.log(`${mib(fileBytes)} file: live memory +${mib(liveGrowth)}, rss +${mib(growth)} (kernel ${zstor.kernel})`);
    assert.ok(liveGrowth < liveBytesMax, `live memory grew by ${mib(liveGrowth)}`);
    assert.ok(growth < rssGrowthBytesMax, `rss grew by ${mib(growth)}`);
  } finally {
    zstor.close();
    await cluster.stop();
  }
});
