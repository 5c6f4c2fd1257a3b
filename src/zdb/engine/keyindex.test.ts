// The user-mode index (KeyIndex over KeyTable) must behave exactly like the Map<string, Entry>
// it replaced. Method: seeded random operations applied to both and compared after every step,
// with the real hash and with hashes that force long probe runs and wrap-around; plus growth,
// backward-shift deletion and key-arena compaction checked directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng, seedFromEnv } from '../../base/testing.ts';
import { KeyIndex } from './keyindex.ts';
import { KeyTable, seededHash, type KeyHash, type KeySource } from './keytable.ts';
import type { EntryFields } from './namespace.ts';

const FIELD_NAMES = ['dataId', 'dataOffset', 'length', 'crc', 'timestamp', 'flags', 'indexId', 'indexOffset', 'previous', 'parentId', 'parentOffset'] as const;

function randomFields(random: () => number): EntryFields {
  const value = (): number => Math.floor(random() * 2 ** 32);
  return {
    dataId: value(), dataOffset: value(), length: value(), crc: value(), timestamp: value(), flags: value() & 3,
    indexId: value(), indexOffset: value(), previous: value(), parentId: value(), parentOffset: value(),
  };
}

function fieldsOf(entry: EntryFields): EntryFields {
  return Object.fromEntries(FIELD_NAMES.map((name) => [name, entry[name]])) as unknown as EntryFields;
}

function randomKey(random: () => number, alphabet: number): Buffer {
  // Few distinct keys, so that inserts, updates and deletes hit the same keys often. Key n is
  // its decimal digits padded with '.' to a length of 1..255 that depends on n: one key per n,
  // and the arena holds keys of every size.
  const n = Math.floor(random() * alphabet);
  return Buffer.from(String(n).padEnd(1 + ((n * 37) % 255), '.'), 'latin1');
}

const hashes: Record<string, KeyHash> = {
  seeded: seededHash(12345),
  // Eight home slots for every key: long probe runs, shifts across many members.
  eightWays: (key) => (key.length * 31 + (key[0] ?? 0)) & 7,
  // Every key in one run starting at the table's last slot of a 1024-slot table: wrap-around.
  constantAtEnd: () => 1023,
};

for (const [name, hash] of Object.entries(hashes)) {
  test(`KeyIndex matches a Map under random inserts, updates and deletes (hash: ${name})`, () => {
    const seed = seedFromEnv();
    const random = prng(seed);
    const index = new KeyIndex({ hash, slotsMin: 2 });
    const model = new Map<string, EntryFields>();
    const steps = name === 'seeded' ? 40_000 : 6_000;
    const alphabet = name === 'seeded' ? 3_000 : 600;
    try {
      for (let step = 0; step < steps; step++) {
        const key = randomKey(random, alphabet);
        const text = key.toString('latin1');
        const roll = random();
        const entry = index.get(key);
        assert.equal(entry !== null, model.has(text), `presence of a key, step ${step}`);
        if (entry !== null) assert.deepEqual(fieldsOf(entry), model.get(text));
        if (roll < 0.45) {
          const fields = randomFields(random);
          if (entry === null) index.insert(key, fields);
          else Object.assign(entry, fields);
          model.set(text, fields);
        } else if (roll < 0.75) {
          assert.equal(index.delete(key), model.delete(text), `delete, step ${step}`);
        } else if (entry !== null) {
          entry.flags |= 1;
          model.get(text)!.flags |= 1;
          assert.ok(entry.id.equals(key), 'the entry keeps its key');
        }
        assert.equal(index.size, model.size);
      }
      for (const [text, fields] of model) assert.deepEqual(fieldsOf(index.get(Buffer.from(text, 'latin1'))!), fields);
      index.clear();
      assert.equal(index.size, 0);
      for (const text of model.keys()) assert.equal(index.has(Buffer.from(text, 'latin1')), false);
    } catch (error) {
      console.error(`SEED=${seed}`);
      throw error;
    }
  });
}

/** Keys are their 4-byte little-endian number; the test picks the hashes. */
class NumberKeys implements KeySource {
  keyEquals(ref: number, key: Uint8Array): boolean {
    return Buffer.from(key.buffer, key.byteOffset, key.length).readUInt32LE(0) === ref;
  }
}

function numberKey(n: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeUInt32LE(n);
  return key;
}

test('KeyTable grows at half load and finds every key after each rehash', () => {
  const hash = seededHash(7);
  const table = new KeyTable(new NumberKeys(), { hash, slotsMin: 2 });
  for (let n = 0; n < 20_000; n++) {
    table.insert(hash(numberKey(n)), n);
    assert.ok(table.capacity >= 2 * table.size, 'load factor at most 1/2');
  }
  assert.equal(table.capacity, 65_536);
  for (let n = 0; n < 20_000; n++) assert.equal(table.find(numberKey(n), hash(numberKey(n))), n);
  assert.equal(table.find(numberKey(20_000), hash(numberKey(20_000))), -1);
});

test('KeyTable deletion shifts colliding keys back, across the end of the table', () => {
  // Homes 6, 7, 7, 6, 0 in an 8-slot table: the run 6,7,0,1,2 wraps; deleting its head must
  // pull every later member back towards its home and leave nothing unreachable.
  const homes = [6, 7, 7, 6, 0];
  const hash: KeyHash = (key) => homes[Buffer.from(key).readUInt32LE(0)]!;
  for (let removed = 0; removed < homes.length; removed++) {
    const table = new KeyTable(new NumberKeys(), { hash, slotsMin: 16 });
    homes.forEach((home, n) => table.insert(home, n));
    assert.equal(table.remove(numberKey(removed), homes[removed]!), removed);
    assert.equal(table.remove(numberKey(removed), homes[removed]!), -1, 'gone');
    homes.forEach((home, n) => assert.equal(table.find(numberKey(n), home), n === removed ? -1 : n, `key ${n} after removing ${removed}`));
  }
});

test('KeyIndex reuses freed records and compacts the key arena without moving entries', () => {
  const index = new KeyIndex({ hash: seededHash(3) });
  const key = (n: number): Buffer => Buffer.alloc(200, n & 0xff).fill(n >> 8, 0, 1);
  const fields = (n: number): EntryFields => ({ dataId: n, dataOffset: n + 1, length: n + 2, crc: n + 3, timestamp: n + 4, flags: 0, indexId: 0, indexOffset: n, previous: 0, parentId: 0, parentOffset: 0 });
  // Several rounds of 2,000 inserts and 1,900 deletes: 1.6 MB of keys pass through an arena
  // that compaction keeps near the live size; live keys keep their bytes and fields.
  const live = new Set<number>();
  let next = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 2_000; i++, next++) {
      index.insert(key(next), fields(next));
      live.add(next);
    }
    let deleted = 0;
    for (const n of live) {
      if (deleted++ === 1_900) break;
      assert.equal(index.delete(key(n)), true);
      live.delete(n);
    }
  }
  assert.equal(index.size, live.size);
  for (const n of live) {
    const entry = index.get(key(n))!;
    assert.ok(entry.id.equals(key(n)));
    assert.deepEqual(fieldsOf(entry), fields(n));
  }
});
