// The user-mode in-memory index: key bytes → the latest Entry of that key, stored compactly.
// A Map<string, Entry> cost ~300 B of heap per key in objects (the string, the Entry, a Buffer
// for its id) that every full collection walked, and a latin1 string per lookup. Here a key
// costs 52 B of record, 16–32 B of hash table and its bytes, in four objects whatever the count.
import { assert } from '../../base/index.ts';
import { KeyTable, type KeyTableOptions } from './keytable.ts';
import type { Entry, EntryFields } from './namespace.ts';

/** Record layout: the eleven numeric fields of an Entry in this order (FIELD_NAMES[DATA_ID] is
 *  'dataId', …), then where the record's key lies in the arena. */
const FIELD_NAMES = [
  'dataId', 'dataOffset', 'length', 'crc', 'timestamp', 'flags', 'indexId', 'indexOffset', 'previous', 'parentId', 'parentOffset',
] as const satisfies readonly (keyof EntryFields)[];
const DATA_ID = 0;
const DATA_OFFSET = 1;
const LENGTH = 2;
const CRC = 3;
const TIMESTAMP = 4;
const FLAGS = 5;
const INDEX_ID = 6;
const INDEX_OFFSET = 7;
const PREVIOUS = 8;
const PARENT_ID = 9;
const PARENT_OFFSET = 10;
/** Arena offset of the key; for a free record, the next free record (or NO_RECORD). */
const KEY_OFFSET = 11;
/** Key length; 0 marks a free record (user keys are 1..255 bytes). */
const KEY_LENGTH = 12;
const STRIDE = 13;
const NO_RECORD = 0xffffffff;

const RECORDS_MIN = 1024;
const ARENA_BYTES_MIN = 16 * 1024;
/** Keys of deleted records are reclaimed once they are half the arena and at least this much. */
const ARENA_GARBAGE_BYTES_MIN = 64 * 1024;

export class KeyIndex {
  private records = new Uint32Array(RECORDS_MIN * STRIDE);
  /** Records ever used (free ones included): the next fresh record. */
  private recordsUsed = 0;
  private freeHead = NO_RECORD;
  private arena = Buffer.allocUnsafe(ARENA_BYTES_MIN);
  private arenaUsed = 0;
  private arenaGarbage = 0;
  private readonly table: KeyTable;

  constructor(options: KeyTableOptions = {}) {
    this.table = new KeyTable(this, options);
  }

  /** Keys present. */
  get size(): number {
    return this.table.size;
  }

  /** The entry of `key`, or null. The view reads and writes the index: do not keep it across a
   *  delete (its record may be reused). */
  get(key: Uint8Array): Entry | null {
    const ref = this.table.find(key, this.table.hash(key));
    return ref < 0 ? null : storedEntry(this, ref);
  }

  has(key: Uint8Array): boolean {
    return this.table.find(key, this.table.hash(key)) >= 0;
  }

  /** Adds `key` (absent: the caller looked it up) with `fields`; returns its entry. */
  insert(key: Uint8Array, fields: EntryFields): Entry {
    assert(key.length > 0 && key.length <= 255, 'user keys are 1..255 bytes');
    const hash = this.table.hash(key);
    const ref = this.allocate(key);
    this.write(ref, fields);
    this.table.insert(hash, ref);
    return storedEntry(this, ref);
  }

  /** Removes `key`; false when it was absent. */
  delete(key: Uint8Array): boolean {
    const ref = this.table.remove(key, this.table.hash(key));
    if (ref < 0) return false;
    this.release(ref);
    return true;
  }

  clear(): void {
    this.table.clear();
    this.records = new Uint32Array(RECORDS_MIN * STRIDE);
    this.recordsUsed = 0;
    this.freeHead = NO_RECORD;
    this.arena = Buffer.allocUnsafe(ARENA_BYTES_MIN);
    this.arenaUsed = 0;
    this.arenaGarbage = 0;
  }

  /** KeySource: compares the stored key of `ref` with `key`, byte by byte (keys are short). */
  keyEquals(ref: number, key: Uint8Array): boolean {
    const base = ref * STRIDE;
    const length = this.records[base + KEY_LENGTH]!;
    if (length !== key.length) return false;
    const arena = this.arena;
    const start = this.records[base + KEY_OFFSET]!;
    for (let i = 0; i < length; i++) if (arena[start + i] !== key[i]) return false;
    return true;
  }

  /** A copy of the key of `ref`. */
  keyOf(ref: number): Buffer {
    const base = ref * STRIDE;
    const start = this.records[base + KEY_OFFSET]!;
    return Buffer.from(this.arena.subarray(start, start + this.records[base + KEY_LENGTH]!));
  }

  field(ref: number, field: number): number {
    return this.records[ref * STRIDE + field]!;
  }

  setField(ref: number, field: number, value: number): void {
    this.records[ref * STRIDE + field] = value;
  }

  private write(ref: number, fields: EntryFields): void {
    const r = this.records;
    const base = ref * STRIDE;
    r[base + DATA_ID] = fields.dataId;
    r[base + DATA_OFFSET] = fields.dataOffset;
    r[base + LENGTH] = fields.length;
    r[base + CRC] = fields.crc;
    r[base + TIMESTAMP] = fields.timestamp;
    r[base + FLAGS] = fields.flags;
    r[base + INDEX_ID] = fields.indexId;
    r[base + INDEX_OFFSET] = fields.indexOffset;
    r[base + PREVIOUS] = fields.previous;
    r[base + PARENT_ID] = fields.parentId;
    r[base + PARENT_OFFSET] = fields.parentOffset;
  }

  /** A record holding a copy of `key` (a freed one if any). */
  private allocate(key: Uint8Array): number {
    let ref = this.freeHead;
    if (ref !== NO_RECORD) {
      this.freeHead = this.records[ref * STRIDE + KEY_OFFSET]!;
    } else {
      if ((this.recordsUsed + 1) * STRIDE > this.records.length) this.growRecords();
      ref = this.recordsUsed++;
    }
    if (this.arenaUsed + key.length > this.arena.length) this.growArena(key.length);
    this.arena.set(key, this.arenaUsed);
    this.records[ref * STRIDE + KEY_OFFSET] = this.arenaUsed;
    this.records[ref * STRIDE + KEY_LENGTH] = key.length;
    this.arenaUsed += key.length;
    return ref;
  }

  private release(ref: number): void {
    const base = ref * STRIDE;
    this.arenaGarbage += this.records[base + KEY_LENGTH]!;
    this.records[base + KEY_LENGTH] = 0;
    this.records[base + KEY_OFFSET] = this.freeHead;
    this.freeHead = ref;
  }

  private growRecords(): void {
    const grown = new Uint32Array(this.records.length * 2);
    grown.set(this.records);
    this.records = grown;
  }

  /** Makes room for `more` key bytes: drops the keys of freed records first if they are many,
   *  else doubles the arena. Refs do not change, only where their keys lie. */
  private growArena(more: number): void {
    const live = this.arenaUsed - this.arenaGarbage;
    const compact = this.arenaGarbage >= ARENA_GARBAGE_BYTES_MIN && this.arenaGarbage * 2 >= this.arenaUsed;
    const bytes = compact && live + more <= this.arena.length ? this.arena.length : Math.max(this.arena.length * 2, live + more);
    const target = Buffer.allocUnsafe(bytes);
    let used = 0;
    for (let ref = 0; ref < this.recordsUsed; ref++) {
      const base = ref * STRIDE;
      const length = this.records[base + KEY_LENGTH]!;
      if (length === 0) continue;
      const start = this.records[base + KEY_OFFSET]!;
      this.arena.copy(target, used, start, start + length);
      this.records[base + KEY_OFFSET] = used;
      used += length;
    }
    assert(used === live, 'the arena holds the keys of live records only');
    this.arena = target;
    this.arenaUsed = used;
    this.arenaGarbage = 0;
  }
}

/**
 * An Entry read from and written to its KeyIndex record; made per lookup (short-lived). Its
 * eleven numeric fields are accessors defined below from FIELD_NAMES, one getter and setter
 * pair per record field, rather than eleven hand-written pairs.
 */
class StoredEntry {
  readonly index: KeyIndex;
  readonly ref: number;

  constructor(index: KeyIndex, ref: number) {
    this.index = index;
    this.ref = ref;
  }

  get id(): Buffer {
    return this.index.keyOf(this.ref);
  }
}

FIELD_NAMES.forEach((name, field) => {
  Object.defineProperty(StoredEntry.prototype, name, {
    get(this: StoredEntry): number {
      return this.index.field(this.ref, field);
    },
    set(this: StoredEntry, value: number): void {
      this.index.setField(this.ref, field, value);
    },
  });
});

/** A view of record `ref` (the accessors above make it a full Entry). */
function storedEntry(index: KeyIndex, ref: number): Entry {
  return new StoredEntry(index, ref) as StoredEntry & EntryFields;
}
