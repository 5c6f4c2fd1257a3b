// The files of one namespace: `<indexDir>/i<N>`, `<dataDir>/d<N>` and `<indexDir>/zdb-namespace`.
// All I/O is synchronous with explicit positions on kept-open descriptors: the ops are tiny and
// the libuv threadpool round trip would cost more than the page-cache copy itself.
import fs from 'node:fs';
import { join } from 'node:path';
import { TfgridError, assert, fsyncDirSync } from '../../base/index.ts';
import { ZdbError } from '../errors.ts';
import { DATA_HEADER_BYTES, INDEX_HEADER_BYTES, encodeDataHeader, encodeIndexHeader } from './format.ts';
import { AppendStage } from './stage.ts';
import { ReadArena } from './arena.ts';
import { ValueCache } from './valuecache.ts';

/** Descriptors kept open per namespace for older files (reads, in-place index flag writes). */
const OPEN_FILES_MAX = 64;
/** Bytes staged per file before they are written out anyway (see NamespaceFiles). */
const STAGED_DATA_BYTES_MAX = 1024 * 1024;
const STAGED_DATA_BYTES_INITIAL = 64 * 1024;
const STAGED_INDEX_BYTES_MAX = 1024 * 1024;
const STAGED_INDEX_BYTES_INITIAL = 16 * 1024;
/** Larger data entries are written at once: copying them would cost more than the syscall saved. */
const STAGED_ENTRY_BYTES_MAX = 64 * 1024;

export function indexPath(indexDir: string, fileId: number): string {
  return join(indexDir, `i${fileId}`);
}

export function dataPath(dataDir: string, fileId: number): string {
  return join(dataDir, `d${fileId}`);
}

export function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw error;
  }
}

/** Counts the consecutive files `<prefix>0, <prefix>1, ...` present in `dir`. */
export function countFiles(dir: string, prefix: 'i' | 'd'): number {
  let count = 0;
  while (fileSize(join(dir, `${prefix}${count}`)) >= 0) count++;
  return count;
}


export function ioError(what: string, cause: unknown): TfgridError {
  return new TfgridError(ZdbError.IO_FAILED, what, { cause });
}

/** Byte counters shown by INFO (0-db's index/data disk read/write stats). */
export interface IoStats {
  indexReadBytes: number;
  indexWriteBytes: number;
  dataReadBytes: number;
  dataWriteBytes: number;
}

export function newIoStats(): IoStats {
  return { indexReadBytes: 0, indexWriteBytes: 0, dataReadBytes: 0, dataWriteBytes: 0 };
}

/** Engine-wide state every namespace's files share. */
export interface SharedFileState {
  readonly io: IoStats;
  /** Files holding staged bytes; the engine flushes them once per batch. */
  readonly staged: Set<NamespaceFiles>;
  /** Files whose staged data write failed (needsReload). */
  readonly failed: Set<NamespaceFiles>;
  readonly reads: ReadArena;
  /** GET/MGET's optional value cache (valuecache.ts); null when off. */
  readonly valueCache: ValueCache | null;
}

/** `valueCacheBytes`: the budget of the value cache, 0 for none. */
export function newSharedFileState(valueCacheBytes = 0): SharedFileState {
  const valueCache = valueCacheBytes > 0 ? new ValueCache(valueCacheBytes) : null;
  return { io: newIoStats(), staged: new Set(), failed: new Set(), reads: new ReadArena(), valueCache };
}

/**
 * The current (appended-to) index and data file of a namespace plus a small cache of
 * descriptors on older files. Tracks which files were written since the last sync.
 *
 * Appends are staged: appendData() and appendIndex() copy the entry into memory, and the staged
 * bytes reach the files together (data first, then index: one pwrite each) at flushStaged(),
 * which the server shell calls through the engine once per event-loop turn, before any reply of
 * that turn is sent. Every other access to the current files (reads, sync, rotation, close) and
 * every in-place index write, in any file, writes the staged bytes first: a file is only ever
 * behind, never different, data still precedes the index changes that refer to it, and nothing
 * is acknowledged before it is written. Staging is off while a namespace
 * loads (the loader reads files directly) and for good after a failed staged data write.
 *
 * A staged data write that fails drops every staged byte of the namespace (data and index),
 * truncates the data file back and sets `needsReload`: the in-memory index then points past the
 * files, and the engine reloads the namespace before anything else runs on it; the commands
 * whose entries were dropped are never acknowledged (see Zdb.flushWrites). A failed index write
 * keeps its bytes staged for the next flush: the data entries they describe are written, and a
 * restart rebuilds missing index items from the data file.
 */
export class NamespaceFiles {
  readonly indexDir: string;
  readonly dataDir: string;
  currentId = 0;
  private dataFd = -1;
  private indexFd = -1;
  private readonly dataFds = new Map<number, number>();
  private readonly indexFds = new Map<number, number>();
  private readonly dirtyData = new Set<number>();
  private readonly dirtyIndex = new Set<number>();
  /** Stage appends (the engine turns this on once a namespace is loaded). */
  staging = false;
  /** A staged data write failed and the staged bytes were dropped: the engine must reload. */
  needsReload = false;
  /** Data entries staged so far, ever: compare before and after a call to know it staged one. */
  stagedEntries = 0;
  private stagingBroken = false;
  private readonly dataStage = new AppendStage({ initialBytes: STAGED_DATA_BYTES_INITIAL, bytesMax: STAGED_DATA_BYTES_MAX });
  private readonly indexStage = new AppendStage({ initialBytes: STAGED_INDEX_BYTES_INITIAL, bytesMax: STAGED_INDEX_BYTES_MAX });

  private readonly io: IoStats;
  private readonly stagedSet: Set<NamespaceFiles>;
  private readonly failedSet: Set<NamespaceFiles>;
  /** Where readValue() puts what it reads. */
  readonly reads: ReadArena;
  /** GET/MGET's value cache, shared by every namespace, or null. */
  readonly valueCache: ValueCache | null;

  constructor(indexDir: string, dataDir: string, shared: SharedFileState = newSharedFileState()) {
    this.indexDir = indexDir;
    this.dataDir = dataDir;
    this.io = shared.io;
    this.stagedSet = shared.staged;
    this.failedSet = shared.failed;
    this.reads = shared.reads;
    this.valueCache = shared.valueCache;
  }

  /** Logical size of the current data file: written bytes plus staged ones. */
  get dataSize(): number {
    return this.dataStage.size;
  }

  /** Logical size of the current index file: written bytes plus staged ones. */
  get indexSize(): number {
    return this.indexStage.size;
  }

  /** Opens file pair `id` as the current one (creating missing files with their header). */
  openCurrent(id: number, mode: number): void {
    this.closeAll();
    this.currentId = id;
    this.indexFd = openOrCreate(indexPath(this.indexDir, id), (b) => encodeIndexHeader(b, id, mode));
    this.dataFd = openOrCreate(dataPath(this.dataDir, id), (b) => encodeDataHeader(b, id));
    this.indexStage.reset(fs.fstatSync(this.indexFd).size);
    this.dataStage.reset(fs.fstatSync(this.dataFd).size);
    this.indexFds.set(id, this.indexFd);
    this.dataFds.set(id, this.dataFd);
  }

  /** Closes the current pair (fsynced: older files are never synced again) and opens id+1. */
  jump(mode: number): void {
    this.flushStaged();
    fs.fdatasyncSync(this.dataFd);
    fs.fdatasyncSync(this.indexFd);
    this.dirtyData.delete(this.currentId);
    this.dirtyIndex.delete(this.currentId);
    const next = this.currentId + 1;
    for (const path of [indexPath(this.indexDir, next), dataPath(this.dataDir, next)]) {
      if (fileSize(path) >= 0) throw new TfgridError(ZdbError.IO_FAILED, `refusing to rotate onto existing ${path}`);
    }
    this.openCurrent(next, mode);
    fsyncDirSync(this.indexDir);
    fsyncDirSync(this.dataDir);
  }

  /** Appends a data entry (`parts`, `totalBytes` in all) to the current data file; returns its offset. */
  appendData(parts: readonly Uint8Array[], totalBytes: number): number {
    let offset: number;
    if (!this.staging || this.stagingBroken || totalBytes > STAGED_ENTRY_BYTES_MAX) {
      this.flushStaged();
      offset = this.writeData(parts, totalBytes);
    } else {
      if (this.dataStage.full(totalBytes)) this.flushStaged();
      this.stagedSet.add(this);
      this.stagedEntries++;
      offset = this.dataStage.push(parts, totalBytes);
    }
    this.dirtyData.add(this.currentId);
    this.io.dataWriteBytes += totalBytes;
    return offset;
  }

  /** Appends an index item to the current index file; returns its offset. */
  appendIndex(bytes: Uint8Array): number {
    this.dirtyIndex.add(this.currentId);
    this.io.indexWriteBytes += bytes.length;
    if (this.indexStage.full(bytes.length)) this.flushStaged();
    this.stagedSet.add(this);
    const offset = this.indexStage.push([bytes], bytes.length);
    if (!this.staging) this.flushStaged();
    return offset;
  }

  /** Writes the staged data entries, then the staged index items (see the class comment for
   *  failures). */
  flushStaged(): void {
    if (this.dataStage.bytes > 0) {
      try {
        this.dataStage.writeTo(this.dataFd, `d${this.currentId}`);
      } catch (error) {
        this.dropStaged();
        throw error;
      }
    }
    if (this.indexStage.bytes > 0) this.indexStage.writeTo(this.indexFd, `i${this.currentId}`);
    this.stagedSet.delete(this);
  }

  /**
   * In-place index write (delete flag, seq slot overwrite, header mode byte). Writes the staged
   * bytes first, whatever the file: flagging a key's old item in an older file before its new
   * data entry is written would, after a kill -9, leave the key with neither version.
   */
  writeIndexAt(fileId: number, bytes: Uint8Array, offset: number): number {
    this.flushStaged();
    try {
      const written = fs.writeSync(this.indexFdOf(fileId), bytes, 0, bytes.length, offset);
      this.dirtyIndex.add(fileId);
      this.io.indexWriteBytes += written;
      return written;
    } catch (error) {
      throw ioError(`index write failed (i${fileId}@${offset})`, error);
    }
  }

  /** Reads `length` bytes at `offset`. Staged bytes are written out first only when the read
   *  reaches them: a SET of an existing key reads its old value (the identical-value check),
   *  and flushing the whole batch for that turned every such SET into a pwrite. */
  readData(fileId: number, target: Buffer, length: number, offset: number): number {
    if (fileId === this.currentId && offset + length > this.dataStage.writtenSize) this.flushStaged();
    const read = fs.readSync(this.dataFdOf(fileId), target, 0, length, offset);
    this.io.dataReadBytes += read;
    return read;
  }

  readIndex(fileId: number, target: Buffer, length: number, offset: number): number {
    if (fileId === this.currentId && offset + length > this.indexStage.writtenSize) this.flushStaged();
    const read = fs.readSync(this.indexFdOf(fileId), target, 0, length, offset);
    this.io.indexReadBytes += read;
    return read;
  }

  indexFileSize(fileId: number): number {
    if (fileId === this.currentId) return this.indexSize;
    return fileSize(indexPath(this.indexDir, fileId));
  }

  get dirty(): boolean {
    return this.dirtyData.size > 0 || this.dirtyIndex.size > 0;
  }

  /** fdatasync data files first, then index files: the index never points at unsynced data. */
  sync(): void {
    this.flushStaged();
    for (const id of this.dirtyData) fs.fdatasyncSync(this.dataFdOf(id));
    this.dirtyData.clear();
    for (const id of this.dirtyIndex) fs.fdatasyncSync(this.indexFdOf(id));
    this.dirtyIndex.clear();
  }

  closeAll(): void {
    if (this.dirty && this.dataFd >= 0) this.sync();
    assert(this.dataStage.bytes === 0 && this.indexStage.bytes === 0, 'staged bytes are written before their file closes');
    for (const fd of new Set([...this.dataFds.values(), ...this.indexFds.values()])) fs.closeSync(fd);
    this.dataFds.clear();
    this.indexFds.clear();
    this.dataFd = -1;
    this.indexFd = -1;
  }

  /** Unstaged data append: one pwritev; on failure the file is cut back and nothing changes. */
  private writeData(parts: readonly Uint8Array[], totalBytes: number): number {
    const offset = this.dataStage.writtenSize;
    let written: number;
    try {
      written = fs.writevSync(this.dataFd, parts, offset);
    } catch (error) {
      this.rollbackData(offset);
      throw ioError('data write failed', error);
    }
    if (written !== totalBytes) {
      this.rollbackData(offset);
      throw new TfgridError(ZdbError.IO_FAILED, `short data write (${written} of ${totalBytes} bytes)`);
    }
    this.dataStage.writtenSize += totalBytes;
    return offset;
  }

  /** After a failed staged data write: forget every staged byte and cut the data file back. */
  private dropStaged(): void {
    this.rollbackData(this.dataStage.writtenSize);
    this.dataStage.drop();
    this.indexStage.drop();
    this.stagedSet.delete(this);
    this.stagingBroken = true;
    this.needsReload = true;
    this.failedSet.add(this);
  }

  /** The namespace was reloaded (or removed, or flushed) after a failed staged write. */
  clearFailure(): void {
    this.needsReload = false;
    this.failedSet.delete(this);
  }

  private rollbackData(offset: number): void {
    try {
      fs.ftruncateSync(this.dataFd, offset);
    } catch {
      // the loader truncates a torn tail on the next start anyway
    }
  }

  private dataFdOf(fileId: number): number {
    return this.cached(this.dataFds, this.dirtyData, fileId, () => fs.openSync(dataPath(this.dataDir, fileId), 'r'));
  }

  private indexFdOf(fileId: number): number {
    return this.cached(this.indexFds, this.dirtyIndex, fileId, () => fs.openSync(indexPath(this.indexDir, fileId), 'r+'));
  }

  private cached(fds: Map<number, number>, dirty: Set<number>, fileId: number, open: () => number): number {
    const known = fds.get(fileId);
    if (known !== undefined) return known;
    if (fds.size >= OPEN_FILES_MAX) {
      for (const [id, fd] of fds) {
        if (id === this.currentId) continue;
        if (dirty.has(id)) fs.fdatasyncSync(fd);
        dirty.delete(id);
        fs.closeSync(fd);
        fds.delete(id);
      }
    }
    const fd = open();
    fds.set(fileId, fd);
    return fd;
  }
}

/**
 * Opens a data or index file, creating it with its header. A new file is written under a
 * temporary name and renamed into place, so a kill -9 during a rotation never leaves an empty
 * `iN` or `dN` behind (the loader would take a headerless file for damage). A `.new` left by
 * such a crash is ignored by the loader and overwritten by the next rotation.
 */
function openOrCreate(path: string, header: (target: Buffer) => number): number {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDWR);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const temp = `${path}.new`;
    fd = fs.openSync(temp, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o600);
    writeHeader(fd, header);
    fs.renameSync(temp, path);
    return fd;
  }
  if (fs.fstatSync(fd).size === 0) writeHeader(fd, header); // left empty by an older version's crash
  return fd;
}

function writeHeader(fd: number, header: (target: Buffer) => number): void {
  const bytes = Buffer.alloc(Math.max(INDEX_HEADER_BYTES, DATA_HEADER_BYTES));
  const length = header(bytes);
  fs.writeSync(fd, bytes, 0, length, 0);
}
