// A cache of values recently read by GET/MGET (`--read-cache`, 32 MiB by default; 0-db has
// none). A hit serves the value without the pread and without recomputing its CRC, which
// together are about half of a pipelined GET's CPU. The price is memory, up to the budget, taken
// as values enter. It pays when the working set (or its hot part) fits: with keys read
// uniformly, the hit rate is about budget / bytes of values read, and sampled admission (offer())
// keeps the misses cheap when it does not fit.
//
// Why it is safe to serve from it: data files are append-only, so the bytes at (namespace, data
// file, offset) never change while the namespace's in-memory state stands; everything that cuts
// or deletes data files (RELOAD, FLUSH, NSDEL, the reload after a failed staged write) goes
// through Namespace.resetState() or drops the namespace, which renews `cacheGeneration`, and the
// generation is part of the key. A value enters only after its read checked header, key and CRC
// against the index, and a hit must match the entry's length and CRC too. CHECK, HISTORY and the
// SET identical-value check never use it: they read the files.
import { KeyTable, type KeySource } from './keytable.ts';

export interface CachedLocation {
  dataId: number;
  dataOffset: number;
  length: number;
  crc: number;
}

// Entry record: the key (generation, data file, offset), then length, CRC and ring position.
const GENERATION = 0;
const DATA_ID = 1;
const DATA_OFFSET = 2;
const LENGTH = 3;
const CRC = 4;
const RING_AT = 5;
const STRIDE = 6;
const KEY_BYTES = 12;
/** Once the ring is full, one miss in this many (a power of two) is admitted; see offer(). */
const admitOneIn = 8;

/**
 * FIFO over one ring of bytes: a value is copied in at the head; older values it would overwrite
 * (the oldest ones, as the ring is filled in order) are forgotten first. Plain FIFO rather than
 * LRU: no bookkeeping on hits, and under uniform reads every policy hits equally.
 */
export class ValueCache implements KeySource {
  /** Values larger than this are not cached (a fraction of the ring, and at most 64 KiB). */
  readonly valueBytesMax: number;
  private readonly ring: Buffer;
  private head = 0;
  /** Entries are a circular queue in insertion (= ring) order: `oldest`, then `count` more. */
  private readonly entries: Uint32Array;
  private readonly capacity: number;
  private oldest = 0;
  private count = 0;
  private readonly table: KeyTable;
  private readonly scratch = Buffer.alloc(KEY_BYTES);
  /** Whether the ring has been filled once: from then on, admission is sampled. */
  private full = false;
  private random = 0x9e3779b9;
  hits = 0;
  misses = 0;

  /** `bytes` of values; entries are bounded to one per 128 bytes of it (≤ 56 B each with the table). */
  constructor(bytes: number) {
    this.ring = Buffer.allocUnsafeSlow(bytes);
    this.valueBytesMax = Math.min(64 * 1024, Math.floor(bytes / 8));
    this.capacity = Math.max(16, Math.floor(bytes / 128));
    this.entries = new Uint32Array(this.capacity * STRIDE);
    this.table = new KeyTable(this);
  }

  /** The cached value of `location` copied into `target` (≥ its length); false on a miss. */
  copyTo(generation: number, location: CachedLocation, target: Buffer): boolean {
    const ref = this.table.find(this.key(generation, location.dataId, location.dataOffset), this.table.hash(this.scratch));
    if (ref < 0) {
      this.misses++;
      return false;
    }
    const base = ref * STRIDE;
    const e = this.entries;
    if (e[base + LENGTH] !== location.length || e[base + CRC] !== location.crc >>> 0) {
      this.misses++;
      return false;
    }
    const at = e[base + RING_AT]!;
    this.ring.copy(target, 0, at, at + location.length);
    this.hits++;
    return true;
  }

  /**
   * Remembers `value` after a miss: always while the ring still has room, then one miss in
   * `admitOneIn` at random. Under uniform reads the hit rate is the same either way (about budget
   * / bytes read), but each admission costs a copy and an eviction, which made a cache smaller
   * than the data read cost more than none; a hot value still gets in after a few reads.
   */
  offer(generation: number, location: CachedLocation, value: Uint8Array): void {
    if (this.full) {
      // xorshift32: cheap, and no period for an access pattern to fall in step with.
      let x = this.random;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.random = x;
      if ((x & (admitOneIn - 1)) !== 0) return;
    }
    this.insert(generation, location, value);
  }

  /** Remembers `value`, read and checked at `location` (no-op when too large, empty or present). */
  insert(generation: number, location: CachedLocation, value: Uint8Array): void {
    const length = value.length;
    if (length === 0 || length > this.valueBytesMax) return;
    const key = this.key(generation, location.dataId, location.dataOffset);
    const hash = this.table.hash(key);
    if (this.table.find(key, hash) >= 0) return;
    if (this.head + length > this.ring.length) {
      // Skip the ring's end: the entries still there are the oldest, forget them.
      while (this.count > 0 && this.field(this.oldest, RING_AT) >= this.head) this.evictOldest();
      this.head = 0;
      this.full = true;
    }
    // Entries of the previous lap start at or after the head; forget those the value overlaps.
    if (this.count === this.capacity) this.full = true;
    while (this.count > 0 && this.count === this.capacity) this.evictOldest();
    while (this.count > 0 && this.field(this.oldest, RING_AT) >= this.head && this.field(this.oldest, RING_AT) < this.head + length) this.evictOldest();
    const ref = (this.oldest + this.count) % this.capacity;
    const base = ref * STRIDE;
    const e = this.entries;
    e[base + GENERATION] = generation;
    e[base + DATA_ID] = location.dataId;
    e[base + DATA_OFFSET] = location.dataOffset;
    e[base + LENGTH] = length;
    e[base + CRC] = location.crc;
    e[base + RING_AT] = this.head;
    this.ring.set(value, this.head);
    this.head += length;
    this.count++;
    this.table.insert(hash, ref);
  }

  /** Values cached. */
  get size(): number {
    return this.count;
  }

  /** KeySource: `key` is always this.scratch, filled by key(). */
  keyEquals(ref: number, key: Uint8Array): boolean {
    const base = ref * STRIDE;
    const e = this.entries;
    return readU32(key, 0) === e[base + GENERATION] && readU32(key, 4) === e[base + DATA_ID] && readU32(key, 8) === e[base + DATA_OFFSET];
  }

  private evictOldest(): void {
    const base = this.oldest * STRIDE;
    const e = this.entries;
    const key = this.key(e[base + GENERATION]!, e[base + DATA_ID]!, e[base + DATA_OFFSET]!);
    this.table.remove(key, this.table.hash(key));
    this.oldest = (this.oldest + 1) % this.capacity;
    this.count--;
  }

  private field(ref: number, field: number): number {
    return this.entries[ref * STRIDE + field]!;
  }

  private key(generation: number, dataId: number, dataOffset: number): Buffer {
    const s = this.scratch;
    s.writeUInt32LE(generation >>> 0, 0);
    s.writeUInt32LE(dataId >>> 0, 4);
    s.writeUInt32LE(dataOffset >>> 0, 8);
    return s;
  }
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
