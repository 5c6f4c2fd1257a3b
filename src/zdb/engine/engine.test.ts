// Engine behaviour through the command layer: both modes, history, scan, rotation, restarts,
// index rebuilds, torn tails and corruption, checked against a model with a seeded PRNG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../base/index.ts';
import { seqIdOf } from './format.ts';
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

// ---------------------------------------------------------------------------------------------
// Recovery: damaged or lagging index files are checked against the data files and rebuilt from
// them (engine/loader.ts; README "Loading, torn tails, rebuilds").

/** A logger that keeps warn and error lines, for checking what recovery reported. */
function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ component: 'zdb', level: 'warn', sink: (line) => lines.push(line) }), lines };
}

const seqId = (n: number): Buffer => {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(n, 0);
  return out;
};

async function seqValues(z: TestZdb, count: number): Promise<unknown[]> {
  const values = [];
  for (let n = 0; n < count; n++) values.push(plain(await z.run('GET', seqId(n))));
  return values;
}

const SLOT = 42;
const slotAt = (n: number): number => 29 + n * SLOT;

test('recovery, user mode: a damaged item in an older index file sets it and the later files aside and rebuilds them byte for byte', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const z = await openTestZdb(dir, { datasizeBytes: 16 * 1024 });
    for (let i = 0; i < 60; i++) await z.run('SET', `key-${i}`, `value-${i}-`.repeat(100));
    await z.close();
    const indexDir = join(dir, 'index', 'default');
    const names = readdirSync(indexDir).filter((name) => /^i\d+$/.test(name));
    assert.ok(names.length >= 3, 'several index files');
    const originals = new Map(names.map((name) => [name, readFileSync(join(indexDir, name))]));
    const i0 = Buffer.from(originals.get('i0')!);
    i0[29 + 3 * (34 + 5)] = 1; // item 3's key length: the items after it are read 4 bytes off
    writeFileSync(join(indexDir, 'i0'), i0);
    const { log, lines } = recorder();
    const restarted = await openTestZdb(dir, { datasizeBytes: 16 * 1024, log }, z.clock);
    for (let i = 0; i < 60; i++) assert.equal(plain(await restarted.run('GET', `key-${i}`)), `value-${i}-`.repeat(100), `key-${i}`);
    assert.equal(plain(await restarted.run('DBSIZE')), 60, 'no key made up from the damaged bytes');
    assert.equal((await dump(restarted)).length, 60, 'SCAN shows the 60 keys only');
    await restarted.close();
    assert.match(lines.join('\n'), /"level":"error".*index file damaged.*"file":"i0".*"why":"item 4 at /);
    for (const [name, bytes] of originals) {
      assert.deepEqual(readFileSync(join(indexDir, name)), bytes, `${name} rebuilt byte for byte`);
      assert.ok(existsSync(join(indexDir, `${name}.broken`)), `${name} kept aside`);
    }
    assert.deepEqual(readFileSync(join(indexDir, 'i0.broken')), i0, 'the damaged file is kept as it was');
    const again = recorder();
    const third = await openTestZdb(dir, { datasizeBytes: 16 * 1024, log: again.log }, z.clock);
    assert.equal(plain(await third.run('DBSIZE')), 60);
    await third.close();
    assert.deepEqual(again.lines, [], 'the rebuilt index loads cleanly');
  } finally {
    cleanup();
  }
});

test('recovery, user mode: a damaged item in the last index file is set aside and rebuilt; a zero-filled tail is cut', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const z = await openTestZdb(dir);
    for (let i = 0; i < 20; i++) await z.run('SET', `k${i}`, `v${i}`);
    await z.run('SET', 'k3', 'v3-updated');
    await z.run('DEL', 'k4');
    await z.close();
    const i0 = join(dir, 'index', 'default', 'i0');
    const original = readFileSync(i0);
    const damaged = Buffer.from(original);
    damaged.writeUInt32LE(7, 29 + 5 * (34 + 2) + 1); // item 5's data offset
    writeFileSync(i0, damaged);
    const { log, lines } = recorder();
    let restarted = await openTestZdb(dir, { log }, z.clock);
    assert.equal(plain(await restarted.run('GET', 'k5')), 'v5');
    assert.equal(plain(await restarted.run('GET', 'k3')), 'v3-updated');
    assert.equal(plain(await restarted.run('GET', 'k4')), null);
    assert.equal(plain(await restarted.run('DBSIZE')), 19);
    await restarted.close();
    assert.match(lines.join('\n'), /index file damaged.*"file":"i0"/);
    assert.deepEqual(readFileSync(i0), original, 'rebuilt byte for byte (flags, parents and all)');
    assert.deepEqual(readFileSync(`${i0}.broken`), damaged);

    writeFileSync(i0, Buffer.concat([original, Buffer.alloc(4096)])); // power loss: the file grew, its blocks were not written
    const zeros = recorder();
    restarted = await openTestZdb(dir, { log: zeros.log }, z.clock);
    assert.equal(plain(await restarted.run('DBSIZE')), 19);
    await restarted.close();
    assert.deepEqual(readFileSync(i0), original, 'the zero-filled tail is cut');
    assert.match(zeros.lines.join('\n'), /torn or lagging tail/);
    assert.ok(!existsSync(`${i0}.broken.1`), 'a torn tail is not damage');
  } finally {
    cleanup();
  }
});

test('recovery, user mode: a DEL whose flag did not reach the index is applied again from its tombstone', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const z = await openTestZdb(dir);
    await z.run('SET', 'a', 'alpha');
    await z.run('SET', 'b', 'bravo');
    await z.run('DEL', 'a');
    await z.run('SET', 'c', 'charlie');
    await z.close();
    const i0 = join(dir, 'index', 'default', 'i0');
    const original = readFileSync(i0);
    const lost = Buffer.from(original);
    lost[29 + 13] = 0; // a's item: DELETED flag lost (power loss reordered the writes)
    writeFileSync(i0, lost);
    const restarted = await openTestZdb(dir, {}, z.clock);
    assert.equal(plain(await restarted.run('GET', 'a')), null);
    assert.deepEqual(await dump(restarted), [['b', 'bravo'], ['c', 'charlie']]);
    await restarted.close();
    assert.deepEqual(readFileSync(i0), original);
  } finally {
    cleanup();
  }
});

test('recovery, user mode: an update lost with the data tail gives the key its previous value back', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const z = await openTestZdb(dir);
    await z.run('SET', 'a', 'alpha');
    await z.run('SET', 'b', 'bravo');
    await z.run('SET', 'a', 'alpha-2');
    await z.close();
    const d0 = join(dir, 'data', 'default', 'd0');
    const torn = readFileSync(d0).subarray(statSync(d0).size - 'alpha-2'.length - 1 - 18, statSync(d0).size - 3);
    truncateSync(d0, statSync(d0).size - 3); // the update's value is torn; its index item and the old item's flag made it
    const { log, lines } = recorder();
    const restarted = await openTestZdb(dir, { log }, z.clock);
    assert.equal(plain(await restarted.run('GET', 'a')), 'alpha');
    assert.equal(plain(await restarted.run('GET', 'b')), 'bravo');
    assert.equal(plain(await restarted.run('SET', 'a', 'alpha-3')), 'a');
    const again = await restarted.restart();
    assert.deepEqual(await dump(again), [['a', 'alpha-3'], ['b', 'bravo']]);
    await again.close();
    assert.match(lines.join('\n'), /previous version again.*"keys":1/);
    assert.deepEqual(readFileSync(`${d0}.torn`), torn, 'the cut bytes are kept aside');
  } finally {
    cleanup();
  }
});

/** v0 … v9, then an update of id 1 (copy in slot 10), id 11, an update of id 3 (copy in slot 12), DEL id 5. */
async function seqHistory(dir: string): Promise<{ z: TestZdb; index: Buffer }> {
  const z = await openTestZdb(dir, { mode: 'seq' });
  for (let n = 0; n < 10; n++) assert.equal(plain(await z.run('SET', '', `v${n}`)), seqId(n).toString('latin1'));
  z.clock.nowMs += 5000;
  assert.equal(plain(await z.run('SET', seqId(1), 'V1')), seqId(1).toString('latin1'));
  assert.equal(plain(await z.run('SET', '', 'v11')), seqId(11).toString('latin1'));
  assert.equal(plain(await z.run('SET', seqId(3), 'V3')), seqId(3).toString('latin1'));
  assert.equal(plain(await z.run('DEL', seqId(5))), '+OK');
  await z.close();
  return { z, index: readFileSync(join(dir, 'index', 'default', 'i0')) };
}

const seqFinal = ['v0', 'V1', 'v2', 'V3', 'v4', null, 'v6', 'v7', 'v8', 'v9', null, 'v11', null];

test('recovery, seq mode: an index cut after slots updated in place is rebuilt byte for byte; burned ids stay burned', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { z, index } = await seqHistory(dir);
    const i0 = join(dir, 'index', 'default', 'i0');
    for (const keep of [0, 2, 4, 10, 11, 12]) {
      writeFileSync(i0, index.subarray(0, slotAt(keep))); // slots 1 and 3 still point at V1 and V3
      const { log, lines } = recorder();
      const restarted = await openTestZdb(dir, { mode: 'seq', log }, z.clock);
      assert.deepEqual(await seqValues(restarted, 13), seqFinal, `cut after ${keep} slots`);
      assert.deepEqual((plain(await restarted.run('HISTORY', seqId(1))) as unknown[]).slice(1), ['1700000005', 'V1'], `cut after ${keep} slots`);
      const [cursor] = plain(await restarted.run('HISTORY', seqId(1))) as [string];
      assert.deepEqual(plain(await restarted.run('HISTORY', seqId(1), Buffer.from(cursor, 'latin1'))), [null, '1700000000', 'v1'], `the copy holds v1 (cut after ${keep} slots)`);
      await restarted.close();
      assert.deepEqual(readFileSync(i0), index, `rebuilt byte for byte (cut after ${keep} slots)`);
      assert.match(lines.join('\n'), /"level":"warn".*index rebuilt from the data files.*"replayed":/);
      assert.doesNotMatch(lines.join('\n'), /"level":"error"/);
    }
    const again = await openTestZdb(dir, { mode: 'seq' }, z.clock);
    assert.equal(plain(await again.run('SET', '', 'next')), seqId(13).toString('latin1'));
    await again.close();
  } finally {
    cleanup();
  }
});

test('recovery, seq mode: an update whose copy reached the index but not its overwrite is redone from the data', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { z, index } = await seqHistory(dir);
    const i0 = join(dir, 'index', 'default', 'i0');
    const stale = Buffer.from(index);
    index.copy(stale, slotAt(1), slotAt(10), slotAt(11)); // slot 1 as it was before the update: the copy's content…
    stale[slotAt(1) + 13] = 0; // …not flagged deleted,
    stale.writeUInt32LE(index.readUInt32LE(slotAt(1) + 9), slotAt(1) + 9); // and with its own `previous`
    writeFileSync(i0, stale);
    const { log, lines } = recorder();
    const restarted = await openTestZdb(dir, { mode: 'seq', log }, z.clock);
    assert.deepEqual(await seqValues(restarted, 13), seqFinal);
    await restarted.close();
    assert.deepEqual(readFileSync(i0), index, 'slot 1 overwritten as the update did');
    assert.match(lines.join('\n'), /"repaired":1/);
  } finally {
    cleanup();
  }
});

test('recovery, seq mode: an update lost with the data tail goes back to the previous version (from the walk, or from its copy)', async () => {
  for (const older of [false, true]) {
    const { dir, cleanup } = tempDir();
    try {
      const z = await openTestZdb(dir, { mode: 'seq', datasizeBytes: 16 * 1024 });
      for (let n = 0; n < 3; n++) await z.run('SET', '', `v${n}-`.repeat(500));
      if (older) assert.equal(plain(await z.run('NSJUMP')), '+OK'); // the version before the update lies in an older data file
      await z.run('SET', '', 'v3');
      assert.equal(plain(await z.run('SET', seqId(1), 'V1')), seqId(1).toString('latin1'));
      await z.close();
      const last = older ? 1 : 0;
      const data = join(dir, 'data', 'default', `d${last}`);
      truncateSync(data, statSync(data).size - 1); // the update's value is torn, its copy and overwrite are in the index
      const { log, lines } = recorder();
      const restarted = await openTestZdb(dir, { mode: 'seq', datasizeBytes: 16 * 1024, log }, z.clock);
      assert.deepEqual(await seqValues(restarted, 5), ['v0-'.repeat(500), 'v1-'.repeat(500), 'v2-'.repeat(500), 'v3', null], `older: ${older}`);
      assert.equal(plain(await restarted.run('SET', '', 'v4')), seqId(4).toString('latin1'), 'the lost update burned no id');
      await restarted.close();
      assert.match(lines.join('\n'), /"reverted":1/, `older: ${older}`);
    } finally {
      cleanup();
    }
  }
});

test('recovery, seq mode: a damaged slot sets the index file aside; ids, burned ids and values come back from the data', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { z, index } = await seqHistory(dir);
    const i0 = join(dir, 'index', 'default', 'i0');
    const damaged = Buffer.from(index);
    damaged[slotAt(6)] = 7; // slot 6's key length
    writeFileSync(i0, damaged);
    const { log, lines } = recorder();
    const restarted = await openTestZdb(dir, { mode: 'seq', log }, z.clock);
    assert.deepEqual(await seqValues(restarted, 13), seqFinal);
    assert.equal(plain(await restarted.run('SET', '', 'next')), seqId(13).toString('latin1'));
    await restarted.close();
    assert.match(lines.join('\n'), /index file damaged.*"file":"i0"/);
    assert.deepEqual(readFileSync(`${i0}.broken`), damaged);
  } finally {
    cleanup();
  }
});

/** Every data entry of a namespace, in write order (an oracle independent of the loader). */
function dataEntries(dataDir: string): { file: number; end: number; key: string; value: string | null }[] {
  const entries = [];
  const files = readdirSync(dataDir).filter((name) => /^d\d+$/.test(name)).map((name) => Number(name.slice(1))).sort((a, b) => a - b);
  for (const file of files) {
    const bytes = readFileSync(join(dataDir, `d${file}`));
    for (let at = 28; at + 18 <= bytes.length; ) {
      const keyLength = bytes[at]!;
      const end = at + 18 + keyLength + bytes.readUInt32LE(at + 1);
      const deleted = (bytes[at + 13]! & 1) === 1;
      entries.push({ file, end, key: bytes.toString('latin1', at + 18, at + 18 + keyLength), value: deleted ? null : bytes.toString('latin1', at + 18 + keyLength, end) });
      at = end;
    }
  }
  return entries;
}

type Verdict = 'exact' | 'older' | 'surviving';

for (const mode of ['user', 'seq'] as const) {
  test(`recovery, ${mode} mode: seeded damage never yields a value a key did not hold, and keys whose data is intact come back`, async () => {
    const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const options = { mode, datasizeBytes: 16 * 1024 };
    const { dir: source, cleanup } = tempDir();
    try {
      const z = await openTestZdb(source, options);
      let next = 0; // seq: the next id
      const live = new Set<string>();
      for (let i = 0; i < 400; i++) {
        const value = `${i}-`.repeat(1 + Math.floor(random() * 300));
        const roll = random();
        if (live.size > 0 && roll < 0.1) {
          const key = pick([...live]);
          assert.equal(plain(await z.run('DEL', Buffer.from(key, 'latin1'))), '+OK');
          live.delete(key);
        } else if (mode === 'user' || (live.size > 0 && roll < 0.35)) {
          const key = mode === 'user' ? `key-${Math.floor(random() * 120)}` : pick([...live]);
          await z.run('SET', Buffer.from(key, 'latin1'), value);
          live.add(key);
          if (mode === 'seq') next++; // the update's copy burns an id
        } else {
          assert.equal(plain(await z.run('SET', '', value)), seqId(next).toString('latin1'), `seed ${seed}`);
          live.add(seqId(next++).toString('latin1'));
        }
      }
      await z.close();
      const indexDir = join(source, 'index', 'default');
      const dataDir = join(source, 'data', 'default');
      const names = readdirSync(indexDir).filter((name) => /^i\d+$/.test(name)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
      assert.ok(names.length > 5, 'several index files');
      const entries = dataEntries(dataDir);
      const history = new Map<string, (string | null)[]>();
      for (const entry of entries) history.set(entry.key, [...(history.get(entry.key) ?? []), entry.value]);
      const lastData = `d${entries.at(-1)!.file}`;
      const size = (dir: string, name: string): number => statSync(join(dir, name)).size;
      const damages: [string, Verdict, (index: string, data: string) => Map<string, string | null> | void][] = [
        ['cut the last index file', 'exact', (index) => truncateSync(join(index, names.at(-1)!), Math.floor(random() * size(index, names.at(-1)!)))],
        ['cut an older index file', 'exact', (index) => {
          const name = pick(names.slice(0, -1));
          truncateSync(join(index, name), 29 + Math.floor(random() * (size(index, name) - 29)));
        }],
        ['zero-fill the end of the last index file', 'exact', (index) => {
          const bytes = readFileSync(join(index, names.at(-1)!));
          bytes.fill(0, 29 + Math.floor(random() * (bytes.length - 29)));
          writeFileSync(join(index, names.at(-1)!), bytes);
        }],
        ['delete an index file', 'exact', (index) => rmSync(join(index, pick(names)))],
        ['delete every index file', 'exact', (index) => names.forEach((name) => rmSync(join(index, name)))],
        ['flip a key-length byte', 'exact', (index) => {
          const name = pick(names);
          const bytes = readFileSync(join(index, name));
          let at = 29;
          for (let n = Math.floor(random() * 40); n > 0 && at + 34 + bytes[at]! < bytes.length; n--) at += 34 + bytes[at]!;
          if (at >= bytes.length) return;
          bytes[at] = bytes[at]! ^ (1 + Math.floor(random() * 255));
          writeFileSync(join(index, name), bytes);
        }],
        ['flip random index bytes', 'older', (index) => {
          for (let n = 0; n < 3; n++) {
            const name = pick(names);
            const bytes = readFileSync(join(index, name));
            const at = Math.floor(random() * bytes.length);
            bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
            writeFileSync(join(index, name), bytes);
          }
        }],
        ['cut the last data file', 'surviving', (_index, data) => {
          const cut = 28 + Math.floor(random() * (size(data, lastData) - 28));
          truncateSync(join(data, lastData), cut);
          const surviving = new Map<string, string | null>();
          for (const entry of entries) if (!(`d${entry.file}` === lastData && entry.end > cut)) surviving.set(entry.key, entry.value);
          return surviving;
        }],
      ];
      for (const [what, verdict, damage] of damages) {
        for (let round = 0; round < 3; round++) {
          const { dir, cleanup: drop } = tempDir();
          try {
            cpSync(source, dir, { recursive: true });
            const surviving = damage(join(dir, 'index', 'default'), join(dir, 'data', 'default'));
            const restarted = await openTestZdb(dir, options, z.clock);
            for (const [key, states] of history) {
              const found = plain(await restarted.run('GET', Buffer.from(key, 'latin1')));
              const final = states.at(-1)!;
              if (found === final) continue;
              const label = `${what}, round ${round}: ${mode === 'seq' ? `id ${seqIdOf(Buffer.from(key, 'latin1'))}` : key} reads ${String(found).slice(0, 12)}, final ${String(final).slice(0, 12)} (seed ${seed})`;
              assert.notEqual(verdict, 'exact', label);
              if (found === null || found === '-Internal Error') continue;
              if (verdict === 'surviving') assert.equal(found, surviving?.get(key), label);
              else assert.ok(states.includes(found as string), label);
            }
            const key = mode === 'seq' ? '' : 'after';
            const written = plain(await restarted.run('SET', key, 'after')) as string;
            if (mode === 'seq' && verdict === 'exact') assert.equal(written, seqId(next).toString('latin1'), `${what}: ids continue (seed ${seed})`);
            const again = await restarted.restart();
            assert.equal(plain(await again.run('GET', Buffer.from(written, 'latin1'))), 'after', `${what}: a write after recovery survives a restart (seed ${seed})`);
            await again.close();
          } finally {
            drop();
          }
        }
      }
    } finally {
      cleanup();
    }
  });
}
