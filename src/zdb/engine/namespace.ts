// One namespace: its properties, its in-memory index and the write algorithms of 0-db v2.0.7
// (user-key and sequential modes). Data is always appended before the index is touched, so
// the index never points at bytes that were not written first.
import { assert } from '../../base/index.ts';
import { crc32c } from './crc32c.ts';
import type { NamespaceFiles } from './files.ts';
import { KeyIndex } from './keyindex.ts';
import {
  DATA_ENTRY_BYTES, FLAG_DELETED, INDEX_ITEM_BYTES, KEY_BYTES_MAX, MODE_SEQ, MODE_USER, SEQ_KEY_BYTES,
  encodeDataEntryHeader, encodeIndexItem, seqIdOf, seqKey, type IndexItem,
} from './format.ts';

/** The latest state of one key (user mode) or one slot (seq mode), and where its item lives. */
export interface Entry extends EntryFields {
  readonly id: Buffer;
}

/** An Entry without its key (what the user-mode KeyIndex stores per record). */
export interface EntryFields {
  dataId: number;
  dataOffset: number;
  length: number;
  crc: number;
  timestamp: number;
  flags: number;
  indexId: number;
  indexOffset: number;
  previous: number;
  parentId: number;
  parentOffset: number;
}

export type Mode = 'user' | 'seq';
export type LockState = 'unlocked' | 'locked' | 'frozen';
export interface Stats { entries: number; dataBytes: number; indexBytes: number }

/** 0-db counts sizeof(index_entry_t) per live key in "index_size_bytes" (64, or 72 per seq id). */
const ENTRY_OVERHEAD_BYTES = 64;
const SEQ_ENTRY_BYTES = 72;

export type SetOutcome =
  | { type: 'written'; key: Buffer }
  | { type: 'unchanged' }
  | { type: 'worm' }
  | { type: 'no-space' }
  | { type: 'key-needed' }
  | { type: 'update-only' };

let cacheGenerations = 0;
function nextCacheGeneration(): number {
  cacheGenerations = (cacheGenerations + 1) >>> 0;
  return cacheGenerations;
}

export class Namespace {
  readonly name: string;
  readonly files: NamespaceFiles;
  password: string | null = null;
  public = true;
  worm = false;
  maxsizeBytes = 0;
  lock: LockState = 'unlocked';
  mode: Mode = 'user';
  /** Set by NSDEL: sessions still on it are told and disconnected. */
  removed = false;
  readonly keys = new KeyIndex();
  /** Part of the value cache's keys: renewed whenever the files may be cut or replaced, so
   *  that nothing cached before can match after (valuecache.ts). */
  cacheGeneration = nextCacheGeneration();
  readonly slots: Entry[] = [];
  /** Next seq id; in user mode the count of inserts (shown as NSINFO next_internal_id). */
  nextEntry = 0;
  /** Items appended to the current index file (0-db's "nextid"; only used for "fresh"). */
  nextId = 0;
  dataPrevious = 0;
  indexPrevious = 0;
  /** File holding the last appended item (for RSCAN), not necessarily the current one. */
  indexPreviousId = 0;
  readonly stats: Stats = { entries: 0, dataBytes: 0, indexBytes: 0 };
  /** Index files modified in place since the last INDEX DIRTY RESET. */
  readonly dirtyIndexIds = new Set<number>();
  private readonly scratch = Buffer.allocUnsafe(DATA_ENTRY_BYTES + INDEX_ITEM_BYTES + 2 * KEY_BYTES_MAX);

  constructor(name: string, files: NamespaceFiles) {
    this.name = name;
    this.files = files;
  }

  /** Forgets the in-memory index (RELOAD, FLUSH); properties and mode are kept. */
  resetState(): void {
    this.cacheGeneration = nextCacheGeneration();
    this.keys.clear();
    this.slots.length = 0;
    this.nextEntry = 0;
    this.nextId = 0;
    this.dataPrevious = 0;
    this.indexPrevious = 0;
    this.indexPreviousId = 0;
    this.stats.entries = 0;
    this.stats.dataBytes = 0;
    this.stats.indexBytes = 0;
    this.dirtyIndexIds.clear();
  }

  get modeByte(): number {
    return this.mode === 'seq' ? MODE_SEQ : MODE_USER;
  }

  get fresh(): boolean {
    return this.nextEntry === 0 && this.nextId === 0 && this.files.currentId === 0;
  }

  /** The live entry of `key`, or null (absent, deleted, burned seq slot, malformed seq key). */
  lookup(key: Uint8Array): Entry | null {
    if (this.mode === 'user') {
      if (key.length === 0) return null;
      return this.keys.get(key);
    }
    const id = seqIdOf(key);
    if (id < 0 || id >= this.slots.length) return null;
    const slot = this.slots[id]!;
    return slot.flags & FLAG_DELETED ? null : slot;
  }

  /** SET after the command layer's argument and permission checks, in 0-db's order. */
  set(key: Uint8Array, value: Uint8Array, timestamp: number, datasizeBytes: number, readValue: (e: Entry) => Buffer | null): SetOutcome {
    const existing = key.length > 0 ? this.lookup(key) : null;
    if (existing && this.worm) return { type: 'worm' };
    if (this.maxsizeBytes > 0 && this.stats.dataBytes + value.length > this.maxsizeBytes + (existing?.length ?? 0)) return { type: 'no-space' };
    if (this.files.dataSize + value.length > datasizeBytes) this.jump();
    if (this.mode === 'user' && key.length === 0) return { type: 'key-needed' };
    if (this.mode === 'seq' && key.length > 0 && !existing) return { type: 'update-only' };
    const crc = crc32c(value);
    if (existing && existing.crc === crc && existing.length === value.length) {
      const stored = readValue(existing);
      if (stored && stored.equals(value)) return { type: 'unchanged' };
    }
    const id = existing ? existing.id : this.mode === 'seq' ? seqKey(this.nextEntry) : Buffer.from(key);
    const dataOffset = this.appendData(id, value, crc, 0, timestamp);
    this.applySet(id, existing, { dataId: this.files.currentId, dataOffset, length: value.length, crc, timestamp });
    return { type: 'written', key: id };
  }

  /** DEL of a live entry: a tombstone in the data file, then the DELETED flag on its item. */
  del(entry: Entry, timestamp: number): void {
    this.appendData(entry.id, new Uint8Array(0), 0, FLAG_DELETED, timestamp);
    this.applyDelete(entry);
  }

  appendData(id: Uint8Array, value: Uint8Array, crc: number, flags: number, timestamp: number): number {
    const headerBytes = encodeDataEntryHeader(this.scratch, 0, { idLength: id.length, length: value.length, previous: this.dataPrevious, crc, flags, timestamp }, id);
    const offset = this.files.appendData([this.scratch.subarray(0, headerBytes), value], headerBytes + value.length);
    this.dataPrevious = offset;
    return offset;
  }

  /** Index side of a SET whose data entry is already written (also used to replay data). */
  applySet(id: Buffer, existing: Entry | null, location: Pick<Entry, 'dataId' | 'dataOffset' | 'length' | 'crc' | 'timestamp'>): void {
    if (this.mode === 'seq') {
      if (existing) this.updateSlot(existing, location);
      else this.insertSlot(id, location);
    } else if (existing) {
      this.updateKey(existing, location);
    } else {
      this.insertKey(id, location);
    }
  }

  applyDelete(entry: Entry): void {
    this.flagDeleted(entry);
    this.countRemoved(entry);
    if (this.mode === 'user') this.keys.delete(entry.id);
  }

  /** Rotation: index and data move to file id+1 together; `previous` chains are not reset. */
  jump(): void {
    this.files.jump(this.modeByte);
    this.nextId = 0;
  }

  private insertKey(id: Buffer, location: Pick<Entry, 'dataId' | 'dataOffset' | 'length' | 'crc' | 'timestamp'>): void {
    // 0-db v2.0.7 writes dataid 0 for user-mode inserts (its request struct never sets it);
    // replicated for byte-identical files. Readers use the item's index file id instead.
    const entry = this.appendItem(id, { ...location, flags: 0, parentId: 0, parentOffset: 0 }, 0);
    this.keys.insert(id, entry);
    this.countAdded(entry);
    this.nextEntry++;
    this.nextId++;
  }

  private updateKey(existing: Entry, location: Pick<Entry, 'dataId' | 'dataOffset' | 'length' | 'crc' | 'timestamp'>): void {
    this.flagDeleted(existing);
    const parentId = existing.indexId;
    const parentOffset = existing.indexOffset;
    const fresh = this.appendItem(existing.id, { ...location, flags: 0, parentId, parentOffset }, location.dataId);
    this.stats.dataBytes += fresh.length - existing.length;
    assignFields(existing, fresh);
  }

  private insertSlot(id: Buffer, location: Pick<Entry, 'dataId' | 'dataOffset' | 'length' | 'crc' | 'timestamp'>): void {
    assert(seqIdOf(id) === this.nextEntry, 'a new seq id is the next slot');
    const entry = this.appendItem(id, { ...location, flags: 0, parentId: 0, parentOffset: 0 }, location.dataId);
    this.slots.push(entry);
    this.countAdded(entry);
    this.nextEntry++;
    this.nextId++;
  }

  /**
   * Seq update of slot X: append a DELETED copy of the old slot (it takes, and burns, the next
   * id), then overwrite slot X in place keeping its `previous`, its parent pointing at the copy.
   */
  private updateSlot(slot: Entry, location: Pick<Entry, 'dataId' | 'dataOffset' | 'length' | 'crc' | 'timestamp'>): void {
    const copy = this.appendItem(slot.id, { ...slot, flags: slot.flags | FLAG_DELETED }, slot.dataId);
    this.slots.push(copy);
    this.nextEntry++;
    this.nextId++;
    const updated: IndexItem = {
      idLength: SEQ_KEY_BYTES, dataOffset: location.dataOffset, length: location.length, previous: slot.previous, flags: 0,
      dataId: location.dataId, timestamp: location.timestamp, crc: location.crc, parentId: copy.indexId, parentOffset: copy.indexOffset,
    };
    const bytes = encodeIndexItem(this.scratch, 0, updated, slot.id);
    this.files.writeIndexAt(slot.indexId, this.scratch.subarray(0, bytes), slot.indexOffset);
    this.dirtyIndexIds.add(slot.indexId);
    this.stats.dataBytes += location.length - slot.length;
    Object.assign(slot, location, { flags: 0, parentId: copy.indexId, parentOffset: copy.indexOffset });
  }

  /** Appends one item to the current index file (its `previous` is the last appended item). The loader
   *  also uses it to put back a seq update's lost copy; callers keep the in-memory index in step. */
  appendItem(id: Buffer, fields: Omit<IndexItem, 'idLength' | 'previous' | 'dataId'> & { dataId: number }, dataIdOnDisk: number): Entry {
    const item: IndexItem = { ...fields, idLength: id.length, previous: this.indexPrevious, dataId: dataIdOnDisk };
    const bytes = encodeIndexItem(this.scratch, 0, item, id);
    const offset = this.files.appendIndex(this.scratch.subarray(0, bytes));
    const entry: Entry = {
      id, dataId: fields.dataId, dataOffset: fields.dataOffset, length: fields.length, crc: fields.crc, timestamp: fields.timestamp,
      flags: fields.flags, indexId: this.files.currentId, indexOffset: offset, previous: this.indexPrevious,
      parentId: fields.parentId, parentOffset: fields.parentOffset,
    };
    this.indexPrevious = offset;
    this.indexPreviousId = this.files.currentId;
    return entry;
  }

  private flagDeleted(entry: Entry): void {
    entry.flags |= FLAG_DELETED;
    this.scratch[0] = entry.flags;
    this.files.writeIndexAt(entry.indexId, this.scratch.subarray(0, 1), entry.indexOffset + 13);
    this.dirtyIndexIds.add(entry.indexId);
  }

  countAdded(entry: Entry): void {
    this.stats.entries++;
    this.stats.dataBytes += entry.length;
    this.stats.indexBytes += this.mode === 'seq' ? SEQ_ENTRY_BYTES : ENTRY_OVERHEAD_BYTES + entry.id.length;
  }

  countRemoved(entry: Entry): void {
    this.stats.entries--;
    this.stats.dataBytes -= entry.length;
    this.stats.indexBytes -= this.mode === 'seq' ? SEQ_ENTRY_BYTES : ENTRY_OVERHEAD_BYTES + entry.id.length;
  }
}

/** Copies every field but the key (a KeyIndex entry's key cannot be assigned). */
export function assignFields(target: EntryFields, source: EntryFields): void {
  target.dataId = source.dataId;
  target.dataOffset = source.dataOffset;
  target.length = source.length;
  target.crc = source.crc;
  target.timestamp = source.timestamp;
  target.flags = source.flags;
  target.indexId = source.indexId;
  target.indexOffset = source.indexOffset;
  target.previous = source.previous;
  target.parentId = source.parentId;
  target.parentOffset = source.parentOffset;
}
