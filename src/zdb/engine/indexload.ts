// Steps 2 to 4 of loading: the index files i0, i1, … are read, checked and applied in order
// (0-db replays them in this order); the last one is checked against its data file, and a
// damaged one is set aside with the files after it, to be rebuilt from the data. The rules are
// in src/zdb/README.md, "Loading, torn tails, rebuilds".
import fs from 'node:fs';
import type { Logger } from '../../base/index.ts';
import { dataPath, fileSize, indexPath } from './files.ts';
import { DATA_ENTRY_BYTES, DATA_HEADER_BYTES, FLAG_DELETED, INDEX_HEADER_BYTES, INDEX_ITEM_BYTES, decodeIndexHeader, decodeIndexItem, type IndexItem } from './format.ts';
import { checkItems } from './indexcheck.ts';
import { verifyAgainstData } from './indexverify.ts';
import { headerMatches, type Checked, type LoadContext, type Loaded, type Tail } from './loadstate.ts';
import { assignFields, type Entry, type Namespace } from './namespace.ts';

/**
 * Loads i0 … in order. Each file is checked structurally, and applied once the next one checked
 * too: a damaged file (or one whose first item does not point back at the end of the file
 * before it) makes the file before it the last one, which is then checked against its data
 * like the last index file always is. The damaged file and the later ones are set aside.
 */
export function loadIndexFiles(ns: Namespace, indexFiles: number, dataFiles: number, tail: Tail | null, log: Logger): Loaded {
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

/** Renames the index files `from` … `to - 1` that exist to `iN.broken` (never deleted; a free name is picked). Returns how many. */
export function setAside(indexDir: string, from: number, to: number, log: Logger): number {
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
        context.loaded.dangling.add(ns.slots.length); // resolved after the replay (see SeqSlots.resolve)
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
  const existing = ns.keys.get(id);
  if (existing) {
    ns.stats.dataBytes += entry.length - existing.length;
    assignFields(existing, entry);
  } else {
    ns.keys.insert(id, entry);
    ns.countAdded(entry);
  }
  if (entry.flags & FLAG_DELETED) {
    ns.countRemoved(entry);
    ns.keys.delete(id);
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
export function reviveCutParents(ns: Namespace, loaded: Loaded, log: Logger): void {
  if (ns.mode !== 'user') return;
  let revived = 0;
  for (const { item, id } of loaded.cut.values()) {
    if (item.parentId === 0 && item.parentOffset === 0) continue;
    if (item.parentId >= loaded.files || loaded.cut.has(`${item.parentId}:${item.parentOffset}`) || ns.keys.has(id)) continue;
    const parent = readStoredItem(ns, item.parentId, item.parentOffset);
    if (!parent || !parent.id.equals(id) || !(parent.item.flags & FLAG_DELETED) || !headerMatches(ns, parent.item, id, item.parentId)) continue;
    parent.item.flags &= ~FLAG_DELETED;
    writeItemFlags(ns, item.parentId, item.parentOffset, parent.item.flags);
    const entry: Entry = {
      id: parent.id, dataId: item.parentId, dataOffset: parent.item.dataOffset, length: parent.item.length, crc: parent.item.crc, timestamp: parent.item.timestamp,
      flags: parent.item.flags, indexId: item.parentId, indexOffset: item.parentOffset, previous: parent.item.previous, parentId: parent.item.parentId,
      parentOffset: parent.item.parentOffset,
    };
    ns.keys.insert(id, entry);
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
