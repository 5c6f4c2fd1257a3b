// The files of one namespace: `<indexDir>/i<N>`, `<dataDir>/d<N>` and `<indexDir>/zdb-namespace`.
// All I/O is synchronous with explicit positions on kept-open descriptors: the ops are tiny and
// the libuv threadpool round trip would cost more than the page-cache copy itself.
import fs from 'node:fs';
import { join } from 'node:path';
import { TfgridError, assert } from '../../base/index.ts';
import { ZdbError } from '../errors.ts';
import { DATA_HEADER_BYTES, INDEX_HEADER_BYTES, encodeDataHeader, encodeIndexHeader } from './format.ts';

/** Descriptors kept open per namespace for older files (reads, in-place index flag writes). */
const OPEN_FILES_MAX = 64;
/** Index items staged in memory before one write (see NamespaceFiles.appendIndex); past this,
 *  appendIndex writes them out at once. */
const STAGED_INDEX_BYTES_MAX = 1024 * 1024;
const STAGED_INDEX_BYTES_INITIAL = 16 * 1024;

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

export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
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

/**
 * Buffers for values read from data files (GET, MGET, HISTORY, the SET identical-value check).
 * They are carved from a slab, as Node's Buffer pool does (whose pool only serves < 4 KiB):
 * a fresh ArrayBuffer per 4 KiB GET made V8 run a full mark-compact every few tens of MB read.
 * A served value is a view that may outlive the read, so the slab is only reused after
 * recycle(): the caller's promise that every value handed out so far has been copied (the
 * server shell encodes each reply before the next command). Without recycle() a full slab is
 * replaced, never overwritten.
 */
export class ReadArena {
  static readonly SLAB_BYTES = 256 * 1024;
  /** Larger reads get their own buffer (and are never recycled). */
  static readonly SHARE_BYTES_MAX = 8 * 1024;
  private slab = Buffer.allocUnsafeSlow(ReadArena.SLAB_BYTES);
  private used = 0;

  take(bytes: number): Buffer {
    if (bytes > ReadArena.SHARE_BYTES_MAX) return Buffer.allocUnsafe(bytes);
    if (this.used + bytes > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(ReadArena.SLAB_BYTES);
      this.used = 0;
    }
    const buffer = this.slab.subarray(this.used, this.used + bytes);
    this.used += (bytes + 7) & ~7; // 8-byte aligned views
    return buffer;
  }

  recycle(): void {
    this.used = 0;
  }
}

/** Engine-wide state every namespace's files share. */
export interface SharedFileState {
  readonly io: IoStats;
  /** Files holding staged index items; the engine flushes them once per batch. */
  readonly staged: Set<NamespaceFiles>;
  readonly reads: ReadArena;
}

export function newSharedFileState(): SharedFileState {
  return { io: newIoStats(), staged: new Set(), reads: new ReadArena() };
}

/**
 * The current (appended-to) index and data file of a namespace plus a small cache of
 * descriptors on older files. Tracks which files were written since the last sync.
 *
 * Index appends are staged: appendIndex() copies the item into memory and the items reach the
 * file together, in one pwrite, at flushStaged(). The server shell calls it (through the
 * engine) once per event-loop turn, before any reply of that turn is sent; every other index
 * access (reads, in-place writes, sync, rotation, close) flushes first, so the file is only
 * ever behind, never different. Data appends are NOT staged: a SET's data entry is written
 * before it is acknowledged, and staged items lost in a crash are rebuilt from the data file by
 * the loader (data entries no index item covers are replayed), as after a crash between the
 * data and the index write.
 */
export class NamespaceFiles {
  readonly indexDir: string;
  readonly dataDir: string;
  currentId = 0;
  dataSize = 0;
  /** Logical size of the current index file: written bytes plus staged ones. */
  indexSize = 0;
  private dataFd = -1;
  private indexFd = -1;
  private readonly dataFds = new Map<number, number>();
  private readonly indexFds = new Map<number, number>();
  private readonly dirtyData = new Set<number>();
  private readonly dirtyIndex = new Set<number>();
  /** Stage index appends (the engine turns this on once a namespace is loaded; the loader
   *  reads index files directly, so during a load every append is written at once). */
  stagingIndex = false;
  /** Index bytes appended but not yet written; they belong at `indexWrittenSize`. */
  private staged = Buffer.allocUnsafe(STAGED_INDEX_BYTES_INITIAL);
  private stagedBytes = 0;
  private indexWrittenSize = 0;

  private readonly io: IoStats;
  private readonly stagedSet: Set<NamespaceFiles>;
  /** Where readValue() puts what it reads. */
  readonly reads: ReadArena;

  constructor(indexDir: string, dataDir: string, shared: SharedFileState = newSharedFileState()) {
    this.indexDir = indexDir;
    this.dataDir = dataDir;
    this.io = shared.io;
    this.stagedSet = shared.staged;
    this.reads = shared.reads;
  }

  /** Opens file pair `id` as the current one (creating missing files with their header). */
  openCurrent(id: number, mode: number): void {
    this.closeAll();
    this.currentId = id;
    this.indexFd = openOrCreate(indexPath(this.indexDir, id), (b) => encodeIndexHeader(b, id, mode));
    this.dataFd = openOrCreate(dataPath(this.dataDir, id), (b) => encodeDataHeader(b, id));
    this.indexSize = fs.fstatSync(this.indexFd).size;
    this.indexWrittenSize = this.indexSize;
    this.dataSize = fs.fstatSync(this.dataFd).size;
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

  appendData(parts: readonly Uint8Array[], totalBytes: number): number {
    const offset = this.dataSize;
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
    this.dataSize += totalBytes;
    this.io.dataWriteBytes += totalBytes;
    this.dirtyData.add(this.currentId);
    return offset;
  }

  /** Stages an index item at the end of the current index file; returns its offset. */
  appendIndex(bytes: Uint8Array): number {
    if (this.stagedBytes + bytes.length > STAGED_INDEX_BYTES_MAX) this.flushStaged();
    if (this.stagedBytes + bytes.length > this.staged.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.staged.length * 2, this.stagedBytes + bytes.length));
      this.staged.copy(grown, 0, 0, this.stagedBytes);
      this.staged = grown;
    }
    if (this.stagedBytes === 0) this.stagedSet.add(this);
    this.staged.set(bytes, this.stagedBytes);
    this.stagedBytes += bytes.length;
    const offset = this.indexSize;
    this.indexSize += bytes.length;
    this.io.indexWriteBytes += bytes.length;
    this.dirtyIndex.add(this.currentId);
    if (!this.stagingIndex) this.flushStaged();
    return offset;
  }

  /** Writes the staged index items (one pwrite). On failure they stay staged and the next call
   *  writes them again at the same offset. */
  flushStaged(): void {
    if (this.stagedBytes === 0) return;
    assert(this.indexWrittenSize + this.stagedBytes === this.indexSize, 'staged bytes end the index file');
    let done = 0;
    while (done < this.stagedBytes) {
      let written: number;
      try {
        written = fs.writeSync(this.indexFd, this.staged, done, this.stagedBytes - done, this.indexWrittenSize + done);
      } catch (error) {
        throw ioError(`index write failed (i${this.currentId}@${this.indexWrittenSize + done})`, error);
      }
      if (written === 0) throw new TfgridError(ZdbError.IO_FAILED, `index write made no progress (i${this.currentId}@${this.indexWrittenSize + done})`);
      done += written;
    }
    this.indexWrittenSize += this.stagedBytes;
    this.stagedBytes = 0;
    this.stagedSet.delete(this);
    if (this.staged.length > STAGED_INDEX_BYTES_INITIAL * 4) this.staged = Buffer.allocUnsafe(STAGED_INDEX_BYTES_INITIAL); // give a burst's growth back
  }

  /** In-place index write (delete flag, seq slot overwrite, header mode byte). */
  writeIndexAt(fileId: number, bytes: Uint8Array, offset: number): number {
    if (fileId === this.currentId) this.flushStaged();
    try {
      const written = fs.writeSync(this.indexFdOf(fileId), bytes, 0, bytes.length, offset);
      this.dirtyIndex.add(fileId);
      this.io.indexWriteBytes += written;
      return written;
    } catch (error) {
      throw ioError(`index write failed (i${fileId}@${offset})`, error);
    }
  }

  readData(fileId: number, target: Buffer, length: number, offset: number): number {
    const read = fs.readSync(this.dataFdOf(fileId), target, 0, length, offset);
    this.io.dataReadBytes += read;
    return read;
  }

  readIndex(fileId: number, target: Buffer, length: number, offset: number): number {
    if (fileId === this.currentId) this.flushStaged();
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
    assert(this.stagedBytes === 0, 'staged index bytes are written before their file closes');
    for (const fd of new Set([...this.dataFds.values(), ...this.indexFds.values()])) fs.closeSync(fd);
    this.dataFds.clear();
    this.indexFds.clear();
    this.dataFd = -1;
    this.indexFd = -1;
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

function openOrCreate(path: string, header: (target: Buffer) => number): number {
  const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  if (fs.fstatSync(fd).size === 0) {
    const bytes = Buffer.alloc(Math.max(INDEX_HEADER_BYTES, DATA_HEADER_BYTES));
    const length = header(bytes);
    fs.writeSync(fd, bytes, 0, length, 0);
  }
  return fd;
}
