// Startup of one namespace: load the index files into memory, check them against the data
// files, truncate a torn tail, and replay data entries the index does not cover (a lagging,
// torn or missing index is rebuilt from the data files, which carry every key).
import fs from 'node:fs';
import { TfgridError, assert, type Logger } from '../../base/index.ts';
import { ZdbError } from '../errors.ts';
import { walkDataFile, type DataEntry } from './datascan.ts';
import { countFiles, dataPath, fileSize, indexPath } from './files.ts';
import {
  DATA_ENTRY_BYTES, DATA_HEADER_BYTES, FLAG_DELETED, INDEX_HEADER_BYTES, INDEX_ITEM_BYTES, MODE_SEQ, SEQ_KEY_BYTES, VALUE_BYTES_MAX,
  decodeDataEntryHeader, decodeIndexHeader, decodeIndexItem, seqIdOf, type IndexItem,
} from './format.ts';
import { keyString, type Entry, type Mode, type Namespace } from './namespace.ts';

export interface LoadOptions {
  /** `--mode`: a namespace whose index says otherwise is refused (0-db exits). */
  instanceMode: Mode | 'mixed';
  log: Logger;
}

export interface LoadReport {
  indexFiles: number;
  dataFiles: number;
  itemsLoaded: number;
  entriesReplayed: number;
  dataTruncatedBytes: number;
  indexTruncatedBytes: number;
}

interface Tail {
  fileId: number;
  /** Offset past the last whole entry of the last data file. */
  end: number;
  size: number;
  lastEntryOffset: number;
}

export function loadNamespace(ns: Namespace, options: LoadOptions): LoadReport {
  const log = options.log.child({ namespace: ns.name });
  const { indexDir, dataDir } = ns.files;
  let indexFiles = countFiles(indexDir, 'i');
  const dataFiles = countFiles(dataDir, 'd');
  const report: LoadReport = { indexFiles, dataFiles, itemsLoaded: 0, entriesReplayed: 0, dataTruncatedBytes: 0, indexTruncatedBytes: 0 };
  const header = indexFiles > 0 ? readIndexHeader(indexPath(indexDir, 0)) : null;
  if (indexFiles > 0 && !header) {
    log.warn('index file i0 unreadable, rebuilding the index from the data files');
    setAside(indexDir, 0, indexFiles, log);
    indexFiles = 0;
  }
  ns.mode = header ? (header.mode === MODE_SEQ ? 'seq' : 'user') : chooseMode(dataDir, dataFiles, options.instanceMode);
  if (options.instanceMode !== 'mixed' && ns.mode !== options.instanceMode) {
    throw new TfgridError(ZdbError.FORMAT_UNSUPPORTED, `namespace ${ns.name} was created in ${ns.mode} mode, server runs in ${options.instanceMode} mode`);
  }
  const tail = dataFiles > 0 ? scanTail(dataPath(dataDir, dataFiles - 1), dataFiles - 1) : null;
  const loaded = loadIndexFiles(ns, indexFiles, tail, log);
  report.itemsLoaded = loaded.items;
  report.indexTruncatedBytes = loaded.truncatedBytes;
  if (tail && tail.end < tail.size && !loaded.pastBreak) {
    log.warn('data file has a torn tail, truncating to the last whole entry', { file: `d${tail.fileId}`, end: tail.end, size: tail.size });
    fs.truncateSync(dataPath(dataDir, tail.fileId), tail.end);
    report.dataTruncatedBytes = tail.size - tail.end;
  } else if (tail && tail.end < tail.size) {
    log.error('data file damaged in the middle (entries after it are indexed): not truncating', { file: `d${tail.fileId}`, at: tail.end });
  }
  const lastId = Math.max(loaded.files - 1, dataFiles - 1, 0);
  report.entriesReplayed = replayData(ns, loaded, lastId, dataFiles, log);
  ns.files.openCurrent(lastId, ns.modeByte);
  ns.dataPrevious = tail && tail.fileId === lastId ? tail.lastEntryOffset : 0;
  return report;
}

function readIndexHeader(path: string): { mode: number } | null {
  const fd = fs.openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(INDEX_HEADER_BYTES);
    const read = fs.readSync(fd, bytes, 0, INDEX_HEADER_BYTES, 0);
    const decoded = decodeIndexHeader(bytes.subarray(0, read));
    if (!decoded.ok && read >= 4 && bytes.toString('latin1', 0, 4) === 'IDX0' && read === INDEX_HEADER_BYTES) {
      throw new TfgridError(ZdbError.FORMAT_UNSUPPORTED, `${path}: ${decoded.why}`);
    }
    return decoded.ok ? { mode: decoded.mode } : null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Without an index, the mode comes from `--mode`, else from the data: seq files start with id 0. */
function chooseMode(dataDir: string, dataFiles: number, instanceMode: Mode | 'mixed'): Mode {
  if (instanceMode !== 'mixed') return instanceMode;
  if (dataFiles === 0) return 'user';
  let mode: Mode = 'user';
  walkDataFile(dataPath(dataDir, 0), (entry) => {
    if (entry.key.length === SEQ_KEY_BYTES && seqIdOf(entry.key) === 0) mode = 'seq';
    return false;
  });
  return mode;
}

function setAside(indexDir: string, from: number, to: number, log: Logger): void {
  for (let id = from; id < to; id++) {
    const path = indexPath(indexDir, id);
    fs.renameSync(path, `${path}.broken`);
    log.warn('index file set aside', { file: `${path}.broken` });
  }
}

function scanTail(path: string, fileId: number): Tail {
  let lastEntryOffset = 0;
  const size = fileSize(path);
  const walk = walkDataFile(path, (entry) => {
    // A CRC mismatch on the very last entry is a torn write (e.g. zero-filled blocks after a
    // power loss); anywhere else it is damage that GET and CHECK report, not a tail.
    if (!entry.crcOk && entry.offset + entry.sizeBytes === size) return false;
    lastEntryOffset = entry.offset;
    return true;
  });
  return { fileId, end: Math.max(walk.end, DATA_HEADER_BYTES), size, lastEntryOffset };
}

interface Loaded {
  files: number;
  items: number;
  truncatedBytes: number;
  /** Index items verified beyond the data scan's stop: the stop is damage, not a torn tail. */
  pastBreak: boolean;
  /** Per data file, the end of the furthest entry an index item points at. */
  coveredEnd: Map<number, number>;
  /** Sizes of data files older than the tail (-1 when missing). */
  dataSizes: Map<number, number>;
}

function loadIndexFiles(ns: Namespace, indexFiles: number, tail: Tail | null, log: Logger): Loaded {
  const loaded: Loaded = { files: 0, items: 0, truncatedBytes: 0, pastBreak: false, coveredEnd: new Map(), dataSizes: new Map() };
  for (let fileId = 0; fileId < indexFiles; fileId++) {
    const path = indexPath(ns.files.indexDir, fileId);
    const bytes = fs.readFileSync(path);
    const decoded = decodeIndexHeader(bytes);
    if (!decoded.ok) {
      log.warn('index file header unreadable, rebuilding from data', { file: `i${fileId}`, why: decoded.why });
      setAside(ns.files.indexDir, fileId, indexFiles, log);
      break;
    }
    const last = fileId === indexFiles - 1;
    const end = loadItems(ns, fileId, bytes, { last, tail, loaded, log });
    loaded.files++;
    if (end < bytes.length) {
      log.warn('index file has a torn or lagging tail, truncating', { file: `i${fileId}`, end, size: bytes.length });
      fs.truncateSync(path, end);
      loaded.truncatedBytes += bytes.length - end;
      if (!last) setAside(ns.files.indexDir, fileId + 1, indexFiles, log);
      break;
    }
  }
  return loaded;
}

interface ItemContext {
  last: boolean;
  tail: Tail | null;
  loaded: Loaded;
  log: Logger;
}

/** Loads the items of one index file; returns the offset past the last item kept. */
function loadItems(ns: Namespace, fileId: number, bytes: Buffer, context: ItemContext): number {
  let at = INDEX_HEADER_BYTES;
  while (at + INDEX_ITEM_BYTES <= bytes.length) {
    const item = decodeIndexItem(bytes, at);
    const size = INDEX_ITEM_BYTES + item.idLength;
    const malformed = item.idLength === 0 || (ns.mode === 'seq' && item.idLength !== SEQ_KEY_BYTES) || item.length > VALUE_BYTES_MAX;
    if (malformed || at + size > bytes.length) return at;
    const id = Buffer.from(bytes.subarray(at + INDEX_ITEM_BYTES, at + size));
    const dataId = ns.mode === 'user' ? fileId : item.dataId;
    if (!dataAvailable(ns, item, id, dataId, context)) {
      // An appended item of the last file that points at missing bytes: the index got ahead
      // of the data (crash without --sync). Older items are left alone and reported.
      if (context.last && (ns.mode === 'user' || dataId === fileId)) return at;
      context.log.error('index item points at missing data, treating it as deleted', { file: `i${fileId}`, offset: at });
      item.flags |= FLAG_DELETED;
    }
    const dataEnd = item.dataOffset + DATA_ENTRY_BYTES + item.idLength + item.length;
    if (dataEnd > (context.loaded.coveredEnd.get(dataId) ?? 0)) context.loaded.coveredEnd.set(dataId, dataEnd);
    applyItem(ns, item, id, { dataId, indexId: fileId, indexOffset: at });
    context.loaded.items++;
    at += size;
  }
  return at;
}

function dataAvailable(ns: Namespace, item: IndexItem, id: Buffer, dataId: number, context: ItemContext): boolean {
  const dataEnd = item.dataOffset + DATA_ENTRY_BYTES + item.idLength + item.length;
  const tail = context.tail;
  if (!tail || dataId > tail.fileId) return false;
  if (dataId < tail.fileId) {
    let size = context.loaded.dataSizes.get(dataId);
    if (size === undefined) context.loaded.dataSizes.set(dataId, (size = fileSize(dataPath(ns.files.dataDir, dataId))));
    return dataEnd <= size;
  }
  if (dataEnd <= tail.end) return true;
  if (dataEnd > tail.size || !headerMatches(ns, item, id, dataId)) return false;
  context.loaded.pastBreak = true;
  return true;
}

function headerMatches(ns: Namespace, item: IndexItem, id: Buffer, dataId: number): boolean {
  const bytes = Buffer.alloc(DATA_ENTRY_BYTES + id.length);
  const fd = fs.openSync(dataPath(ns.files.dataDir, dataId), 'r');
  try {
    if (fs.readSync(fd, bytes, 0, bytes.length, item.dataOffset) !== bytes.length) return false;
  } finally {
    fs.closeSync(fd);
  }
  const header = decodeDataEntryHeader(bytes, 0);
  return header.idLength === id.length && header.length === item.length && header.crc === item.crc && bytes.subarray(DATA_ENTRY_BYTES).equals(id);
}

/** Replays one stored item the way 0-db's loader does (insert or update, then delete if flagged). */
function applyItem(ns: Namespace, item: IndexItem, id: Buffer, place: { dataId: number; indexId: number; indexOffset: number }): void {
  const entry: Entry = {
    id, dataId: place.dataId, dataOffset: item.dataOffset, length: item.length, crc: item.crc, timestamp: item.timestamp, flags: item.flags,
    indexId: place.indexId, indexOffset: place.indexOffset, previous: item.previous, parentId: item.parentId, parentOffset: item.parentOffset,
  };
  ns.indexPrevious = place.indexOffset;
  ns.indexPreviousId = place.indexId;
  ns.nextEntry++;
  if (ns.mode === 'seq') {
    ns.slots.push(entry);
    if (!(entry.flags & FLAG_DELETED)) ns.countAdded(entry);
    return;
  }
  const key = keyString(id);
  const existing = ns.keys.get(key);
  if (existing) {
    ns.stats.dataBytes += entry.length - existing.length;
    Object.assign(existing, entry);
  } else {
    ns.keys.set(key, entry);
    ns.countAdded(entry);
  }
  if (entry.flags & FLAG_DELETED) {
    const live = ns.keys.get(key)!;
    ns.keys.delete(key);
    ns.countRemoved(live);
  }
}

/**
 * Replays data entries no index item covers: the tail of the last indexed data file and every
 * data file without an index file. The index items are written as a live SET/DEL would.
 */
function replayData(ns: Namespace, loaded: Loaded, lastId: number, dataFiles: number, log: Logger): number {
  let replayed = 0;
  const firstId = Math.max(loaded.files - 1, 0);
  for (let fileId = firstId; fileId < dataFiles; fileId++) {
    ns.files.openCurrent(fileId, ns.modeByte);
    const from = fileId === loaded.files - 1 ? Math.max(loaded.coveredEnd.get(fileId) ?? 0, DATA_HEADER_BYTES) : DATA_HEADER_BYTES;
    if (from >= ns.files.dataSize) continue;
    let consistent = true;
    const walk = walkDataFile(dataPath(ns.files.dataDir, fileId), (entry) => {
      const outcome = replayEntry(ns, fileId, entry, log);
      if (outcome === 'applied') replayed++;
      consistent = outcome !== 'stop';
      return consistent;
    }, from);
    if (walk.stop && consistent) log.warn('data replay stopped', { file: `d${fileId}`, why: walk.stop });
    if (!consistent) break;
  }
  if (replayed > 0) log.info('index rebuilt from data entries', { entries: replayed });
  assert(lastId >= ns.files.currentId, 'replay never moves past the last file');
  return replayed;
}

function replayEntry(ns: Namespace, fileId: number, entry: DataEntry, log: Logger): 'applied' | 'skipped' | 'stop' {
  const existing = ns.lookup(entry.key);
  if (entry.header.flags & FLAG_DELETED) {
    if (!existing) return 'skipped';
    ns.applyDelete(existing);
    return 'applied';
  }
  if (existing && existing.dataId === fileId && existing.dataOffset === entry.offset) return 'skipped';
  if (!entry.crcOk) log.error('replaying a data entry whose value fails its CRC (GET will refuse it)', { file: `d${fileId}`, offset: entry.offset });
  const location = { dataId: fileId, dataOffset: entry.offset, length: entry.header.length, crc: entry.header.crc, timestamp: entry.header.timestamp };
  if (ns.mode === 'seq' && !existing && seqIdOf(entry.key) !== ns.nextEntry) {
    log.error('seq data entry does not follow the index, replay stopped', { file: `d${fileId}`, offset: entry.offset, id: seqIdOf(entry.key), next: ns.nextEntry });
    return 'stop';
  }
  ns.applySet(existing ? existing.id : entry.key, existing, location);
  return 'applied';
}
