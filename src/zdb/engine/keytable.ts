// Open-addressing hash table from key bytes to small integers ("refs"), over one Int32Array.
// It replaces a Map<string, …> in the user-mode index: no string is made per lookup, and
// the table is a single object that V8's collector never walks entry by entry.
import { randomInt } from 'node:crypto';
import { assert } from '../../base/index.ts';

/** Where the table finds the key of a ref (the table itself stores only hashes and refs). */
export interface KeySource {
  keyEquals(ref: number, key: Uint8Array): boolean;
}

export type KeyHash = (key: Uint8Array) => number;

export interface KeyTableOptions {
  /** Hash of a key; default: seeded FNV-1a with a final mix (tests inject collisions). */
  hash?: KeyHash;
  /** Slots allocated at first and after clear(); a power of two. */
  slotsMin?: number;
}

const SLOTS_MIN_DEFAULT = 1024;
/** Largest table: 2^29 slots of 8 bytes (4 GiB) would exceed what an Int32Array may hold. */
const SLOTS_MAX = 2 ** 28;
/** Ref stored in a slot that holds nothing (refs are stored +1, so 0 is free). */
const EMPTY = 0;

/**
 * Linear probing at a load factor of at most 1/2, deletion by backward shift (no tombstones, so
 * lookups never slow down after many deletes). Each slot is [hash, ref + 1]: a probe compares
 * the stored hash before it asks the KeySource to compare bytes, so a miss touches only the table.
 */
export class KeyTable {
  private slots: Int32Array;
  private mask: number;
  private readonly slotsMin: number;
  private readonly source: KeySource;
  readonly hash: KeyHash;
  size = 0;

  constructor(source: KeySource, options: KeyTableOptions = {}) {
    this.source = source;
    this.hash = options.hash ?? seededHash(randomInt(0, 2 ** 31));
    this.slotsMin = options.slotsMin ?? SLOTS_MIN_DEFAULT;
    assert(this.slotsMin >= 2 && (this.slotsMin & (this.slotsMin - 1)) === 0, 'slotsMin is a power of two');
    this.slots = new Int32Array(this.slotsMin * 2);
    this.mask = this.slotsMin - 1;
  }

  /** Slots allocated (a power of two). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** The ref of `key`, or -1. */
  find(key: Uint8Array, hash: number): number {
    const slots = this.slots;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const stored = slots[2 * i + 1]!;
      if (stored === EMPTY) return -1;
      if (slots[2 * i] === hash && this.source.keyEquals(stored - 1, key)) return stored - 1;
    }
  }

  /** Adds `ref` under `hash`; the caller has checked that its key is absent. */
  insert(hash: number, ref: number): void {
    assert(ref >= 0 && ref < 0x7fffffff, 'refs are natural numbers below 2^31 - 1');
    if ((this.size + 1) * 2 > this.capacity) this.resize(this.capacity * 2);
    this.place(hash, ref);
    this.size++;
  }

  /** Removes `key`; returns its ref, or -1 when it was absent. */
  remove(key: Uint8Array, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let hole = hash & mask;
    for (; ; hole = (hole + 1) & mask) {
      const stored = slots[2 * hole + 1]!;
      if (stored === EMPTY) return -1;
      if (slots[2 * hole] === hash && this.source.keyEquals(stored - 1, key)) break;
    }
    const ref = slots[2 * hole + 1]! - 1;
    // Backward shift: pull later members of the probe run into the hole when the hole lies on
    // their way from their home slot, so every remaining key stays reachable without tombstones.
    for (let next = (hole + 1) & mask; slots[2 * next + 1] !== EMPTY; next = (next + 1) & mask) {
      const home = slots[2 * next]! & mask;
      const distanceToHole = (hole - home) & mask;
      const distanceToNext = (next - home) & mask;
      if (distanceToHole < distanceToNext) {
        slots[2 * hole] = slots[2 * next]!;
        slots[2 * hole + 1] = slots[2 * next + 1]!;
        hole = next;
      }
    }
    slots[2 * hole] = 0;
    slots[2 * hole + 1] = EMPTY;
    this.size--;
    return ref;
  }

  clear(): void {
    this.slots = new Int32Array(this.slotsMin * 2);
    this.mask = this.slotsMin - 1;
    this.size = 0;
  }

  private place(hash: number, ref: number): void {
    const slots = this.slots;
    let i = hash & this.mask;
    while (slots[2 * i + 1] !== EMPTY) i = (i + 1) & this.mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = ref + 1;
  }

  private resize(capacity: number): void {
    assert(capacity <= SLOTS_MAX, 'the key table stays within an Int32Array');
    const old = this.slots;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== EMPTY) this.place(old[i]!, old[i + 1]! - 1);
  }
}

/**
 * FNV-1a over the bytes from a random seed, then murmur3's finalizer so that the low bits used
 * as the home slot depend on every byte. The per-process seed keeps a client from precomputing
 * keys that all land in one probe run (V8 seeds its string hashes for the same reason).
 */
export function seededHash(seed: number): KeyHash {
  return (key) => {
    let h = (0x811c9dc5 ^ seed) | 0;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  };
}
