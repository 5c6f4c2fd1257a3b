// Startup of one namespace: load the index files into memory, check them against the data
// files, truncate torn tails, set damaged index files aside, and rebuild from the data files
// whatever the index does not cover (the data entries carry every key, value, flag and time).
// The rules are in src/zdb/README.md, "Loading, torn tails, rebuilds".
import fs from 'node:fs';
import { TfgridError, type Logger } from '../../base/index.ts';
import { ZdbError } from '../errors.ts';
import { walkDataFile, type DataEntry } from './datascan.ts';
import { countFiles, dataPath, fileSize, indexPath } from './files.ts';
import {
  DATA_ENTRY_BYTES, DATA_HEADER_BYTES, FLAG_DELETED, INDEX_HEADER_BYTES, INDEX_ITEM_BYTES, MODE_SEQ, SEQ_KEY_BYTES, SEQ_SLOT_BYTES, VALUE_BYTES_MAX,
  decodeDataEntryHeader, decodeIndexHeader, decodeIndexItem, encodeIndexItem, seqIdOf, type IndexItem,
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
  /** Index items written from data entries the index did not cover (including DELs applied). */
  entriesReplayed: number;
  /** Items of the surviving index corrected in place from the data (a lost DEL flag or seq overwrite). */
  itemsRepaired: number;
  dataTruncatedBytes: number;
  indexTruncatedBytes: number;
  /** Index files renamed to `iN.broken` (damaged, or following a damaged one) and rebuilt. */
  indexFilesSetAside: number;
}

interface Tail {
  fileId: number;
  /** Offset past the last whole entry of the last data file. */
  end: number;
  size: number;
  lastEntryOffset: number;
}

/** Seq: what a slot says about its id's latest version: where the value is, and the copy before it. */
type SlotState = Location & Pick<Entry, 'parentId' | 'parentOffset'>;
type Location = Pick<Entry, 'dataId' | 'dataOffset' | 'length' | 'crc' | 'timestamp'>;

/**
 * An in-place change that the data shows but the index does not have (it did not reach the
 * disk), found while checking the last index file, redone once its items are loaded.
 */
type Repair =
  | { type: 'delete'; key: Buffer; offset: number }
  | { type: 'overwrite'; id: number; state: SlotState };

interface Loaded {
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
  /** Seq: ids whose slot points past the entries checked, with the latest version seen (see Replay). */
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

export function loadNamespace(ns: Namespace, options: LoadOptions): LoadReport {
  const log = options.log.child({ namespace: ns.name });
  const { indexDir, dataDir } = ns.files;
  const indexFiles = countFiles(indexDir, 'i');
  // A data file missing in the middle loses its own entries only: the files after it are used.
  const dataFiles = highestFile(dataDir, 'd') + 1;
  const report: LoadReport = {
    indexFiles, dataFiles, itemsLoaded: 0, entriesReplayed: 0, itemsRepaired: 0, dataTruncatedBytes: 0, indexTruncatedBytes: 0, indexFilesSetAside: 0,
  };
  // Index files after a missing one are not loaded (0-db stops at the gap too): they are set
  // aside, so that the rebuild from their data files does not append to them.
  report.indexFilesSetAside += setAside(indexDir, indexFiles + 1, highestFile(indexDir, 'i') + 1, log);
  const header = indexFiles > 0 ? readIndexHeader(indexPath(indexDir, 0)) : null;
  let usable = indexFiles;
  if (indexFiles > 0 && !header) {
    log.warn('index file i0 unreadable, rebuilding the index from the data files');
    report.indexFilesSetAside += setAside(indexDir, 0, indexFiles, log);
    usable = 0;
  }
  ns.mode = header ? (header.mode === MODE_SEQ ? 'seq' : 'user') : chooseMode(dataDir, dataFiles, options.instanceMode);
  if (options.instanceMode !== 'mixed' && ns.mode !== options.instanceMode) {
    throw new TfgridError(ZdbError.FORMAT_UNSUPPORTED, `namespace ${ns.name} was created in ${ns.mode} mode, server runs in ${options.instanceMode} mode`);
  }
  const tail = dataFiles > 0 ? scanTail(dataPath(dataDir, dataFiles - 1), dataFiles - 1) : null;
  const loaded = loadIndexFiles(ns, usable, dataFiles, tail, log);
  report.itemsLoaded = loaded.items;
  report.indexTruncatedBytes = loaded.truncatedBytes;
  report.indexFilesSetAside += loaded.setAside;
  if (tail && tail.end < tail.size && !loaded.pastBreak) {
    const path = dataPath(dataDir, tail.fileId);
    const kept = keepAside(path, tail.end, tail.size);
    log.warn('data file has a torn tail, truncating to the last whole entry', { file: `d${tail.fileId}`, end: tail.end, size: tail.size, keptIn: kept });
    fs.truncateSync(path, tail.end);
    report.dataTruncatedBytes = tail.size - tail.end;
  } else if (tail && tail.end < tail.size) {
    log.error('data file damaged in the middle (entries after it are indexed): not truncating', { file: `d${tail.fileId}`, at: tail.end });
  }
  reviveCutParents(ns, loaded, log);
  const lastId = Math.max(loaded.files - 1, dataFiles - 1, 0);
  const replay = new Replay(ns, loaded, log);
  replay.run(dataFiles);
  replay.finish();
  report.entriesReplayed = replay.replayed;
  report.itemsRepaired = replay.repaired;
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

/** The highest N of the files `<prefix>N` in `dir`, or -1. */
function highestFile(dir: string, prefix: 'i' | 'd'): number {
  const pattern = prefix === 'i' ? /^i(\d+)$/ : /^d(\d+)$/;
  let highest = -1;
  for (const name of fs.readdirSync(dir)) {
    const match = pattern.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest;
}

/** Without an index, the mode comes from `--mode`, else from the data: seq files start with id 0. */
function chooseMode(dataDir: string, dataFiles: number, instanceMode: Mode | 'mixed'): Mode {
  if (instanceMode !== 'mixed') return instanceMode;
  if (dataFiles === 0 || fileSize(dataPath(dataDir, 0)) < 0) return 'user';
  let mode: Mode = 'user';
  walkDataFile(dataPath(dataDir, 0), (entry) => {
    if (entry.key.length === SEQ_KEY_BYTES && seqIdOf(entry.key) === 0) mode = 'seq';
    return false;
  });
  return mode;
}

/** Renames the index files `from` … `to - 1` that exist to `iN.broken` (never deleted; a free name is picked). Returns how many. */
function setAside(indexDir: string, from: number, to: number, log: Logger): number {
  let count = 0;
  for (let id = from; id < to; id++) {
    const path = indexPath(indexDir, id);
    if (fileSize(path) < 0) continue;
    let aside = `${path}.broken`;
    for (let n = 1; fileSize(aside) >= 0; n++) aside = `${path}.broken.${n}`;
    fs.renameSync(path, aside);
    log.warn('index file set aside', { file: aside });
    count++;
  }
  return count;
}

/** Copies bytes `from` … `to` of a file to `<path>.torn` (a free name) before they are cut, unless they are all zero. */
function keepAside(path: string, from: number, to: number): string | null {
  const bytes = Buffer.alloc(to - from);
  const fd = fs.openSync(path, 'r');
  try {
    fs.readSync(fd, bytes, 0, bytes.length, from);
  } finally {
    fs.closeSync(fd);
  }
  if (zeros(bytes, 0)) return null;
  let aside = `${path}.torn`;
  for (let n = 1; fileSize(aside) >= 0; n++) aside = `${path}.torn.${n}`;
  fs.writeFileSync(aside, bytes, { mode: 0o600 });
  return aside;
}

function scanTail(path: string, fileId: number): Tail {
  let lastEntryOffset = 0;
  const size = fileSize(path);
  const walk = walkDataFile(path, (entry) => {
    // A CRC mismatch on the very last entry is a torn write (e.g. zero-filled blocks after a
    // power loss); anywhere else it is damage that GET and CHECK report, not a tail.
    if (entry.offset + entry.sizeBytes === size && !entry.crcOk()) return false;
    lastEntryOffset = entry.offset;
    return true;
  });
  return { fileId, end: Math.max(walk.end, DATA_HEADER_BYTES), size, lastEntryOffset };
}

// ---------------------------------------------------------------------------------------------
// Index files

/** One index file read and checked, not applied yet. */
interface Checked {
  fileId: number;
  bytes: Buffer;
  firstId: number;
  count: number;
  end: number;
  damage: string | null;
  /** Offset of its last item that passed (what the next file's first item must point back at). */
  previous: number;
}

type LoadContext = { dataFiles: number; tail: Tail | null; loaded: Loaded; log: Logger };

/**
 * Loads i0 … in order. Each file is checked structurally, and applied once the next one checked
 * too: a damaged file (or one whose first item does not point back at the end of the file
 * before it) makes the file before it the last one, which is then checked against its data
 * like the last index file always is. The damaged file and the later ones are set aside.
 */
function loadIndexFiles(ns: Namespace, indexFiles: number, dataFiles: number, tail: Tail | null, log: Logger): Loaded {
  const loaded: Loaded = {
    files: 0, items: 0, truncatedBytes: 0, setAside: 0, pastBreak: false, replayFrom: { fileId: 0, offset: DATA_HEADER_BYTES }, repairs: [],
    tracked: new Map(), firstIds: [], dangling: new Set(), cut: new Map(), dataSizes: new Map(),
  };
  const context: LoadContext = { dataFiles, tail, loaded, log };
  let pending: Checked | null = null;
  for (let fileId = 0; fileId < indexFiles; fileId++) {
    const bytes = fs.readFileSync(indexPath(ns.files.indexDir, fileId));
    const decoded = decodeIndexHeader(bytes);
    const firstId = pending ? pending.firstId + pending.count : 0;
    const previous = pending ? pending.previous : 0;
    const checked: Checked = decoded.ok
      ? { fileId, bytes, firstId, ...checkItems(ns, fileId, bytes, { last: fileId === indexFiles - 1, firstId, previous }) }
      : { fileId, bytes, firstId, count: 0, end: INDEX_HEADER_BYTES, damage: `header unreadable (${decoded.why})`, previous };
    if (checked.damage) {
      if (pending) finishFile(ns, pending, indexFiles, context);
      if (fileSize(indexPath(ns.files.indexDir, fileId)) >= 0) setAsideDamaged(ns, checked, indexFiles, context);
      break;
    }
    if (pending) applyFile(ns, pending, pending, context);
    pending = checked;
    if (fileId === indexFiles - 1) finishFile(ns, pending, indexFiles, context);
  }
  // Without a checked last file, the replay starts at the data file after the applied ones.
  if (loaded.replayFrom.fileId !== loaded.files - 1) loaded.replayFrom = { fileId: loaded.files, offset: DATA_HEADER_BYTES };
  return loaded;
}

/** Checks the last file to load against its data file and applies what matches it, or sets it aside as damaged. */
function finishFile(ns: Namespace, checked: Checked, indexFiles: number, context: LoadContext): void {
  const verified = verifyAgainstData(ns, checked, context);
  if (verified.damage) {
    setAsideDamaged(ns, { ...checked, damage: verified.damage }, indexFiles, context);
    return;
  }
  applyFile(ns, checked, verified, context);
  context.loaded.replayFrom = { fileId: checked.fileId, offset: verified.boundary };
  context.loaded.repairs = verified.repairs;
  context.loaded.tracked = verified.tracked;
}

function setAsideDamaged(ns: Namespace, checked: Checked, indexFiles: number, context: LoadContext): void {
  // Items after a damaged one cannot be trusted (their positions may be off), and later files
  // hold in-place changes (DEL flags, seq overwrites) that only a replay of the data redoes.
  context.log.error('index file damaged: set aside with the files after it, rebuilding them from the data files', { file: `i${checked.fileId}`, why: checked.damage });
  context.loaded.setAside += setAside(ns.files.indexDir, checked.fileId, indexFiles, context.log);
}

function applyFile(ns: Namespace, checked: Checked, kept: { count: number; end: number }, context: LoadContext): void {
  const { fileId, bytes } = checked;
  const loaded = context.loaded;
  loaded.firstIds[fileId] = checked.firstId;
  applyItems(ns, fileId, bytes, kept.count, context);
  loaded.files++;
  if (kept.end < bytes.length) {
    rememberCut(loaded, fileId, bytes, kept.end);
    context.log.warn('index file has a torn or lagging tail, truncating', { file: `i${fileId}`, end: kept.end, size: bytes.length });
    fs.truncateSync(indexPath(ns.files.indexDir, fileId), kept.end);
    loaded.truncatedBytes += bytes.length - kept.end;
  }
}

/**
 * Structural check of an index file's items, without reading data: plausible fields, the
 * `previous` chain (each item points at the item appended before it, so a shifted item breaks
 * it), user-mode items in data order, seq ids that fit their slot. Returns the items that pass.
 * In the last file, a partial item or zero bytes after them are a torn tail; anything else
 * that fails is damage.
 */
function checkItems(ns: Namespace, fileId: number, bytes: Buffer, from: { last: boolean; firstId: number; previous: number }): { count: number; end: number; damage: string | null; previous: number } {
  let at = INDEX_HEADER_BYTES;
  let count = 0;
  let previous = from.previous;
  let dataEnd = 0;
  while (at + INDEX_ITEM_BYTES <= bytes.length) {
    const item = decodeIndexItem(bytes, at);
    const size = INDEX_ITEM_BYTES + item.idLength;
    if (at + size > bytes.length) break;
    const why = implausibleItem(ns, fileId, item, bytes, { previous, dataEnd, position: from.firstId + count, idAt: at + INDEX_ITEM_BYTES });
    if (why) return { count, end: at, damage: from.last && zeros(bytes, at) ? null : `item ${count} at ${at}: ${why}`, previous };
    previous = at;
    dataEnd = item.dataOffset + DATA_ENTRY_BYTES + item.idLength + item.length;
    at += size;
    count++;
  }
  if (at < bytes.length && !from.last) return { count, end: at, damage: `partial item at ${at}`, previous };
  return { count, end: at, damage: null, previous };
}

function implausibleItem(ns: Namespace, fileId: number, item: IndexItem, bytes: Buffer, expected: { previous: number; dataEnd: number; position: number; idAt: number }): string | null {
  if (item.idLength === 0) return 'empty key';
  if (item.length > VALUE_BYTES_MAX) return 'value too long';
  if (item.flags > FLAG_DELETED) return `unknown flags ${item.flags}`;
  if (item.previous !== expected.previous) return `previous is ${item.previous}, not ${expected.previous}`;
  if (item.dataOffset < DATA_HEADER_BYTES) return `data offset ${item.dataOffset}`;
  if (ns.mode === 'user') {
    if (item.dataId !== 0 && item.dataId !== fileId) return `data file id ${item.dataId}`;
    if (item.dataOffset < expected.dataEnd) return 'data offsets out of order';
    return null;
  }
  if (item.idLength !== SEQ_KEY_BYTES) return `seq key of ${item.idLength} bytes`;
  const slotId = seqIdAt(bytes, expected.idAt);
  // A slot holds its own id (a new value) or, flagged deleted, an older id (an update's copy).
  if (slotId < 0 || slotId > expected.position) return `id ${slotId} in slot ${expected.position}`;
  if (slotId < expected.position && !(item.flags & FLAG_DELETED)) return `live copy of id ${slotId} in slot ${expected.position}`;
  if (slotId === expected.position && item.dataId < fileId) return `slot points into older data file d${item.dataId}`;
  if (slotId < expected.position && item.dataId > fileId) return `copy points into newer data file d${item.dataId}`;
  return null;
}

function zeros(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

interface Verified {
  count: number;
  end: number;
  damage: string | null;
  /** Offset in the data file of the first entry past the items (where the replay starts). */
  boundary: number;
  repairs: Repair[];
  tracked: Map<number, SlotState>;
}

/**
 * Checks the items of the last index file against its data file, in order: the c-th item
 * must describe the c-th entry that is not a tombstone (every SET appends exactly one item,
 * in data order, in both modes). Items past the last data entry are a lagging tail (the index
 * got ahead of the data) and are cut. Where the data walk breaks off (a damaged header), it
 * continues at the next item whose entry verifies. The walk also notes what the items cannot
 * show: DELs whose flag may not have reached the index, and (seq) updates whose in-place
 * overwrite may not have.
 */
function verifyAgainstData(ns: Namespace, checked: Checked, context: LoadContext): Verified {
  const { fileId, bytes, count, firstId } = checked;
  const repairs: Repair[] = [];
  const tracked = new Map<number, SlotState>();
  const path = dataPath(ns.files.dataDir, fileId);
  if (fileSize(path) < 0) {
    const damage = count > 0 ? `its data file d${fileId} is missing` : null;
    return { count: 0, end: INDEX_HEADER_BYTES, damage, boundary: DATA_HEADER_BYTES, repairs, tracked };
  }
  const isLastData = context.tail?.fileId === fileId;
  let until = isLastData ? context.tail!.end : Infinity;
  let from = DATA_HEADER_BYTES;
  let at = INDEX_HEADER_BYTES;
  let c = 0;
  let damage: string | null = null;
  const seqNote = ns.mode === 'seq' ? new SeqNotes(ns, bytes, firstId, repairs, tracked) : null;
  for (;;) {
    const walk = walkDataFile(path, (entry) => {
      if (c >= count) return false;
      if (entry.header.flags & FLAG_DELETED) {
        if (seqNote) seqNote.deleted(entry);
        else repairs.push({ type: 'delete', key: Buffer.from(entry.key), offset: entry.offset });
        return true;
      }
      const why = mismatch(ns, fileId, bytes, at, firstId + c, entry);
      if (why) {
        damage = `item ${c} at ${at} does not describe the data entry at d${fileId}@${entry.offset}: ${why}`;
        return false;
      }
      seqNote?.set(fileId, entry, firstId + c, at);
      at += INDEX_ITEM_BYTES + bytes[at]!;
      c++;
      return true;
    }, from, until);
    if (damage) return { count: c, end: at, damage, boundary: walk.end, repairs, tracked };
    if (c >= count) return { count: c, end: at, damage: null, boundary: walk.end, repairs, tracked };
    const anchor = findAnchor(ns, fileId, bytes, { at, c, count, firstId, after: walk.end });
    if (!anchor) return { count: c, end: at, damage: null, boundary: walk.end, repairs, tracked };
    if (isLastData) context.loaded.pastBreak = true;
    ({ at, c } = anchor);
    from = anchor.dataOffset;
    until = Infinity;
  }
}

function mismatch(ns: Namespace, fileId: number, bytes: Buffer, at: number, position: number, entry: DataEntry): string | null {
  const idLength = bytes[at]!;
  const dataOffset = bytes.readUInt32LE(at + 1);
  const sameValue = bytes.readUInt32LE(at + 5) === entry.header.length && bytes.readUInt32LE(at + 22) === entry.header.crc;
  const id = at + INDEX_ITEM_BYTES;
  if (ns.mode === 'user') {
    if (dataOffset !== entry.offset) return `it points at ${dataOffset}`;
    if (idLength !== entry.header.idLength || bytes.compare(entry.key, 0, idLength, id, id + idLength) !== 0) return 'keys differ';
    return sameValue ? null : 'length or CRC differ';
  }
  const slotId = seqIdAt(bytes, id);
  const dataId = entrySeqId(entry);
  if (slotId !== dataId) return `slot ${position} holds id ${slotId}, the data entry id ${dataId}`;
  const order = compare(bytes.readUInt32LE(at + 14), dataOffset, fileId, entry.offset);
  if (dataId === position) {
    // A new value's slot points at this entry, or, updated in place since, at a later one.
    if (bytes.readUInt32LE(at + 26) === 0 && bytes.readUInt32LE(at + 30) === 0) return order === 0 && sameValue ? null : 'the slot does not point at its entry';
    return order > 0 ? null : 'an updated slot points at an older entry';
  }
  return order < 0 ? null : 'an update\'s copy does not point at an older entry';
}

/**
 * Seq: while the last index file is checked, compares each entry with the slot of its id (in
 * the file being checked, or already loaded): a slot behind the entry missed an overwrite (a
 * repair); a slot ahead of it was updated later, or points at data that is gone (the version
 * is remembered in `tracked` until a later entry catches up with the slot).
 */
class SeqNotes {
  private readonly ns: Namespace;
  private readonly bytes: Buffer;
  private readonly firstId: number;
  private readonly repairs: Repair[];
  private readonly tracked: Map<number, SlotState>;
  /** Overwrites noted per id, so that a later entry compares with the slot as repaired. */
  private readonly overwritten = new Map<number, SlotState>();

  constructor(ns: Namespace, bytes: Buffer, firstId: number, repairs: Repair[], tracked: Map<number, SlotState>) {
    this.ns = ns;
    this.bytes = bytes;
    this.firstId = firstId;
    this.repairs = repairs;
    this.tracked = tracked;
  }

  deleted(entry: DataEntry): void {
    const id = entrySeqId(entry);
    this.tracked.delete(id);
    this.repairs.push({ type: 'delete', key: Buffer.from(entry.key), offset: entry.offset });
  }

  /** The entry is a new value (id = position) or an update whose copy is the item at `copyAt`. */
  set(fileId: number, entry: DataEntry, position: number, copyAt: number): void {
    const id = entrySeqId(entry);
    const state: SlotState = {
      dataId: fileId, dataOffset: entry.offset, length: entry.header.length, crc: entry.header.crc, timestamp: entry.header.timestamp,
      parentId: id === position ? 0 : fileId, parentOffset: id === position ? 0 : copyAt,
    };
    const slot = this.slot(id);
    const order = compare(slot.dataId, slot.dataOffset, fileId, entry.offset);
    if (order > 0) {
      this.tracked.set(id, state);
      return;
    }
    this.tracked.delete(id);
    if (order < 0) {
      this.repairs.push({ type: 'overwrite', id, state });
      this.overwritten.set(id, state);
    }
  }

  private slot(id: number): { dataId: number; dataOffset: number } {
    const repaired = this.overwritten.get(id);
    if (repaired) return repaired;
    if (id < this.firstId) return this.ns.slots[id]!;
    const at = INDEX_HEADER_BYTES + (id - this.firstId) * SEQ_SLOT_BYTES;
    return { dataId: this.bytes.readUInt32LE(at + 14), dataOffset: this.bytes.readUInt32LE(at + 1) };
  }
}

/** The first item at or after `at` whose data entry lies at or after `after` and verifies (seq: a never-updated slot). */
function findAnchor(ns: Namespace, fileId: number, bytes: Buffer, scan: { at: number; c: number; count: number; firstId: number; after: number }): { at: number; c: number; dataOffset: number } | null {
  const dataSize = fileSize(dataPath(ns.files.dataDir, fileId));
  for (let { at, c } = scan; c < scan.count; c++) {
    const item = decodeIndexItem(bytes, at);
    const id = bytes.subarray(at + INDEX_ITEM_BYTES, at + INDEX_ITEM_BYTES + item.idLength);
    const fits = item.dataOffset >= scan.after && item.dataOffset + DATA_ENTRY_BYTES + item.idLength + item.length <= dataSize;
    const own = ns.mode === 'user' || (seqIdOf(id) === scan.firstId + c && item.parentId === 0 && item.parentOffset === 0 && item.dataId === fileId);
    if (fits && own && headerMatches(ns, item, id, fileId)) return { at, c, dataOffset: item.dataOffset };
    at += INDEX_ITEM_BYTES + item.idLength;
  }
  return null;
}

function headerMatches(ns: Namespace, item: Pick<IndexItem, 'dataOffset' | 'length' | 'crc'>, id: Buffer, dataId: number): boolean {
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
function seqIdAt(bytes: Buffer, at: number): number {
  const high = bytes.readUInt32LE(at + 4);
  return high > 0x1fffff ? -1 : high * 0x1_0000_0000 + bytes.readUInt32LE(at);
}

/** The seq id of a data entry's key, or -1 when it is not one. */
function entrySeqId(entry: DataEntry): number {
  return entry.header.idLength === SEQ_KEY_BYTES ? seqIdAt(entry.window, entry.start + DATA_ENTRY_BYTES) : -1;
}

/** Order of two data locations: negative when (aId, aOffset) comes first. */
function compare(aId: number, aOffset: number, bId: number, bOffset: number): number {
  return aId !== bId ? aId - bId : aOffset - bOffset;
}

function applyItems(ns: Namespace, fileId: number, bytes: Buffer, count: number, context: LoadContext): void {
  let at = INDEX_HEADER_BYTES;
  let missing = 0;
  for (let c = 0; c < count; c++) {
    const item = decodeIndexItem(bytes, at);
    const size = INDEX_ITEM_BYTES + item.idLength;
    const id = Buffer.from(bytes.subarray(at + INDEX_ITEM_BYTES, at + size));
    const dataId = ns.mode === 'user' ? fileId : item.dataId;
    if (!(item.flags & FLAG_DELETED) && !dataAvailable(ns, item, id, dataId, context)) {
      if (ns.mode === 'seq') {
        context.loaded.dangling.add(ns.slots.length); // resolved after the replay (see Replay.finish)
      } else {
        if (missing === 0) context.log.error('index item points at missing data, treating it as deleted', { file: `i${fileId}`, offset: at });
        missing++;
        item.flags |= FLAG_DELETED;
      }
    }
    applyItem(ns, item, id, { dataId, indexId: fileId, indexOffset: at });
    context.loaded.items++;
    at += size;
  }
  if (missing > 1) context.log.error('index items point at missing data, treated as deleted', { file: `i${fileId}`, items: missing });
}

function dataAvailable(ns: Namespace, item: IndexItem, id: Buffer, dataId: number, context: LoadContext): boolean {
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

/** Keeps the items cut from the last index file: a lost update's item or copy leads back to the version before it. */
function rememberCut(loaded: Loaded, fileId: number, bytes: Buffer, from: number): void {
  for (let at = from; at + INDEX_ITEM_BYTES <= bytes.length; ) {
    const item = decodeIndexItem(bytes, at);
    const size = INDEX_ITEM_BYTES + item.idLength;
    if (item.idLength === 0 || at + size > bytes.length) return;
    loaded.cut.set(`${fileId}:${at}`, { item, id: Buffer.from(bytes.subarray(at + INDEX_ITEM_BYTES, at + size)) });
    at += size;
  }
}

/**
 * User mode: an update cut from the index (its data entry is lost) had already flagged the
 * key's previous item deleted in place. That previous version is the key's latest durable
 * value: it is flagged live again, if its data verifies and nothing newer was loaded.
 */
function reviveCutParents(ns: Namespace, loaded: Loaded, log: Logger): void {
  if (ns.mode !== 'user') return;
  let revived = 0;
  for (const { item, id } of loaded.cut.values()) {
    if (item.parentId === 0 && item.parentOffset === 0) continue;
    if (item.parentId >= loaded.files || loaded.cut.has(`${item.parentId}:${item.parentOffset}`) || ns.keys.has(keyString(id))) continue;
    const parent = readStoredItem(ns, item.parentId, item.parentOffset);
    if (!parent || !parent.id.equals(id) || !(parent.item.flags & FLAG_DELETED) || !headerMatches(ns, parent.item, id, item.parentId)) continue;
    parent.item.flags &= ~FLAG_DELETED;
    writeItemFlags(ns, item.parentId, item.parentOffset, parent.item.flags);
    const entry: Entry = {
      id: parent.id, dataId: item.parentId, dataOffset: parent.item.dataOffset, length: parent.item.length, crc: parent.item.crc, timestamp: parent.item.timestamp,
      flags: parent.item.flags, indexId: item.parentId, indexOffset: item.parentOffset, previous: parent.item.previous, parentId: parent.item.parentId,
      parentOffset: parent.item.parentOffset,
    };
    ns.keys.set(keyString(id), entry);
    ns.countAdded(entry);
    revived++;
  }
  if (revived > 0) log.warn('updates lost with the data tail: keys read their previous version again', { keys: revived });
}

function readStoredItem(ns: Namespace, fileId: number, offset: number): { item: IndexItem; id: Buffer } | null {
  const bytes = Buffer.alloc(INDEX_ITEM_BYTES + 255);
  const fd = fs.openSync(indexPath(ns.files.indexDir, fileId), 'r');
  try {
    const read = fs.readSync(fd, bytes, 0, bytes.length, offset);
    if (read < INDEX_ITEM_BYTES) return null;
    const item = decodeIndexItem(bytes, 0);
    if (read < INDEX_ITEM_BYTES + item.idLength) return null;
    return { item, id: Buffer.from(bytes.subarray(INDEX_ITEM_BYTES, INDEX_ITEM_BYTES + item.idLength)) };
  } finally {
    fs.closeSync(fd);
  }
}

function writeItemFlags(ns: Namespace, fileId: number, offset: number, flags: number): void {
  ns.files.writeIndexAt(fileId, Buffer.from([flags]), offset + 13);
  ns.dirtyIndexIds.add(fileId);
}

// ---------------------------------------------------------------------------------------------
// Data replay

/**
 * Brings the index in line with the data files, from where the checked index stops covering
 * them: first the repairs the check found (in-place changes that did not reach the disk), then
 * every later entry is replayed through the normal write path, index side only.
 *
 * Seq mode: every entry that is not a tombstone took exactly one slot, in data order: a new
 * value the slot of its own id, an update the slot of the deleted copy it appended (an id
 * burned for good). The replay counts slots the same way, so ids come out as 0-db gave them;
 * an entry whose id does not fit the count stops the replay. A slot updated in place may point
 * at a newer entry than the one being replayed (its overwrite reached the disk, its copy did
 * not): the copy is appended anyway, holding the version before (when the data walked so far
 * showed it), and the slot is left as it is.
 */
class Replay {
  replayed = 0;
  repaired = 0;
  /** Seq: copies whose content was unknown (the version before lies before the walk). */
  private historyCut = 0;
  private reverted = 0;
  private readonly ns: Namespace;
  private readonly loaded: Loaded;
  private readonly log: Logger;
  /** Seq: for ids whose slot points past the entries walked, their latest version walked. */
  private readonly tracked: Map<number, SlotState>;
  private readonly scratch = Buffer.alloc(SEQ_SLOT_BYTES);

  constructor(ns: Namespace, loaded: Loaded, log: Logger) {
    this.ns = ns;
    this.loaded = loaded;
    this.log = log;
    this.tracked = loaded.tracked;
  }

  run(dataFiles: number): void {
    for (const repair of this.loaded.repairs) this.repair(repair);
    const start = this.loaded.replayFrom;
    for (let fileId = start.fileId; fileId < dataFiles; fileId++) {
      if (fileSize(dataPath(this.ns.files.dataDir, fileId)) < 0) {
        // Its entries are lost. In seq mode they took ids that the files after it depend on.
        if (this.ns.mode === 'seq') {
          this.log.error('data file missing: the seq ids of the files after it cannot be placed, replay stopped', { file: `d${fileId}` });
          return;
        }
        this.log.error('data file missing, its entries are lost', { file: `d${fileId}` });
      }
      this.ns.files.openCurrent(fileId, this.ns.modeByte);
      const from = fileId === start.fileId ? start.offset : DATA_HEADER_BYTES;
      if (from >= this.ns.files.dataSize) continue;
      const walk = walkDataFile(dataPath(this.ns.files.dataDir, fileId), (entry) => {
        if (entry.header.flags & FLAG_DELETED) return this.ns.mode === 'user' ? this.userDelete(fileId, entry) : this.seqDelete(entry);
        return this.ns.mode === 'user' ? this.userSet(fileId, entry) : this.seqSet(fileId, entry);
      }, from);
      if (walk.byCaller) return; // an inconsistent entry: logged, and later files cannot follow
      if (walk.stop) this.log.warn('data replay stopped', { file: `d${fileId}`, why: walk.stop });
    }
  }

  private repair(repair: Repair): void {
    const ns = this.ns;
    if (repair.type === 'overwrite') {
      const slot = ns.slots[repair.id]!;
      this.rewriteSlot(slot, repair.state, slot.flags);
      this.loaded.dangling.delete(repair.id);
      this.repaired++;
      return;
    }
    const fileId = this.loaded.replayFrom.fileId;
    const live = ns.mode === 'user' ? ns.keys.get(keyString(repair.key)) : ns.lookup(repair.key);
    if (live && (this.loaded.dangling.has(seqIdOf(repair.key)) || compare(live.dataId, live.dataOffset, fileId, repair.offset) < 0)) {
      ns.applyDelete(live);
      this.repaired++;
    }
    if (ns.mode === 'seq') this.loaded.dangling.delete(seqIdOf(repair.key));
  }

  private userDelete(fileId: number, entry: DataEntry): boolean {
    const live = this.ns.keys.get(keyString(entry.key));
    if (live && compare(live.dataId, live.dataOffset, fileId, entry.offset) < 0) {
      this.ns.applyDelete(live);
      this.replayed++;
    }
    return true;
  }

  private userSet(fileId: number, entry: DataEntry): boolean {
    const live = this.ns.keys.get(keyString(entry.key)) ?? null;
    if (live && compare(live.dataId, live.dataOffset, fileId, entry.offset) >= 0) return true; // the index has this or a newer version
    this.checkValue(fileId, entry);
    this.ns.applySet(live ? live.id : Buffer.from(entry.key), live, locationOf(fileId, entry));
    this.replayed++;
    return true;
  }

  private seqDelete(entry: DataEntry): boolean {
    const id = entrySeqId(entry);
    const slot = id >= 0 && id < this.ns.slots.length ? this.ns.slots[id]! : undefined;
    if (!slot) return true; // a DEL of an id the data never created: nothing to delete
    this.tracked.delete(id);
    this.loaded.dangling.delete(id);
    if (!(slot.flags & FLAG_DELETED)) {
      this.ns.applyDelete(slot);
      this.replayed++;
    }
    return true;
  }

  private seqSet(fileId: number, entry: DataEntry): boolean {
    const id = entrySeqId(entry);
    const position = this.ns.slots.length;
    if (id < 0 || id > position) {
      this.log.error('seq data entry does not follow the index, replay stopped', { file: `d${fileId}`, offset: entry.offset, id, next: position });
      return false;
    }
    this.checkValue(fileId, entry);
    const location = locationOf(fileId, entry);
    this.replayed++;
    if (id === position) {
      this.ns.applySet(Buffer.from(entry.key), null, location);
      return true;
    }
    // An update of `id`: its copy takes this slot (and burns its id), then the slot moves on.
    const copy = this.appendCopy(id, location);
    const state: SlotState = { ...location, parentId: copy.indexId, parentOffset: copy.indexOffset };
    const order = this.order(id, location);
    if (order > 0) {
      this.tracked.set(id, state);
      return true;
    }
    this.tracked.delete(id);
    if (order < 0) this.rewriteSlot(this.ns.slots[id]!, state, this.ns.slots[id]!.flags);
    return true;
  }

  /** Where slot `id` stands against the entry at `location`: behind it, on it, or ahead (a later version, or data that is gone). */
  private order(id: number, location: Location): number {
    if (this.loaded.dangling.has(id)) return 1;
    const slot = this.ns.slots[id]!;
    return compare(slot.dataId, slot.dataOffset, location.dataId, location.dataOffset);
  }

  /** A seq update's deleted copy of the version before it, appended as the update did. */
  private appendCopy(id: number, location: Location): Entry {
    const slot = this.ns.slots[id]!;
    let before: SlotState | undefined = this.order(id, location) < 0 ? slot : this.tracked.get(id);
    if (!before) {
      // The slot was already overwritten past this update and the version before lies before the
      // entries walked: the copy repeats this version and ends the id's history (HISTORY stays truthful).
      before = { ...location, parentId: 0, parentOffset: 0 };
      this.historyCut++;
    }
    const copy = this.ns.appendItem(slot.id, {
      dataId: before.dataId, dataOffset: before.dataOffset, length: before.length, crc: before.crc, timestamp: before.timestamp, flags: FLAG_DELETED,
      parentId: before.parentId, parentOffset: before.parentOffset,
    }, before.dataId);
    this.ns.slots.push(copy);
    this.ns.nextEntry++;
    this.ns.nextId++;
    return copy;
  }

  /** Overwrites a seq slot in place (its `previous` kept) and keeps the counters in step. */
  private rewriteSlot(slot: Entry, state: SlotState, flags: number): void {
    const item: IndexItem = {
      idLength: SEQ_KEY_BYTES, dataOffset: state.dataOffset, length: state.length, previous: slot.previous, flags, dataId: state.dataId,
      timestamp: state.timestamp, crc: state.crc, parentId: state.parentId, parentOffset: state.parentOffset,
    };
    encodeIndexItem(this.scratch, 0, item, slot.id);
    this.ns.files.writeIndexAt(slot.indexId, this.scratch, slot.indexOffset);
    this.ns.dirtyIndexIds.add(slot.indexId);
    if (!(slot.flags & FLAG_DELETED)) this.ns.countRemoved(slot);
    Object.assign(slot, {
      dataId: state.dataId, dataOffset: state.dataOffset, length: state.length, crc: state.crc, timestamp: state.timestamp, flags,
      parentId: state.parentId, parentOffset: state.parentOffset,
    });
    if (!(flags & FLAG_DELETED)) this.ns.countAdded(slot);
  }

  private checkValue(fileId: number, entry: DataEntry): void {
    if (!entry.crcOk()) this.log.error('replaying a data entry whose value fails its CRC (GET will refuse it)', { file: `d${fileId}`, offset: entry.offset });
  }

  /**
   * Seq: slots still pointing past what the walk saw have lost their data (a torn tail) or point
   * into data the walk could not read. The first go back to the latest version the data holds
   * (seen by the walk, or kept in the lost update's copy); the second are left alone when their
   * entry verifies. A slot with nothing to go back to reads as deleted.
   */
  finish(): void {
    const ns = this.ns;
    for (const [id, state] of this.tracked) {
      const slot = ns.slots[id]!;
      if (slot.flags & FLAG_DELETED) continue;
      if (!this.loaded.dangling.has(id) && headerMatches(ns, slot, slot.id, slot.dataId)) continue;
      this.rewriteSlot(slot, state, 0);
      this.loaded.dangling.delete(id);
      this.reverted++;
    }
    const lost: number[] = [];
    let lostCount = 0;
    for (const id of this.loaded.dangling) {
      const slot = ns.slots[id]!;
      if (slot.flags & FLAG_DELETED) continue;
      const copy = this.copyOf(slot);
      if (copy && copy.id.equals(slot.id) && headerMatches(ns, copy.item, slot.id, copy.item.dataId)) {
        this.rewriteSlot(slot, copy.item, 0);
        this.reverted++;
        continue;
      }
      if (lost.length < 10) lost.push(id);
      lostCount++;
      slot.flags |= FLAG_DELETED; // in memory only: the file keeps what 0-db wrote
      ns.countRemoved(slot);
    }
    if (lostCount > 0) this.log.error('seq slots point at missing data, they read as deleted', { slots: lostCount, ids: lost });
    if (this.replayed + this.repaired + this.reverted > 0) {
      this.log.warn('index rebuilt from the data files', {
        replayed: this.replayed, repaired: this.repaired, reverted: this.reverted, historyCut: this.historyCut, entries: ns.stats.entries, nextId: ns.nextEntry,
      });
    }
  }

  /** The deleted copy a seq slot's parent points at: a loaded slot, or one cut from the last index file. */
  private copyOf(slot: Entry): { item: IndexItem; id: Buffer } | null {
    const { parentId, parentOffset } = slot;
    if (parentId === 0 && parentOffset === 0) return null;
    const cut = this.loaded.cut.get(`${parentId}:${parentOffset}`);
    if (cut) return cut;
    const first = this.loaded.firstIds[parentId];
    const relative = parentOffset - INDEX_HEADER_BYTES;
    if (first === undefined || relative < 0 || relative % SEQ_SLOT_BYTES !== 0) return null;
    const copy = this.ns.slots[first + relative / SEQ_SLOT_BYTES];
    if (!copy || copy.indexId !== parentId || copy.indexOffset !== parentOffset) return null;
    return { item: { ...copy, idLength: copy.id.length }, id: copy.id };
  }
}

function locationOf(fileId: number, entry: DataEntry): Location {
  return { dataId: fileId, dataOffset: entry.offset, length: entry.header.length, crc: entry.header.crc, timestamp: entry.header.timestamp };
}
