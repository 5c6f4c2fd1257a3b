// Engine behaviour through the command layer: both modes, history, scan, rotation, restarts,
// index rebuilds, torn tails and corruption, checked against a model with a seeded PRNG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTestZdb, plain, prng, tempDir, type TestZdb } from './testing.ts';

async function withZdb(body: (z: TestZdb, dir: string) => Promise<void>, options: Parameters<typeof openTestZdb>[1] = {}): Promise<void> {
  const { dir, cleanup } = tempDir();
  const z = await openTestZdb(dir, options);
  try {
    await body(z, dir);
  } finally {
    await z.close().catch(() => undefined);
    cleanup();
  }
}

/** Every live key's value, via SCAN + GET, as a sorted list of [key, value] (latin1). */
async function dump(z: TestZdb): Promise<[string, string][]> {
  const out: [string, string][] = [];
  let page = plain(await z.run('SCAN'));
  while (Array.isArray(page)) {
    const [cursor, items] = page as [string, [string, number, number][]];
    for (const [key] of items) out.push([key, plain(await z.run('GET', Buffer.from(key, 'latin1'))) as string]);
    page = plain(await z.run('SCAN', Buffer.from(cursor, 'latin1')));
  }
  assert.equal(page, '-No more data');
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

test('user mode: set, overwrite, history chain, delete, scan and rscan order', async () => {
  await withZdb(async (z) => {
    assert.equal(plain(await z.run('SET', 'a', '1')), 'a');
    assert.equal(plain(await z.run('SET', 'b', '2')), 'b');
    assert.equal(plain(await z.run('SET', 'a', '1')), null, 'same value: nothing written');
    z.clock.nowMs += 1000;
    assert.equal(plain(await z.run('SET', 'a', '11')), 'a');
    assert.equal(plain(await z.run('GET', 'a')), '11');
    const [cursor, , value] = plain(await z.run('HISTORY', 'a')) as [string, string, string];
    assert.equal(value, '11');
    assert.deepEqual((plain(await z.run('HISTORY', 'a', Buffer.from(cursor, 'latin1'))) as unknown[]).slice(0, 3), [null, '1700000000', '1']);
    const scan = plain(await z.run('SCAN')) as [string, [string, number, number][]];
    assert.deepEqual(scan[1].map((item) => item[0]), ['b', 'a'], 'physical order: a was rewritten after b');
    const rscan = plain(await z.run('RSCAN')) as [string, [string, number, number][]];
    assert.deepEqual(rscan[1].map((item) => item[0]), ['a', 'b']);
    assert.equal(plain(await z.run('DEL', 'b')), '+OK');
    assert.equal(plain(await z.run('GET', 'b')), null);
    assert.equal(plain(await z.run('DBSIZE')), 1);
  });
});

test('seq mode: ids, updates burn an id, deleted ids stay dead, survive restart', async () => {
  await withZdb(async (z) => {
    await z.run('NSNEW', 's');
    assert.equal(plain(await z.run('NSSET', 's', 'mode', 'seq')), '+OK');
    await z.run('SELECT', 's');
    const id = (n: number): Buffer => Buffer.from([n, 0, 0, 0, 0, 0, 0, 0]);
    for (const value of ['A', 'B', 'C']) await z.run('SET', '', value);
    assert.equal(plain(await z.run('SET', id(0), 'AA')), id(0).toString('latin1'));
    assert.equal(plain(await z.run('SET', '', 'D')), id(4).toString('latin1'), 'id 3 burned by the update');
    assert.equal(plain(await z.run('GET', id(3))), null);
    assert.equal(plain(await z.run('DEL', id(1))), '+OK');
    assert.equal(plain(await z.run('SET', id(9), 'x')), '-Invalid key, only update authorized');
    const restarted = await z.restart();
    await restarted.run('SELECT', 's');
    const values = [];
    for (const n of [0, 1, 2, 3, 4]) values.push(plain(await restarted.run('GET', id(n))));
    assert.deepEqual(values, ['AA', null, 'C', null, 'D']);
    assert.equal(plain(await restarted.run('SET', '', 'E')), id(5).toString('latin1'));
    await restarted.close();
  });
});

test('a tiny datasize rotates through many files; restart, index loss and rebuild give the same answers', async () => {
  const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
  const random = prng(seed);
  await withZdb(async (z, dir) => {
    const model = new Map<string, string>();
    for (let i = 0; i < 600; i++) {
      const key = `k${Math.floor(random() * 80)}`;
      if (random() < 0.15 && model.has(key)) {
        assert.equal(plain(await z.run('DEL', key)), '+OK', `seed ${seed}`);
        model.delete(key);
      } else {
        const value = `v${i}-`.repeat(1 + Math.floor(random() * 300));
        await z.run('SET', key, value);
        model.set(key, value);
      }
    }
    const expected = [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    assert.ok(readdirSync(join(dir, 'data', 'default')).length > 10, 'many data files');
    assert.deepEqual(await dump(z), expected, `seed ${seed}`);
    let current = await z.restart();
    assert.deepEqual(await dump(current), expected, `restart, seed ${seed}`);
    await current.close();
    for (const name of readdirSync(join(dir, 'index', 'default'))) if (/^i\d+$/.test(name)) rmSync(join(dir, 'index', 'default', name));
    current = await openTestZdb(dir, { datasizeBytes: 16 * 1024 }, z.clock);
    assert.deepEqual(await dump(current), expected, `rebuilt index, seed ${seed}`);
    assert.equal(plain(await current.run('DBSIZE')), model.size);
    await current.close();
  }, { datasizeBytes: 16 * 1024 });
});

test('a torn data tail is truncated to the last whole entry and never served', async () => {
  await withZdb(async (z, dir) => {
    await z.run('SET', 'a', 'alpha');
    await z.run('SET', 'b', 'bravo');
    await z.close();
    const data = join(dir, 'data', 'default', 'd0');
    const size = statSync(data).size;
    truncateSync(data, size - 2); // crash in the middle of b's value
    const restarted = await z.restart();
    assert.equal(plain(await restarted.run('GET', 'a')), 'alpha');
    assert.equal(plain(await restarted.run('GET', 'b')), null);
    assert.equal(statSync(data).size, size - 18 - 1 - 5, 'file cut at the start of the torn entry');
    assert.equal(plain(await restarted.run('SET', 'c', 'charlie')), 'c');
    const again = await restarted.restart();
    assert.deepEqual(await dump(again), [['a', 'alpha'], ['c', 'charlie']]);
    await again.close();
  });
});

test('an index that lags the data (crash between data and index writes) is completed from the data', async () => {
  await withZdb(async (z, dir) => {
    await z.run('SET', 'a', 'alpha');
    await z.close();
    const index = join(dir, 'index', 'default', 'i0');
    const before = readFileSync(index);
    const reopened = await z.restart();
    await reopened.run('SET', 'b', 'bravo');
    await reopened.run('SET', 'a', 'alpha2');
    await reopened.close();
    writeFileSync(index, Buffer.concat([before, readFileSync(index).subarray(before.length, before.length + 10)])); // torn item
    const restarted = await openTestZdb(dir, {}, z.clock);
    assert.deepEqual(await dump(restarted), [['a', 'alpha2'], ['b', 'bravo']]);
    await restarted.close();
  });
});

test('a corrupted byte in a value is detected by CRC: GET refuses it and CHECK says 0', async () => {
  await withZdb(async (z, dir) => {
    await z.run('SET', 'a', 'alpha');
    await z.run('SET', 'b', 'bravo');
    await z.close();
    const data = join(dir, 'data', 'default', 'd0');
    const bytes = readFileSync(data);
    bytes[28 + 18 + 1 + 2]! ^= 0xff; // inside a's value, not the tail
    writeFileSync(data, bytes);
    const restarted = await z.restart();
    assert.equal(plain(await restarted.run('GET', 'a')), '-Internal Error');
    assert.equal(plain(await restarted.run('CHECK', 'a')), 0);
    assert.equal(plain(await restarted.run('CHECK', 'b')), 1);
    assert.equal(plain(await restarted.run('GET', 'b')), 'bravo');
    await restarted.close();
  });
});

test('maxsize, worm, lock and freeze', async () => {
  await withZdb(async (z) => {
    await z.run('NSNEW', 'p');
    await z.run('NSSET', 'p', 'maxsize', '10');
    await z.run('SELECT', 'p');
    assert.equal(plain(await z.run('SET', 'a', '12345')), 'a');
    assert.equal(plain(await z.run('SET', 'b', '123456')), '-No space left on this namespace');
    assert.equal(plain(await z.run('SET', 'a', '1234567890')), 'a');
    await z.run('NSSET', 'p', 'worm', '1');
    assert.equal(plain(await z.run('SET', 'a', 'x')), '-Namespace is protected by worm mode');
    assert.equal(plain(await z.run('DEL', 'a')), '-Cannot delete a key when namespace is in worm mode');
    await z.run('NSSET', 'p', 'worm', '0');
    await z.run('NSSET', 'p', 'lock', '1');
    assert.equal(plain(await z.run('SET', 'a', 'x')), '-Namespace is temporarily locked (read-only)');
    assert.equal(plain(await z.run('GET', 'a')), '1234567890');
    await z.run('NSSET', 'p', 'freeze', '1');
    assert.equal(plain(await z.run('GET', 'a')), '-Namespace is temporarily frozen (read-write disabled)');
    assert.equal(plain(await z.run('DBSIZE')), 1);
    await z.run('NSSET', 'p', 'freeze', '0');
    assert.equal(plain(await z.run('DEL', 'a')), '+OK');
  });
});
