// The on-disk codecs and the write algorithms reproduce the real 0-db v2.0.7 bytes: CRC vectors,
// header/item/descriptor codecs, and whole files compared with golden bytes from the binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, crc32cJs, crc32cKernel } from './crc32c.ts';
import {
  decodeCursor, decodeDataHeader, decodeDescriptor, decodeIndexHeader, decodeIndexItem, encodeCursor, encodeDescriptor, encodeIndexItem,
  seqIdOf, seqKey,
} from './format.ts';
import { GOLDEN, GOLDEN_COMMANDS } from './golden.fixtures.ts';
import { prng, seedFromEnv } from '../../base/testing.ts';
import { openTestZdb, plain, tempDir } from './testing.ts';

const seed = seedFromEnv();
const label = `SEED=${seed}`;

test('crc32c is 0-db\'s CRC-32C: init 0, no final xor', () => {
  const hex = (s: string | Buffer): string => crc32c(typeof s === 'string' ? Buffer.from(s) : s).toString(16).padStart(8, '0');
  assert.equal(hex(''), '00000000');
  assert.equal(hex('123456789'), '58e3fa20');
  assert.equal(hex('bar'), '6ad3b04b');
  assert.equal(hex('world'), '74d8f77b');
  assert.equal(hex('AAAA'), '4b622734');
  assert.equal(hex('hello'), 'df03cd79');
  assert.equal(hex('a'.repeat(200000)), '26e535e8');
  const bytes = Buffer.from('xx123456789yy');
  assert.equal(crc32c(bytes, 2, 11), 0x58e3fa20, 'a sub-range is checksummed without copying');
});

test('crc32c: the WebAssembly and JavaScript loops agree on every length, range and chained start', () => {
  assert.equal(crc32cKernel, 'wasm', 'Node 24 has WebAssembly: the fast loop is the one in use');
  const random = prng(seed);
  const bytes = Buffer.from(Array.from({ length: 200_000 }, () => Math.floor(random() * 256)));
  const cases: [number, number][] = [];
  for (let length = 0; length <= 300; length++) cases.push([1 + (length % 7), 1 + (length % 7) + length]);
  for (let i = 0; i < 200; i++) {
    const start = Math.floor(random() * 1000);
    cases.push([start, start + Math.floor(random() * (bytes.length - start))]); // up to past 64 KiB: several chunks
  }
  for (const [start, end] of cases) {
    const previous = Math.floor(random() * 2 ** 32);
    assert.equal(crc32c(bytes, start, end), crc32cJs(bytes, start, end), `${label} [${start}, ${end})`);
    assert.equal(crc32c(bytes, start, end, previous), crc32cJs(bytes, start, end, previous), `${label} [${start}, ${end}) from ${previous}`);
  }
  const middle = 70_001;
  assert.equal(crc32c(bytes, middle, bytes.length, crc32c(bytes, 0, middle)), crc32c(bytes), `${label} chained = whole`);
});

test('codecs round-trip and decode the golden files', () => {
  const index = Buffer.from(GOLDEN.defaultIndex, 'hex');
  assert.deepEqual(decodeIndexHeader(index), { ok: true, fileId: 0, mode: 0 });
  assert.deepEqual(decodeIndexHeader(Buffer.from(GOLDEN.seqIndex, 'hex')), { ok: true, fileId: 0, mode: 1 });
  assert.deepEqual(decodeDataHeader(Buffer.from(GOLDEN.defaultData, 'hex')), { ok: true, fileId: 0, mode: 0 });
  assert.equal(decodeIndexHeader(index.subarray(0, 20)).ok, false);
  const item = decodeIndexItem(index, 29);
  assert.deepEqual(item, { idLength: 3, dataOffset: 28, length: 3, previous: 0, flags: 1, dataId: 0, timestamp: 1000, crc: 0x6ad3b04b, parentId: 0, parentOffset: 0 });
  const target = Buffer.alloc(64);
  const written = encodeIndexItem(target, 0, item, Buffer.from('foo'));
  assert.equal(target.subarray(0, written).toString('hex'), index.subarray(29, 29 + 37).toString('hex'));
  const descriptor = decodeDescriptor(Buffer.from(GOLDEN.seqDescriptor, 'hex'));
  assert.deepEqual(descriptor, { ok: true, descriptor: { maxsizeBytes: 0, public: true, worm: false, password: 'pw' } });
  assert.equal(encodeDescriptor('seqns', { maxsizeBytes: 0, public: true, worm: false, password: 'pw' }).toString('hex'), GOLDEN.seqDescriptor);
  const cursor = { idLength: 3, fileId: 2, length: 9, indexOffset: 105, crc: 0xe00ae084 };
  assert.deepEqual(decodeCursor(encodeCursor(cursor)), cursor);
  assert.equal(decodeCursor(Buffer.alloc(5)), null);
  assert.equal(seqIdOf(seqKey(2 ** 40 + 7)), 2 ** 40 + 7);
  assert.equal(seqIdOf(Buffer.from('abc')), -1);
});

test('the same commands write byte-identical files to the real 0-db v2.0.7', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const z = await openTestZdb(dir);
    for (const command of GOLDEN_COMMANDS) {
      const reply = plain(await z.run(...command));
      assert.ok(typeof reply !== 'string' || !reply.startsWith('-'), `${String(command[0])} failed: ${String(reply)}`);
    }
    assert.deepEqual(plain(await z.run('HISTORY', Buffer.alloc(8))), ['\x00\x00\x00\x00q\x00\x00\x00', '1001', 'CCCC']);
    await z.close();
    const file = (path: string): string => readFileSync(join(dir, path)).toString('hex');
    assert.equal(file('index/default/zdb-namespace'), GOLDEN.defaultDescriptor);
    assert.equal(file('index/default/i0'), GOLDEN.defaultIndex);
    assert.equal(file('data/default/d0'), GOLDEN.defaultData);
    assert.equal(file('index/seqns/zdb-namespace'), GOLDEN.seqDescriptor);
    assert.equal(file('index/seqns/i0'), GOLDEN.seqIndex);
    assert.equal(file('data/seqns/d0'), GOLDEN.seqData);
  } finally {
    cleanup();
  }
});
