// One keyed collection of the chain state (accounts, twins, contracts…), stored already split
// into its commitment buckets: bucket = a fixed hash of the key, top `bits` bits. Each bucket's
// hash covers its entries sorted by key, so only buckets written since the last root are hashed
// again. Every write goes through `set`/`delete`, which (1) records the previous value in the
// open journal so a failing transaction can be undone, (2) marks the bucket dirty, (3) tells the
// table's index hooks, which keep the derived lookups (twin by account, contracts by node…).
// Values are immutable: a change replaces the object, so the journal can keep the old one. The one
// exception is `mutate`, for the per-block work (billing rewrites a million contracts and
// accounts per cycle): outside any transaction, scalar fields only, no index key changes.
//
// A table can be frozen for a snapshot (`freeze`, then `frozenEntries(0)`, `(1)`… in bucket
// order, then `thaw`): writes made meanwhile first save the value the key had at freeze time for
// the buckets not yet read (copy-on-write), so the snapshot sees one consistent state while the
// chain goes on applying blocks between its slices.
import { hash } from 'node:crypto';
import { assert } from '../../../base/index.ts';
import { BucketTree } from './bucket-tree.ts';

export type TableKey = number | string;

/** Called after every change with the previous and the new value (undefined = absent). */
export type IndexHook<K extends TableKey, V> = (key: K, previous: V | undefined, next: V | undefined) => void;

export interface JournalEntry {
  undo(): void;
}

/** Where writes record how to undo themselves; `undefined` outside a transaction. */
export interface JournalHolder {
  journal: JournalEntry[] | undefined;
}

const bucketDomain = 'tfgrid/chain/state/bucket/v1\n';

export interface TableOptions<K extends TableKey, V> {
  readonly name: string;
  readonly bits: number;
  /** Canonical JSON of the value (RFC 8785); must equal `canonicalJson(value)`. */
  readonly encode: (value: V) => string;
  readonly journal: JournalHolder;
  readonly keyKind: K extends number ? 'number' : 'string';
}

/** A value whose scalar fields `mutate` may change. */
export type Mutable<V> = { -readonly [P in keyof V]: V[P] };

/** The copy-on-write view of a snapshot: values at freeze time of keys written since, per bucket. */
interface Frozen<K, V> {
  /** Buckets below it have been read. */
  cursor: number;
  readonly saved: Map<number, Map<K, V | undefined>>;
}

export class Table<K extends TableKey, V> {
  readonly name: string;
  readonly #encode: (value: V) => string;
  readonly #holder: JournalHolder;
  readonly #buckets: Array<Map<K, V> | undefined>;
  readonly #tree: BucketTree;
  readonly #shift: number;
  readonly #numeric: boolean;
  readonly #hooks: Array<IndexHook<K, V>> = [];
  #dirty = new Set<number>();
  #size = 0;
  #frozen: Frozen<K, V> | undefined;

  constructor(options: TableOptions<K, V>) {
    this.name = options.name;
    this.#encode = options.encode;
    this.#holder = options.journal;
    this.#tree = new BucketTree(options.bits);
    this.#buckets = new Array<Map<K, V> | undefined>(2 ** options.bits);
    this.#shift = 32 - options.bits;
    this.#numeric = options.keyKind === 'number';
  }

  get size(): number {
    return this.#size;
  }

  addHook(hook: IndexHook<K, V>): void {
    this.#hooks.push(hook);
  }

  get(key: K): V | undefined {
    return this.#buckets[this.bucketOf(key)]?.get(key);
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): void {
    assert(value !== undefined, 'table values are never undefined');
    this.#write(key, value);
  }

  delete(key: K): void {
    this.#write(key, undefined);
  }

  /**
   * Changes an existing value in place, without copying it: for the per-block work only, which
   * runs outside any transaction (nothing to undo into) and changes scalar fields that no index
   * hook keys on, so the hooks are not called (the caller re-queues due times itself). The
   * bucket is marked dirty as by `set`.
   */
  mutate(key: K, change: (value: Mutable<V>) => void): void {
    assert(this.#holder.journal === undefined, 'in-place changes happen outside transactions');
    const index = this.bucketOf(key);
    const value = this.#buckets[index]?.get(key);
    assert(value !== undefined, `${this.name} entry to change exists`);
    // A frozen snapshot keeps a shallow copy: only top-level scalar fields change in place.
    this.#preserve(index, key, value, true);
    change(value);
    this.#dirty.add(index);
  }

  get bucketCount(): number {
    return this.#buckets.length;
  }

  /** Starts a snapshot view: from now on writes save the values as they are now. */
  freeze(): void {
    assert(this.#frozen === undefined, 'one snapshot view at a time');
    this.#frozen = { cursor: 0, saved: new Map() };
  }

  /** The entries of bucket `index` as they were at `freeze()`; buckets are read in increasing order. */
  frozenEntries(index: number): Array<[K, V]> {
    const frozen = this.#frozen;
    assert(frozen !== undefined && index >= frozen.cursor && index < this.#buckets.length, 'frozen buckets are read once, in order');
    frozen.cursor = index + 1;
    const saved = frozen.saved.get(index);
    frozen.saved.delete(index);
    const out: Array<[K, V]> = [];
    const bucket = this.#buckets[index];
    if (bucket !== undefined) for (const [key, value] of bucket) if (saved === undefined || !saved.has(key)) out.push([key, value]);
    if (saved !== undefined) for (const [key, value] of saved) if (value !== undefined) out.push([key, value]);
    return out;
  }

  /** Ends the snapshot view (done or abandoned) and drops what it saved. */
  thaw(): void {
    this.#frozen = undefined;
  }

  #preserve(index: number, key: K, previous: V | undefined, copy: boolean): void {
    const frozen = this.#frozen;
    if (frozen === undefined || index < frozen.cursor) return;
    let saved = frozen.saved.get(index);
    if (saved === undefined) frozen.saved.set(index, (saved = new Map<K, V | undefined>()));
    if (!saved.has(key)) saved.set(key, previous === undefined || !copy ? previous : { ...previous });
  }

  /** The canonical JSON of a value of this table. */
  encodeValue(value: V): string {
    return this.#encode(value);
  }

  /** All values, in no defined order (callers that need an order sort). */
  *values(): IterableIterator<V> {
    for (const bucket of this.#buckets) if (bucket !== undefined) yield* bucket.values();
  }

  *entries(): IterableIterator<[K, V]> {
    for (const bucket of this.#buckets) if (bucket !== undefined) yield* bucket.entries();
  }

  /** Fibonacci hashing of the key: sequential ids and random hex spread evenly over buckets. */
  bucketOf(key: K): number {
    if (this.#shift === 32) return 0;
    let h: number;
    if (typeof key === 'number') {
      h = key >>> 0;
    } else {
      // FNV-1a over the first 16 UTF-16 code units: string keys are addresses (random hex), so
      // their start spreads as well as the whole, at a quarter of the cost.
      h = 0x811c9dc5;
      const end = Math.min(key.length, 16);
      for (let i = 0; i < end; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    }
    return Math.imul(h, 0x9e3779b1) >>> this.#shift;
  }

  /** The Merkle root over the buckets, rehashing the buckets written since the last call. */
  root(): Uint8Array {
    for (const index of this.#dirty) this.#tree.setLeaf(index, this.#hashBucket(index));
    this.#dirty = new Set();
    return this.#tree.root();
  }

  #write(key: K, value: V | undefined): void {
    assert(typeof key === (this.#numeric ? 'number' : 'string'), `${this.name} key type`);
    const index = this.bucketOf(key);
    let bucket = this.#buckets[index];
    const previous = bucket?.get(key);
    if (previous === value) return;
    this.#preserve(index, key, previous, false);
    if (value === undefined) {
      bucket!.delete(key);
      this.#size--;
    } else {
      if (bucket === undefined) this.#buckets[index] = bucket = new Map();
      if (previous === undefined) this.#size++;
      bucket.set(key, value);
    }
    this.#dirty.add(index);
    const journal = this.#holder.journal;
    if (journal !== undefined) journal.push({ undo: () => this.#write(key, previous) });
    for (const hook of this.#hooks) hook(key, previous, value);
  }

  #hashBucket(index: number): Uint8Array {
    const bucket = this.#buckets[index];
    if (bucket === undefined || bucket.size === 0) return new Uint8Array(32);
    const keys = [...bucket.keys()];
    if (this.#numeric) (keys as number[]).sort((a, b) => a - b);
    else keys.sort(); // UTF-16 code unit order, as canonical JSON sorts keys
    // Each entry is the canonical JSON of the pair [key, value], one per line (JSON has no raw
    // newline), written as UTF-8 into a reused buffer: cheaper than hashing a concatenated string.
    let offset = scratch.write(bucketDomain + this.name + '\n', 0, 'utf8');
    for (const key of keys) {
      const entry = `[${typeof key === 'number' ? key : JSON.stringify(key)},${this.#encode(bucket.get(key)!)}]\n`;
      if (offset + entry.length * 3 > scratch.length) scratch = growScratch(scratch, offset, entry.length * 3);
      offset += scratch.write(entry, offset, 'utf8');
    }
    return new Uint8Array(hash('sha256', scratch.subarray(0, offset), 'buffer'));
  }
}

/** Shared by every table: buckets are hashed one at a time. */
let scratch: Buffer = Buffer.alloc(1 << 16);

function growScratch(current: Buffer, used: number, more: number): Buffer {
  const next = Buffer.alloc(Math.max(current.length * 2, used + more));
  current.copy(next, 0, 0, used);
  return next;
}
