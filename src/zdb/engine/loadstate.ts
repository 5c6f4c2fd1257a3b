// What the loader's steps hand each other (loader.ts → indexload.ts → indexverify.ts →
// replay.ts), and the small helpers they share for reading data locations and seq ids.
// The rules are in src/zdb/README.md, "Loading, torn tails, rebuilds".
import fs from 'node:fs';
import type { Logger } from '../../base/index.ts';
import type { DataEntry } from './datascan.ts';
import { dataPath } from './files.ts';
import { DATA_ENTRY_BYTES, FLAG_DELETED, SEQ_KEY_BYTES, decodeDataEntryHeader, type IndexItem } from './format.ts';
import type { Entry, Namespace } from './namespace.ts';

export interface Tail {
  fileId: number;
  /** Offset past the last whole entry of the last data file. */
  end: number;
  size: number;
  lastEntryOffset: number;
}

/** Seq: what a slot says about its id's latest version: where the value is, and the copy before it. */
export type SlotState = Location & Pick<Entry, 'parentId' | 'parentOffset'>;
export type Location = Pick<Entry, 'dataId' | 'dataOffset' | 'length' | 'crc' | 'timestamp'>;

/**
 * An in-place change that the data shows but the index does not have (it did not reach the
 * disk), found while checking the last index file, redone once its items are loaded.
 */
export type Repair =
  | { type: 'delete'; key: Buffer; offset: number }
  | { type: 'overwrite'; id: number; state: SlotState };

export interface Loaded {
  /** Index files applied: i0 … i(files - 1). */
  files: number;
  items: number;
  truncatedBytes: number;
  setAside: number;
  /** Index items verified beyond the last data file's break: the break is mid-file damage, not a tail. */
  pastBreak: boolean;
  /** Where the data replay starts: the first entry the index does not cover, and its seq slot. */
  replayFrom: { fileId: number; offset: number };
  repairs: Repair[];
  /** Seq: ids whose slot points past the entries checked, with the latest version seen (see SeqSlots). */
  tracked: Map<number, SlotState>;
  /** Seq: the first id of each applied index file. */
  firstIds: number[];
  /** Seq: slots whose data entry is not there (by id), resolved after the replay. */
  dangling: Set<number>;
  /** Items cut from the last index file because their data is missing, by `file:offset`. */
  cut: Map<string, { item: IndexItem; id: Buffer }>;
  /** Sizes of data files (-1 when missing). */
  dataSizes: Map<number, number>;
}

/** One index file read and checked, not applied yet. */
export interface Checked {
  fileId: number;
  bytes: Buffer;
  firstId: number;
  count: number;
  end: number;
  damage: string | null;
  /** Offset of its last item that passed (what the next file's first item must point back at). */
  previous: number;
}

export type LoadContext = { dataFiles: number; tail: Tail | null; loaded: Loaded; log: Logger };

/** Whether the data entry an item points at is there, whole, live, and holds the item's key, length and CRC. */
export function headerMatches(ns: Namespace, item: Pick<IndexItem, 'dataOffset' | 'length' | 'crc'>, id: Buffer, dataId: number): boolean {
  const bytes = Buffer.alloc(DATA_ENTRY_BYTES + id.length);
  let fd: number;
  try {
    fd = fs.openSync(dataPath(ns.files.dataDir, dataId), 'r');
  } catch {
    return false;
  }
  try {
    if (fs.readSync(fd, bytes, 0, bytes.length, item.dataOffset) !== bytes.length) return false;
  } finally {
    fs.closeSync(fd);
  }
  const header = decodeDataEntryHeader(bytes, 0);
  return header.idLength === id.length && header.length === item.length && header.crc === item.crc && !(header.flags & FLAG_DELETED) &&
    bytes.subarray(DATA_ENTRY_BYTES).equals(id);
}

/** The seq id stored at `at` (8 bytes, little-endian), without a view; -1 beyond 2^53 (see seqIdOf). */
export function seqIdAt(bytes: Buffer, at: number): number {
  const high = bytes.readUInt32LE(at + 4);
  return high > 0x1fffff ? -1 : high * 0x1_0000_0000 + bytes.readUInt32LE(at);
}

/** The seq id of a data entry's key, or -1 when it is not one. */
export function entrySeqId(entry: DataEntry): number {
  return entry.header.idLength === SEQ_KEY_BYTES ? seqIdAt(entry.window, entry.start + DATA_ENTRY_BYTES) : -1;
}

/** Order of two data locations: negative when (aId, aOffset) comes first. */
export function compare(aId: number, aOffset: number, bId: number, bOffset: number): number {
  return aId !== bId ? aId - bId : aOffset - bOffset;
}

export function locationOf(fileId: number, entry: DataEntry): Location {
  return { dataId: fileId, dataOffset: entry.offset, length: entry.header.length, crc: entry.header.crc, timestamp: entry.header.timestamp };
}

export function zeros(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
