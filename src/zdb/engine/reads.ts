// Reads from the files of a namespace: values (checked against the index before they are
// served), index items (HISTORY, SCAN cursors) and the forward/backward walks of SCAN/RSCAN.
import { crc32c } from './crc32c.ts';
import type { Entry, Namespace } from './namespace.ts';
import {
  DATA_ENTRY_BYTES, FLAG_DELETED, INDEX_HEADER_BYTES, INDEX_ITEM_BYTES, KEY_BYTES_MAX, decodeDataEntryHeader, decodeIndexItem,
  type IndexItem,
} from './format.ts';

export type ValueRead = { ok: true; value: Buffer } | { ok: false; why: string };

export interface Location {
  dataId: number;
  dataOffset: number;
  length: number;
  crc: number;
}

/**
 * Reads header + key + value of one data entry with a single pread and serves the value only
 * if the header, the key and the CRC all match what the index says: never a partial or
 * foreign entry.
 */
export function readValue(ns: Namespace, location: Location, id: Uint8Array): ValueRead {
  const total = DATA_ENTRY_BYTES + id.length + location.length;
  const buffer = ns.files.reads.take(total);
  let read: number;
  try {
    read = ns.files.readData(location.dataId, buffer, total, location.dataOffset);
  } catch (error) {
    return { ok: false, why: `d${location.dataId} unreadable: ${(error as Error).message}` };
  }
  if (read !== total) return { ok: false, why: `short read at d${location.dataId}@${location.dataOffset} (${read}/${total})` };
  const header = decodeDataEntryHeader(buffer, 0);
  if (header.idLength !== id.length || header.length !== location.length || header.flags & FLAG_DELETED) {
    return { ok: false, why: `entry header mismatch at d${location.dataId}@${location.dataOffset}` };
  }
  if (!bytesAt(buffer, DATA_ENTRY_BYTES, id)) return { ok: false, why: `key mismatch at d${location.dataId}@${location.dataOffset}` };
  const valueStart = DATA_ENTRY_BYTES + id.length;
  const crc = crc32c(buffer, valueStart, total);
  if (crc !== location.crc || header.crc !== location.crc) {
    return { ok: false, why: `crc mismatch at d${location.dataId}@${location.dataOffset}` };
  }
  return { ok: true, value: buffer.subarray(valueStart) };
}

/** Whether `buffer` holds `bytes` at `at` (a loop: keys are short, and no view is made). */
function bytesAt(buffer: Buffer, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (buffer[at + i] !== bytes[i]) return false;
  return true;
}

/**
 * The value of `entry`. `key`, when given, is the key it was looked up with, which is its id
 * (user mode: the index compared the bytes; seq mode: the 8 bytes are the id), so a user-mode
 * entry's id need not be copied out of the index for the comparison with the stored key.
 */
export function readEntryValue(ns: Namespace, entry: Entry, key: Uint8Array = entry.id): ValueRead {
  return readValue(ns, entry, key);
}

/** readEntryValue through the value cache when there is one (GET and MGET only). */
export function readEntryValueCached(ns: Namespace, entry: Entry, key: Uint8Array): ValueRead {
  const cache = ns.files.valueCache;
  if (cache === null || entry.length > cache.valueBytesMax) return readValue(ns, entry, key);
  const target = ns.files.reads.take(entry.length);
  if (cache.copyTo(ns.cacheGeneration, entry, target)) return { ok: true, value: target };
  const read = readValue(ns, entry, key);
  if (read.ok) cache.offer(ns.cacheGeneration, entry, read.value);
  return read;
}

/** CHECK: recompute the CRC of the stored value and compare it with the entry header's. */
export function checkEntry(ns: Namespace, entry: Entry): boolean {
  return readEntryValue(ns, entry).ok;
}

export interface StoredItem {
  item: IndexItem;
  id: Buffer;
  fileId: number;
  offset: number;
}

const itemScratch = Buffer.allocUnsafe(INDEX_ITEM_BYTES + KEY_BYTES_MAX);

/** The index item at (fileId, offset), or null when the file or the bytes are not there. */
export function readItem(ns: Namespace, fileId: number, offset: number): StoredItem | null {
  if (fileId > ns.files.currentId || offset < INDEX_HEADER_BYTES) return null;
  let read: number;
  try {
    read = ns.files.readIndex(fileId, itemScratch, itemScratch.length, offset);
  } catch {
    return null;
  }
  if (read < INDEX_ITEM_BYTES) return null;
  const item = decodeIndexItem(itemScratch, 0);
  if (read < INDEX_ITEM_BYTES + item.idLength) return null;
  return { item, id: Buffer.from(itemScratch.subarray(INDEX_ITEM_BYTES, INDEX_ITEM_BYTES + item.idLength)), fileId, offset };
}

/** Where the value of a stored item lives. User-mode items carry dataid 0 (see namespace.ts). */
export function itemLocation(ns: Namespace, stored: StoredItem): Location {
  const dataId = ns.mode === 'user' ? stored.fileId : stored.item.dataId;
  return { dataId, dataOffset: stored.item.dataOffset, length: stored.item.length, crc: stored.item.crc };
}

/** The live item after (fileId, offset) in physical index order, crossing into later files. */
export function nextLiveItem(ns: Namespace, fileId: number, offset: number, idLength: number): StoredItem | null {
  return liveItemFrom(ns, fileId, offset + INDEX_ITEM_BYTES + idLength);
}

/** The first live item of the namespace (SCAN without cursor). */
export function firstLiveItem(ns: Namespace): StoredItem | null {
  return liveItemFrom(ns, 0, INDEX_HEADER_BYTES);
}

function liveItemFrom(ns: Namespace, fileId: number, offset: number): StoredItem | null {
  let file = fileId;
  let at = offset;
  for (;;) {
    const stored = readItem(ns, file, at);
    if (!stored) {
      if (file >= ns.files.currentId) return null;
      file++;
      at = INDEX_HEADER_BYTES;
      continue;
    }
    if (!(stored.item.flags & FLAG_DELETED)) return stored;
    at += INDEX_ITEM_BYTES + stored.item.idLength;
  }
}

/** The item appended before `stored` (its `previous`), crossing back over empty files. */
function previousItem(ns: Namespace, stored: StoredItem): StoredItem | null {
  const target = stored.item.previous;
  if (target < INDEX_HEADER_BYTES) return null;
  let file = stored.fileId;
  if (target >= stored.offset) {
    // `previous` at or beyond our own offset means "in an earlier file"; 0-db assumes file-1,
    // we skip empty files so that two NSJUMPs in a row do not break the chain.
    do file--; while (file >= 0 && ns.files.indexFileSize(file) <= target);
    if (file < 0) return null;
  }
  return readItem(ns, file, target);
}

/** The live item before `stored` walking the `previous` chain (RSCAN). */
export function previousLiveItem(ns: Namespace, stored: StoredItem): StoredItem | null {
  let current: StoredItem | null = stored;
  for (;;) {
    current = previousItem(ns, current);
    if (!current || !(current.item.flags & FLAG_DELETED)) return current;
  }
}

/** The last live item (RSCAN without cursor): the last appended item, then backwards. */
export function lastLiveItem(ns: Namespace): StoredItem | null {
  if (ns.indexPrevious < INDEX_HEADER_BYTES) return null;
  const last = readItem(ns, ns.indexPreviousId, ns.indexPrevious);
  if (!last) return null;
  return last.item.flags & FLAG_DELETED ? previousLiveItem(ns, last) : last;
}
