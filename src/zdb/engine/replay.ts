// Steps 6 and 7 of loading: the index is brought in line with the data files by redoing the
// repairs the check found and replaying every data entry it does not cover. The rules are in
// src/zdb/README.md, "Loading, torn tails, rebuilds".
import type { Logger } from '../../base/index.ts';
import { walkDataFile, type DataEntry } from './datascan.ts';
import { dataPath, fileSize } from './files.ts';
import { DATA_HEADER_BYTES, FLAG_DELETED, seqIdOf } from './format.ts';
import { compare, entrySeqId, locationOf, type Loaded, type Repair } from './loadstate.ts';
import type { Namespace } from './namespace.ts';
import { SeqSlots } from './seqslots.ts';

/**
 * Brings the index in line with the data files, from where the checked index stops covering
 * them: first the repairs the check found (in-place changes that did not reach the disk), then
 * every later entry is replayed through the normal write path, index side only. In seq mode an
 * entry whose id does not fit the slot count stops the replay; placing the others is SeqSlots'
 * job.
 */
export class Replay {
  replayed = 0;
  repaired = 0;
  private readonly ns: Namespace;
  private readonly loaded: Loaded;
  private readonly log: Logger;
  private readonly seq: SeqSlots;

  constructor(ns: Namespace, loaded: Loaded, log: Logger) {
    this.ns = ns;
    this.loaded = loaded;
    this.log = log;
    this.seq = new SeqSlots(ns, loaded, log);
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

  /** Settles the seq slots the walk left pointing past it (see SeqSlots.resolve) and reports the rebuild. */
  finish(): void {
    this.seq.resolve();
    if (this.replayed + this.repaired + this.seq.reverted > 0) {
      this.log.warn('index rebuilt from the data files', {
        replayed: this.replayed, repaired: this.repaired, reverted: this.seq.reverted, historyCut: this.seq.historyCut, entries: this.ns.stats.entries, nextId: this.ns.nextEntry,
      });
    }
  }

  private repair(repair: Repair): void {
    const ns = this.ns;
    if (repair.type === 'overwrite') {
      this.seq.overwrite(repair.id, repair.state);
      this.repaired++;
      return;
    }
    const fileId = this.loaded.replayFrom.fileId;
    const live = ns.mode === 'user' ? ns.keys.get(repair.key) : ns.lookup(repair.key);
    if (live && (this.loaded.dangling.has(seqIdOf(repair.key)) || compare(live.dataId, live.dataOffset, fileId, repair.offset) < 0)) {
      ns.applyDelete(live);
      this.repaired++;
    }
    if (ns.mode === 'seq') this.loaded.dangling.delete(seqIdOf(repair.key));
  }

  private userDelete(fileId: number, entry: DataEntry): boolean {
    const live = this.ns.keys.get(entry.key);
    if (live && compare(live.dataId, live.dataOffset, fileId, entry.offset) < 0) {
      this.ns.applyDelete(live);
      this.replayed++;
    }
    return true;
  }

  private userSet(fileId: number, entry: DataEntry): boolean {
    const live = this.ns.keys.get(entry.key);
    if (live && compare(live.dataId, live.dataOffset, fileId, entry.offset) >= 0) return true; // the index has this or a newer version
    this.checkValue(fileId, entry);
    this.ns.applySet(live ? live.id : Buffer.from(entry.key), live, locationOf(fileId, entry));
    this.replayed++;
    return true;
  }

  private seqDelete(entry: DataEntry): boolean {
    if (this.seq.delete(entry)) this.replayed++;
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
    this.replayed++;
    this.seq.set(id, entry.key, locationOf(fileId, entry));
    return true;
  }

  private checkValue(fileId: number, entry: DataEntry): void {
    if (!entry.crcOk()) this.log.error('replaying a data entry whose value fails its CRC (GET will refuse it)', { file: `d${fileId}`, offset: entry.offset });
  }
}
