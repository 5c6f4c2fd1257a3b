// ValueCache against a model: whatever it answers is exactly the bytes inserted under that
// (generation, file, offset) with that length and CRC; it forgets in FIFO order within its ring
// and entry bounds. Then through the commands: GET/MGET with a tiny cache over FLUSH, RELOAD and
// NSDEL, which reuse data offsets with other bytes. Random inputs are seeded (SEED=… replays).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng, seedFromEnv } from '../../base/testing.ts';
import { crc32c } from './crc32c.ts';
import { ValueCache } from './valuecache.ts';
import { openTestZdb, plain, tempDir } from './testing.ts';

const seed = seedFromEnv();
const label = `SEED=${seed}`;

test('value cache: hits return the inserted bytes; a mismatched length, CRC or generation misses', () => {
  const cache = new ValueCache(4096);
  const target = Buffer.alloc(512);
  const location = { dataId: 2, dataOffset: 1000, length: 5, crc: 0xfffffff0 };
  assert.equal(cache.copyTo(1, location, target), false);
  cache.insert(1, location, Buffer.from('hello'));
  assert.equal(cache.copyTo(1, location, target), true);
  assert.equal(target.subarray(0, 5).toString(), 'hello');
  assert.equal(cache.copyTo(2, location, target), false, 'another generation');
  assert.equal(cache.copyTo(1, { ...location, crc: 1 }, target), false, 'another CRC');
  assert.equal(cache.copyTo(1, { ...location, length: 4 }, target), false, 'another length');
  assert.equal(cache.copyTo(1, { ...location, dataId: 3 }, target), false, 'another file');
  cache.insert(1, { ...location, dataOffset: 2000, length: 0 }, Buffer.alloc(0));
  cache.insert(1, { ...location, dataOffset: 3000, length: 600 }, Buffer.alloc(600));
  assert.equal(cache.size, 1, 'empty values and values over an eighth of the ring are not kept');
});

test('value cache: offer() admits every miss until the ring is full, then about one in eight', () => {
  const cache = new ValueCache(16 * 1024);
  const value = Buffer.alloc(100, 7);
  const at = (i: number) => ({ dataId: 0, dataOffset: i * 100, length: 100, crc: 9 });
  const target = Buffer.alloc(100);
  let i = 0;
  for (; i < 128; i++) {
    cache.offer(1, at(i), value);
    assert.equal(cache.copyTo(1, at(i), target), true, `offer ${i} before the ring is full is admitted`);
  }
  let admitted = 0;
  const later = 8000;
  for (; i < 128 + later; i++) {
    cache.offer(1, at(i), value);
    if (cache.copyTo(1, at(i), target)) admitted++;
  }
  assert.ok(admitted > later / 8 * 0.8 && admitted < later / 8 * 1.2, `admitted ${admitted} of ${later} once full`);
  // A value read again and again gets in after a few misses.
  let misses = 0;
  while (!cache.copyTo(1, at(999_999), target)) {
    cache.offer(1, at(999_999), value);
    misses++;
    assert.ok(misses < 200, 'a hot value is admitted');
  }
});

test('value cache: random inserts and lookups agree with a model of what it may still hold', () => {
  const random = prng(seed);
  for (const ringBytes of [2048, 5000, 65536]) {
    const cache = new ValueCache(ringBytes);
    const inserted = new Map<string, Buffer>();
    const target = Buffer.alloc(cache.valueBytesMax);
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const generation = 1 + Math.floor(random() * 3);
      const dataOffset = Math.floor(random() * 300) * 7;
      const key = `${generation}/${dataOffset}`;
      const known = inserted.get(key);
      const length = known?.length ?? 1 + Math.floor(random() * cache.valueBytesMax);
      const value = known ?? Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
      const location = { dataId: 0, dataOffset, length, crc: value[0]! * 65536 + length };
      if (cache.copyTo(generation, location, target)) {
        hits++;
        assert.ok(known !== undefined, `${label} a hit for something never inserted`);
        assert.deepEqual(target.subarray(0, length), known, `${label} a hit serves exactly the inserted bytes`);
      } else {
        cache.insert(generation, location, value);
        inserted.set(key, value);
        assert.equal(cache.copyTo(generation, location, target), true, `${label} just inserted`);
        assert.deepEqual(target.subarray(0, length), value, `${label} just inserted`);
      }
      assert.ok(cache.size <= Math.max(16, Math.floor(ringBytes / 128)), `${label} entry bound`);
    }
    assert.ok(hits > 0, `${label} some hits with ${ringBytes} bytes`);
  }
});

test('GET/MGET with a small read cache: same answers as without, across overwrites, FLUSH, RELOAD and NSDEL', async () => {
  const random = prng(seed);
  const { dir, cleanup } = tempDir();
  const z = await openTestZdb(dir, { readCacheBytes: 8192, datasizeBytes: 64 * 1024 });
  try {
    // FLUSH needs a private namespace.
    for (const args of [['NSNEW', 'work'], ['NSSET', 'work', 'password', 'pw'], ['NSSET', 'work', 'public', '0'], ['SELECT', 'work', 'pw']]) {
      assert.equal(plain(await z.run(...args)), '+OK');
    }
    const model = new Map<string, string>();
    const check = async (when: string): Promise<void> => {
      for (let k = 0; k < 40; k++) {
        const key = `k${k}`;
        assert.equal(plain(await z.run('GET', key)), model.get(key) ?? null, `${label} ${when}: GET ${key}`);
      }
      const keys = ['k1', 'k2', 'k39', 'k7'];
      assert.deepEqual(plain(await z.run('MGET', ...keys)), keys.map((key) => model.get(key) ?? null), `${label} ${when}: MGET`);
    };
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 300; i++) {
        const key = `k${Math.floor(random() * 40)}`;
        if (random() < 0.1 && model.has(key)) {
          await z.run('DEL', key);
          model.delete(key);
        } else {
          const value = `r${round}i${i}-`.repeat(1 + Math.floor(random() * 60));
          await z.run('SET', key, value);
          model.set(key, value);
        }
        if (random() < 0.3) await check(`round ${round} step ${i}`);
      }
      await check(`round ${round}`);
      assert.equal(plain(await z.run('RELOAD', 'work')), '+OK');
      await check(`round ${round} after RELOAD`);
      // FLUSH: the next SETs reuse the same data offsets with other bytes of the same lengths.
      assert.equal(plain(await z.run('FLUSH')), '+OK');
      const replay = [...model];
      model.clear();
      await check(`round ${round} after FLUSH`);
      for (const [key, value] of replay) {
        const other = value.replace(/r\d/g, `R${round}`);
        await z.run('SET', key, other);
        model.set(key, other);
      }
      await check(`round ${round} after FLUSH and rewrite`);
    }
    // A value of the same length and CRC at the same offset after FLUSH: only the generation tells
    // them apart. With init 0 and no final xor, the CRC is linear and m ‖ le32(crc(m)) has CRC 0,
    // so xoring that into A keeps A's CRC.
    const a = Buffer.from('the first value, long enough to xor into');
    const m = Buffer.from('a different prefix of the same len');
    const zeroCrc = Buffer.concat([m, Buffer.alloc(4)]);
    zeroCrc.writeUInt32LE(crc32c(m), m.length);
    const b = Buffer.from(a.map((byte, i) => byte ^ (zeroCrc[i] ?? 0)));
    assert.equal(crc32c(b), crc32c(a));
    assert.notDeepEqual(b, a);
    for (const args of [['NSNEW', 'crc'], ['NSSET', 'crc', 'password', 'pw'], ['NSSET', 'crc', 'public', '0'], ['SELECT', 'crc', 'pw']]) {
      assert.equal(plain(await z.run(...args)), '+OK');
    }
    await z.run('SET', 'same', a);
    assert.equal(plain(await z.run('GET', 'same')), a.toString('latin1'));
    assert.equal(plain(await z.run('FLUSH')), '+OK');
    await z.run('SET', 'same', b);
    assert.equal(plain(await z.run('GET', 'same')), b.toString('latin1'), 'the cached bytes of before the FLUSH are not served');
    // NSDEL and NSNEW of the same name: a new namespace over the same paths.
    await z.run('NSNEW', 'other');
    await z.run('SELECT', 'other');
    await z.run('SET', 'x', 'first');
    assert.equal(plain(await z.run('GET', 'x')), 'first');
    await z.run('SELECT', 'work', 'pw');
    await z.run('NSDEL', 'other');
    await z.run('NSNEW', 'other');
    await z.run('SELECT', 'other');
    await z.run('SET', 'x', 'FIRST');
    assert.equal(plain(await z.run('GET', 'x')), 'FIRST', 'same name, same offset, same length and no stale bytes');
  } finally {
    await z.close();
    cleanup();
  }
});
