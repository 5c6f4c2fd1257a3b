// Zero-Stor end to end over real `tfgrid zdb` processes: round trips at the edges (empty, tiny,
// segment boundaries, compression), every loss of up to m backends, and the faults the issue
// lists — wrong keys, corrupt and lying shards, a missing, hanging or full backend, lost
// metadata quorum — each a typed error and never wrong data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { rejectionCode } from '../base/testing.ts';
import type { ZdbClient } from '../zdb/index.ts';
import { BackendPool } from './backends.ts';
import { parseConfig } from './config.ts';
import { shardChecksumFor } from './crypto.ts';
import type { ShardRef } from './meta-codec.ts';
import { MetaStore } from './meta-store.ts';
import { Zstor } from './zstor.ts';
import { collect, generated, startCluster, type Cluster } from './testing.ts';

let cluster: Cluster;
let zstor: Zstor;

before(async () => {
  cluster = await startCluster({ servers: 3, backendsPerServer: 2, dataShards: 4, parityShards: 2, redundantGroups: 1, segmentBytes: 4096, compression: 'zstd' });
  zstor = Zstor.open(cluster.config);
});
after(async () => {
  zstor.close();
  await cluster.stop();
});

async function keysOf(client: ZdbClient): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  for await (const entry of client.keys()) keys.push(entry.key);
  return keys;
}

async function roundTrip(z: Zstor, name: string, content: Buffer): Promise<Buffer> {
  await z.store(name, [content]);
  return collect(await z.retrieve(name));
}

test('round trips: empty, tiny, one byte either side of a segment boundary, many segments, compressible', async () => {
  const sizes = [0, 1, 4095, 4096, 4097, 3 * 4096, 50_000];
  for (const size of sizes) {
    const content = await collect(generated(size, size + 1));
    assert.ok((await roundTrip(zstor, `file-${size}`, content)).equals(content), `size ${size}`);
    const info = await zstor.check(`file-${size}`);
    assert.equal(info.sizeBytes, size);
    assert.equal(info.segments, Math.ceil(size / 4096));
  }
  const text = Buffer.from('all work and no play '.repeat(5000));
  assert.ok((await roundTrip(zstor, 'text', text)).equals(text));
  assert.equal(await rejectionCode(zstor.retrieve('no such file')), 'ZSTOR_NOT_FOUND');
  const names = (await zstor.list()).map((f) => f.name);
  for (const size of sizes) assert.ok(names.includes(`file-${size}`));
});

test('storing a name again replaces it; the old version\'s shards are deleted', async () => {
  await zstor.store('replaced', [Buffer.from('first version')]);
  const second = Buffer.from('second version, longer than the first');
  assert.ok((await roundTrip(zstor, 'replaced', second)).equals(second));
});

test('every loss of up to m = 2 of the 6 backends still retrieves (all 22 patterns)', async () => {
  const content = await collect(generated(3 * 4096 + 100, 7));
  await zstor.store('losses', [content]);
  const ids = cluster.config.groups.flat().map((b) => b.id);
  const patterns: string[][] = [[]];
  ids.forEach((a, i) => {
    patterns.push([a]);
    ids.slice(i + 1).forEach((b) => patterns.push([a, b]));
  });
  for (const lost of patterns) {
    // A lost backend: the server refuses the password, so every shard on it is unreachable.
    const text = cluster.toml({ backendOverride: (b) => (lost.includes(`${b.address}/${b.namespace}`) ? { ...b, password: 'lost' } : b) });
    const degraded = Zstor.open(parseConfig(text));
    try {
      assert.ok((await collect(await degraded.retrieve('losses'))).equals(content), `lost ${lost.join(' ')}`);
    } finally {
      degraded.close();
    }
  }
  const lost3 = new Set(ids.slice(0, 3));
  const broken = Zstor.open(parseConfig(cluster.toml({ backendOverride: (b) => (lost3.has(`${b.address}/${b.namespace}`) ? { ...b, password: 'lost' } : b) })));
  try {
    const stream = await broken.retrieve('losses');
    assert.equal(await rejectionCode(collect(stream)), 'ZSTOR_SHARDS_LOST');
  } finally {
    broken.close();
  }
});

test('a wrong master key or metadata key is ZSTOR_WRONG_KEY, not garbage', async () => {
  await zstor.store('keyed', [Buffer.from('secret')]);
  const wrongMaster = Zstor.open(parseConfig(cluster.toml({ masterKey: '33'.repeat(32) })));
  const wrongMeta = Zstor.open(parseConfig(cluster.toml({ metaKey: '44'.repeat(32) })));
  try {
    assert.equal(await rejectionCode(wrongMaster.retrieve('keyed')), 'ZSTOR_WRONG_KEY');
    assert.equal(await rejectionCode(wrongMeta.retrieve('keyed')), 'ZSTOR_WRONG_KEY');
  } finally {
    wrongMaster.close();
    wrongMeta.close();
  }
});

test('bit flips and a lying backend are detected on read, and scrub repairs them', async () => {
  const content = await collect(generated(2 * 4096, 99));
  await zstor.store('rot', [content]);
  // Flip a bit in the first shard of every data namespace on server 0, and replace whatever is
  // on server 1's first namespace with plausible but wrong bytes (a lying backend).
  const flips = await cluster.dataClient(0, 0);
  const liar = await cluster.dataClient(1, 0);
  let damaged = 0;
  try {
    // Keys first: overwriting while a SCAN cursor is open invalidates the cursor.
    for (const key of await keysOf(flips)) {
      const value = (await flips.get(key))!;
      value[value.length - 1]! ^= 0x01;
      await flips.set(key, value);
      damaged++;
    }
    for (const key of await keysOf(liar)) {
      const value = (await liar.get(key))!;
      await liar.set(key, Buffer.alloc(value.length, 0x5a));
      damaged++;
    }
  } finally {
    flips.destroy();
    liar.destroy();
  }
  assert.ok(damaged > 0);
  assert.ok((await collect(await zstor.retrieve('rot'))).equals(content), 'read around the bad shards');
  const [report] = await zstor.scrub('rot');
  assert.ok(report!.shardsBad > 0, 'scrub finds the damage');
  assert.equal(report!.shardsRepaired, report!.shardsBad);
  assert.equal(report!.segmentsLost, 0);
  const [again] = await zstor.scrub('rot', { repair: false });
  assert.equal(again!.shardsBad, 0, `after repair: ${again!.problems.join('; ')}`);
  assert.ok((await collect(await zstor.retrieve('rot'))).equals(content));
});

for (const [version, algorithm] of [[1, 'blake2b'], [2, 'sha256']] as const) {
  test(`metadata version ${version} (${algorithm} shard checksums) is still read, scrubbed and repaired as version ${version}`, async () => {
    const name = `v${version}`;
    const content = await collect(generated(3 * 4096, 7));
    await zstor.store(name, [content]);
    // Rewrite the metadata as an older zstor wrote it: its version, its checksums of the same shards.
    const pool = new BackendPool({ timeoutMs: 5000 });
    const metaStore = new MetaStore(pool, cluster.config.meta);
    const backends = new Map(cluster.config.groups.flat().map((b) => [b.id, b]));
    const valueOf = async (ref: ShardRef) => (await pool.use(backends.get(ref.backend)!, (c) => c.get(ref.key)))!;
    try {
      const meta = await metaStore.read(name);
      assert.equal(meta.shardChecksum, 'gmac');
      const old = shardChecksumFor(algorithm, cluster.config.masterKey, meta.fileId);
      const segments = await Promise.all(meta.segments.map(async (s, si) => ({ ...s, shards: await Promise.all(s.shards.map(async (ref, i) => ({ ...ref, checksum: old(await valueOf(ref), si, i) }))) })));
      await metaStore.write({ ...meta, shardChecksum: algorithm, segments });
      assert.ok((await collect(await zstor.retrieve(name))).equals(content));
      const damaged = segments[1]!.shards[0]!;
      const value = await valueOf(damaged);
      value[value.length - 1]! ^= 0x01;
      await pool.use(backends.get(damaged.backend)!, (c) => c.set(damaged.key, value));
      const [report] = await zstor.scrub(name);
      assert.equal(report!.shardsBad, 1);
      assert.equal(report!.shardsRepaired, 1);
      assert.equal((await metaStore.read(name)).shardChecksum, algorithm, 'a repair keeps the file\'s checksum algorithm');
      const [again] = await zstor.scrub(name, { repair: false });
      assert.equal(again!.shardsBad, 0, `after repair: ${again!.problems.join('; ')}`);
      assert.ok((await collect(await zstor.retrieve(name))).equals(content));
    } finally {
      pool.close();
    }
  });
}

test('a hanging backend (accepts, never answers) costs a timeout, not the store or the read', async () => {
  const sockets: Socket[] = [];
  const hanging: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const port = (hanging.address() as { port: number }).port;
  const text = cluster.toml({ extraGroups: [[{ address: `127.0.0.1:${port}`, namespace: 'hang', password: 'x' }]] }).replace(/timeout_ms = \d+/, 'timeout_ms = 300');
  const withHang = Zstor.open(parseConfig(text));
  try {
    const content = await collect(generated(10_000, 5));
    await withHang.store('hang', [content]);
    assert.ok((await collect(await withHang.retrieve('hang'))).equals(content));
    const status = await withHang.status();
    assert.equal(status.data.find((b) => b.id.endsWith(`${port}/hang`))?.reachable, false);
  } finally {
    withHang.close();
    for (const s of sockets) s.destroy();
    hanging.close();
  }
});

test('metadata quorum lost is ZSTOR_META_QUORUM_LOST; writes need every metadata backend', async () => {
  await zstor.store('quorum', [Buffer.from('q')]);
  const metaLost = (count: number) => parseConfig(cluster.toml({ backendOverride: (b) => (/meta[0-9]$/.test(b.namespace) && Number(b.namespace.slice(4)) < count ? { ...b, password: 'lost' } : b) }));
  const two = Zstor.open(metaLost(2));
  const three = Zstor.open(metaLost(3));
  try {
    assert.equal((await collect(await two.retrieve('quorum'))).toString(), 'q', 'two of four metadata backends are a quorum');
    assert.equal(await rejectionCode(two.store('quorum-2', [Buffer.from('x')])), 'ZSTOR_META_WRITE_FAILED');
    assert.equal(await rejectionCode(three.retrieve('quorum')), 'ZSTOR_META_QUORUM_LOST');
  } finally {
    two.close();
    three.close();
  }
});
