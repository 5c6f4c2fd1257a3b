// Seq mode during the data replay (replay.ts): ids are slots, so a replayed entry must land in
// the slot 0-db gave it, and slots that point past the data walked must be settled once the
// walk is done. The rules are in src/zdb/README.md, "Seq mode: ids are slots".
import type { Logger } from '../../base/index.ts';
import type { DataEntry } from './datascan.ts';
import { FLAG_DELETED, INDEX_HEADER_BYTES, SEQ_KEY_BYTES, SEQ_SLOT_BYTES, encodeIndexItem, type IndexItem } from './format.ts';
import { compare, entrySeqId, headerMatches, type Loaded, type Location, type SlotState } from './loadstate.ts';
import type { Entry, Namespace } from './namespace.ts';

/**
 * Every entry that is not a tombstone took exactly one slot, in data order: a new value the
 * slot of its own id, an update the slot of the deleted copy it appended (an id burned for
 * good). The replay counts slots the same way, so ids come out as 0-db gave them. A slot
 * updated in place may point at a newer entry than the one being replayed (its overwrite
 * reached the disk, its copy did not): the copy is appended anyway, holding the version before
 * (when the data walked so far showed it), and the slot is left as it is.
 */
export class SeqSlots {
  /** Copies whose content was unknown (the version before lies before the walk). */
  historyCut = 0;
  /** Slots sent back to an older version because theirs is lost (see resolve). */
  reverted = 0;
  private readonly ns: Namespace;
  private readonly loaded: Loaded;
  private readonly log: Logger;
  /** For ids whose slot points past the entries walked, their latest version walked. */
  private readonly tracked: Map<number, SlotState>;
  private readonly scratch = Buffer.alloc(SEQ_SLOT_BYTES);

  constructor(ns: Namespace, loaded: Loaded, log: Logger) {
    this.ns = ns;
    this.loaded = loaded;
    this.log = log;
    this.tracked = loaded.tracked;
  }

  /** Redoes an overwrite the check found missing from the index. */
  overwrite(id: number, state: SlotState): void {
    const slot = this.ns.slots[id]!;
    this.rewriteSlot(slot, state, slot.flags);
    this.loaded.dangling.delete(id);
  }

  /** A DEL in the data. Returns whether it deleted a live slot. */
  delete(entry: DataEntry): boolean {
    const id = entrySeqId(entry);
    const slot = id >= 0 && id < this.ns.slots.length ? this.ns.slots[id]! : undefined;
    if (!slot) return false; // a DEL of an id the data never created: nothing to delete
    this.tracked.delete(id);
    this.loaded.dangling.delete(id);
    if (slot.flags & FLAG_DELETED) return false;
    this.ns.applyDelete(slot);
    return true;
  }

  /** A SET whose id fits the slot count: a new value (`id` is the next slot) or an update of `id`. */
  set(id: number, key: Buffer, location: Location): void {
    if (id === this.ns.slots.length) {
      this.ns.applySet(Buffer.from(key), null, location);
      return;
    }
    // An update of `id`: its copy takes this slot (and burns its id), then the slot moves on.
    const copy = this.appendCopy(id, location);
    const state: SlotState = { ...location, parentId: copy.indexId, parentOffset: copy.indexOffset };
    const order = this.order(id, location);
    if (order > 0) {
      this.tracked.set(id, state);
      return;
    }
    this.tracked.delete(id);
    if (order < 0) this.rewriteSlot(this.ns.slots[id]!, state, this.ns.slots[id]!.flags);
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

  /**
   * After the walk, slots still pointing past what it saw have lost their data (a torn tail) or
   * point into data the walk could not read. The first go back to the latest version the data
   * holds (seen by the walk, or kept in the lost update's copy); the second are left alone when
   * their entry verifies. A slot with nothing to go back to reads as deleted.
   */
  resolve(): void {
    this.revertTracked();
    this.revertDangling();
  }

  /** Slots ahead of the walk: back to the latest version walked, unless their own entry verifies. */
  private revertTracked(): void {
    const ns = this.ns;
    for (const [id, state] of this.tracked) {
      const slot = ns.slots[id]!;
      if (slot.flags & FLAG_DELETED) continue;
      if (!this.loaded.dangling.has(id) && headerMatches(ns, slot, slot.id, slot.dataId)) continue;
      this.rewriteSlot(slot, state, 0);
      this.loaded.dangling.delete(id);
      this.reverted++;
    }
  }

  /** Slots whose data is missing and that the walk did not settle: back to their update's copy, else deleted. */
  private revertDangling(): void {
    const ns = this.ns;
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
