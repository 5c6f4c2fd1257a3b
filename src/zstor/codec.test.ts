// The pure codecs: README golden bytes for shards and metadata, metadata bounds checks, the
// TOML subset and the config schema, metadata dispersal with forged, stale and missing shards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { goldenHex, rejectionCode } from '../base/testing.ts';
import { decodeShard, encodeShard } from './shard.ts';
import { joinBlob, openSegment, sealSegment } from './segment.ts';
import { decodeMeta, encodeMeta, type FileMeta } from './meta-codec.ts';
import { decodeMetaShards, encodeMetaShards } from './meta-shard.ts';
import { parseToml } from './toml.ts';
import { parseConfig } from './config.ts';
import { shardChecksumFor } from './crypto.ts';

const readme = join(import.meta.dirname, 'README.md');
const attempt = (fn: () => unknown) => rejectionCode(Promise.resolve().then(fn));
const fileId = Buffer.alloc(16, 0xf1);
const sample: FileMeta = {
  name: '/a', fileId, sizeBytes: 3, checksum: Buffer.alloc(64, 0xcc), keyCheck: Buffer.alloc(16, 0xee), dataShards: 1, parityShards: 1, segmentBytes: 4096, compression: 'zstd', createdMs: 1_700_000_000_000,
  segments: [{ plainBytes: 3, blobBytes: 32, shards: [
    { backend: 'h:1/n', key: Buffer.from('0100000000000000', 'hex'), checksum: Buffer.alloc(16, 0xaa) },
    { backend: 'h:2/n', key: Buffer.from('0700000000000000', 'hex'), checksum: Buffer.alloc(16, 0xbb) },
  ] }],
  shardChecksum: 'gmac',
};

test('shard and metadata bytes are the README\'s golden bytes, and decode back', async () => {
  const shard = encodeShard({ index: 5, dataShards: 4, parityShards: 2, segment: 1, fileId }, Buffer.from('abc'));
  assert.equal(shard.toString('hex'), goldenHex(readme, 'shard'));
  assert.equal(decodeShard(shard).payload.toString(), 'abc');
  const meta = encodeMeta(sample);
  assert.equal(meta.toString('hex'), goldenHex(readme, 'meta'));
  assert.deepEqual(decodeMeta(meta), sample);
  for (let cut = 0; cut < meta.length; cut++) assert.equal(await attempt(() => decodeMeta(meta.subarray(0, cut))), 'ZSTOR_META_INVALID', `cut at ${cut}`);
  // Versions 1 and 2 (BLAKE2b, SHA-256 shard checksums) differ only in their first byte, and are still read.
  for (const [version, shardChecksum] of [[1, 'blake2b'], [2, 'sha256']] as const) {
    const older = encodeMeta({ ...sample, shardChecksum });
    assert.equal(older[0], version);
    assert.ok(older.subarray(1).equals(meta.subarray(1)));
    assert.deepEqual(decodeMeta(older), { ...sample, shardChecksum });
  }
  for (const version of [0, 4]) {
    const wrongVersion = Buffer.from(meta);
    wrongVersion[0] = version;
    assert.equal(await attempt(() => decodeMeta(wrongVersion)), 'ZSTOR_META_INVALID');
  }
  assert.equal(await attempt(() => decodeShard(Buffer.from(shard.subarray(0, 30)))), 'ZSTOR_SHARD_INVALID');
});

test('GMAC shard checksums: 16 bytes, deterministic, bound to the value, its place and the file key', () => {
  // Goal: a checksum changes with anything a backend could swap or forge. Method: vary each input.
  const masterKey = Buffer.alloc(32, 1);
  const value = Buffer.from('shard value');
  const checksum = shardChecksumFor('gmac', masterKey, fileId);
  const tag = checksum(value, 3, 1);
  assert.equal(tag.length, 16);
  assert.ok(shardChecksumFor('gmac', masterKey, fileId)(value, 3, 1).equals(tag), 'the same file key, place and value give the same tag');
  const others = [
    checksum(Buffer.from('shard valuf'), 3, 1), checksum(value, 4, 1), checksum(value, 3, 2),
    shardChecksumFor('gmac', Buffer.alloc(32, 2), fileId)(value, 3, 1), shardChecksumFor('gmac', masterKey, Buffer.alloc(16, 0xf2))(value, 3, 1),
    shardChecksumFor('sha256', masterKey, fileId)(value, 3, 1),
  ];
  for (const [i, other] of others.entries()) assert.ok(!other.equals(tag), `variant ${i} differs`);
});

test('a segment sealed straight into its shards opens again, padding and shards that are all padding included', async () => {
  const context = { key: Buffer.alloc(32, 3), fileId, segment: 9 };
  for (const dataShards of [1, 4, 32, 40]) {
    for (const size of [1, 100, 4096]) {
      const plain = Buffer.alloc(size, size & 0xff);
      const sealed = await sealSegment(plain, context, { algorithm: 'none', level: 3 }, { dataShards, headroom: 5 });
      assert.equal(sealed.parts.length, dataShards);
      assert.equal(sealed.shardBytes, Math.ceil(sealed.blobBytes / dataShards));
      const blob = Buffer.concat(sealed.parts.map((p) => p.subarray(5)));
      assert.ok(blob.subarray(sealed.blobBytes).every((b) => b === 0), 'zero padding');
      assert.ok((await openSegment(joinBlob(sealed.parts.map((p) => p.subarray(5)), sealed.blobBytes), context, size)).equals(plain), `${dataShards} shards, ${size} bytes`);
    }
  }
});

test('metadata dispersal: any quorum decodes; forged, stale and foreign shards never win', async () => {
  const metaKey = Buffer.alloc(32, 7);
  const plain = encodeMeta(sample);
  const older = encodeMetaShards(Buffer.from('old'), { key: 'k', metaKey, backends: 4, writtenMs: 1 });
  const newer = encodeMetaShards(plain, { key: 'k', metaKey, backends: 4, writtenMs: 2 });
  assert.ok(decodeMetaShards([newer[0]!, undefined, null, newer[3]!], { key: 'k', metaKey }).equals(plain));
  assert.ok(decodeMetaShards([older[0]!, newer[1]!, older[2]!, newer[3]!], { key: 'k', metaKey }).equals(plain), 'the newest write with a quorum');
  assert.equal(decodeMetaShards([older[0]!, newer[1]!, older[2]!, undefined], { key: 'k', metaKey }).toString(), 'old', 'a crash mid-write leaves the old version');
  const flipped = Buffer.from(newer[1]!);
  flipped[flipped.length - 1]! ^= 1;
  assert.equal(await attempt(() => decodeMetaShards([newer[0]!, flipped, undefined, undefined], { key: 'k', metaKey })), 'ZSTOR_META_QUORUM_LOST');
  assert.equal(await attempt(() => decodeMetaShards([null, null, null, newer[3]!], { key: 'k', metaKey })), 'ZSTOR_NOT_FOUND');
  assert.equal(await attempt(() => decodeMetaShards(newer, { key: 'other', metaKey })), 'ZSTOR_META_QUORUM_LOST', 'values copied under another key do not authenticate');
  assert.equal(await attempt(() => decodeMetaShards(newer, { key: 'k', metaKey: Buffer.alloc(32, 8) })), 'ZSTOR_WRONG_KEY');
});

test('TOML subset: tables, arrays of tables, strings, integers, arrays; errors name the line', async () => {
  const parsed = parseToml('a = 1_000 # comment\nb = "x#y\\n"\nc = [1, \'two\', true]\n[t.u]\nv = -3\n[[g]]\n[[g.b]]\nk = "1"\n[[g.b]]\nk = "2"\n[[g]]\n');
  assert.deepEqual(parsed, { a: 1000, b: 'x#y\n', c: [1, 'two', true], t: { u: { v: -3 } }, g: [{ b: [{ k: '1' }, { k: '2' }] }, {}] });
  assert.deepEqual(parseToml('"x\\"=y" = "v # not a comment" # comment\n'), { 'x"=y': 'v # not a comment' }, 'an escaped quote does not end a quoted key');
  for (const bad of ['a = 1\na = 2', 'a = 1.5', 'a = "open', '[t', 'a = [1,\n2]', 'just words']) {
    assert.equal(await attempt(() => parseToml(bad)), 'ZSTOR_CONFIG_INVALID', bad);
  }
});

test('config: 0-stor\'s keys; bad values are ZSTOR_CONFIG_INVALID naming the key', () => {
  const backend = (port: number, ns = 'd') => `address = "127.0.0.1:${port}"\nnamespace = "${ns}"\n`;
  const text = (head: string) => [head, '[encryption]', 'algorithm = "AES"', `key = "${'00'.repeat(32)}"`, '[meta]', 'type = "zdb"', '[meta.config]', 'prefix = "p"',
    '[meta.config.encryption]', 'algorithm = "AES"', `key = "${'01'.repeat(32)}"`, `[[meta.config.backends]]\n${backend(1, 'm')}`, `[[meta.config.backends]]\n${backend(2, 'm')}`,
    '[[groups]]', `[[groups.backends]]\n${backend(1)}`, `[[groups.backends]]\n${backend(2)}`, '[[groups]]', `[[groups.backends]]\n${backend(3)}`].join('\n');
  const config = parseConfig(text('minimal_shards = 2\nexpected_shards = 3'));
  assert.equal(config.dataShards, 2);
  assert.equal(config.parityShards, 1);
  assert.equal(config.groups[1]![0]!.id, '127.0.0.1:3/d');
  assert.equal(config.segmentBytes, 4 * 1024 * 1024);
  const message = (head: string): string => {
    try {
      parseConfig(text(head));
      return 'none';
    } catch (error) {
      return (error as Error).message;
    }
  };
  assert.match(message('minimal_shards = 2\nexpected_shards = 4'), /ZSTOR_CONFIG_INVALID.*4 expected_shards need at least as many backends/);
  assert.match(message('minimal_shards = 3\nexpected_shards = 3'), /minimal_shards must be below/);
  assert.match(message('minimal_shards = 1\nexpected_shards = 2\nsegment_size = 16777216'), /0-db takes at most/);
  assert.match(message('minimal_shards = 2\nexpected_shards = 3\nsurprise = 1'), /ZSTOR_CONFIG_INVALID/);
  assert.match(message('expected_shards = 3'), /minimal_shards/);
  // Metadata names a backend by `address/namespace` after a one-byte length.
  const longHost = `${'h'.repeat(200)}.example`;
  const long = text('minimal_shards = 2\nexpected_shards = 3').replace('address = "127.0.0.1:3"\nnamespace = "d"', `address = "${longHost}:3"\nnamespace = "${'n'.repeat(60)}"`);
  assert.throws(() => parseConfig(long), /ZSTOR_CONFIG_INVALID.*at most 255 bytes/);
});
