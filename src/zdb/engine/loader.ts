// Startup of one namespace: load the index files into memory, check them against the data
// files, truncate torn tails, set damaged index files aside, and rebuild from the data files
// whatever the index does not cover (the data entries carry every key, value, flag and time).
// This file orders the steps; indexload.ts loads and checks the index files, replay.ts rebuilds
// from the data. The rules are in src/zdb/README.md, "Loading, torn tails, rebuilds".
import fs from 'node:fs';
import { TfgridError, type Logger } from '../../base/index.ts';
import { ZdbError } from '../errors.ts';
import { walkDataFile } from './datascan.ts';
import { countFiles, dataPath, fileSize, indexPath } from './files.ts';
import { DATA_HEADER_BYTES, INDEX_HEADER_BYTES, MODE_SEQ, SEQ_KEY_BYTES, decodeIndexHeader, seqIdOf } from './format.ts';
import { loadIndexFiles, reviveCutParents, setAside } from './indexload.ts';
import { zeros, type Tail } from './loadstate.ts';
import type { Mode, Namespace } from './namespace.ts';
import { Replay } from './replay.ts';

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
  if (tail && tail.end < tail.size) report.dataTruncatedBytes = cutDataTail(dataDir, tail, loaded.pastBreak, log);
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

/**
 * A torn data tail is kept aside and cut to the last whole entry, unless index items verified
 * beyond it: then it is damage in the middle of the file, reported and left. Returns the bytes cut.
 */
function cutDataTail(dataDir: string, tail: Tail, pastBreak: boolean, log: Logger): number {
  if (pastBreak) {
    log.error('data file damaged in the middle (entries after it are indexed): not truncating', { file: `d${tail.fileId}`, at: tail.end });
    return 0;
  }
  const path = dataPath(dataDir, tail.fileId);
  const kept = keepAside(path, tail.end, tail.size);
  log.warn('data file has a torn tail, truncating to the last whole entry', { file: `d${tail.fileId}`, end: tail.end, size: tail.size, keptIn: kept });
  fs.truncateSync(path, tail.end);
  return tail.size - tail.end;
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
