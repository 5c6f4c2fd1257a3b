// Step 3 of loading: the last index file is checked against its data file, which tells how
// many of its items to keep, where the data replay starts, and which in-place changes (DEL
// flags, seq overwrites) the index lost. The rules are in src/zdb/README.md, "Loading, torn
// tails, rebuilds".
import { walkDataFile, type DataEntry } from './datascan.ts';
import { dataPath, fileSize } from './files.ts';
import { DATA_ENTRY_BYTES, DATA_HEADER_BYTES, FLAG_DELETED, INDEX_HEADER_BYTES, INDEX_ITEM_BYTES, SEQ_SLOT_BYTES, decodeIndexItem, seqIdOf } from './format.ts';
import { compare, entrySeqId, headerMatches, seqIdAt, type Checked, type LoadContext, type Repair, type SlotState } from './loadstate.ts';
import type { Namespace } from './namespace.ts';

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
export function verifyAgainstData(ns: Namespace, checked: Checked, context: LoadContext): Verified {
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
