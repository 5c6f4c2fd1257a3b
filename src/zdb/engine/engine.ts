// The storage engine: the set of namespaces under a data root and an index root, their
// descriptors, and the namespace-wide operations (create, delete, reload, flush, mode switch).
import fs from 'node:fs';
import { join } from 'node:path';
import { TfgridError, acquireDirLock, assert, fsyncDirSync, writeFileSyncDurable, type DirLock, type Logger } from '../../base/index.ts';
import { ZdbError } from '../errors.ts';
import { NamespaceFiles, newSharedFileState, type IoStats, type SharedFileState } from './files.ts';
import { DESCRIPTOR_BYTES, MODE_SEQ, MODE_USER, decodeDescriptor, encodeDescriptor } from './format.ts';

import { loadNamespace, type LoadReport } from './loader.ts';
import { Namespace, type Mode } from './namespace.ts';

const zdbLockCodes = { locked: ZdbError.LOCKED, io: ZdbError.IO_FAILED };

export const DEFAULT_NAMESPACE = 'default';
export const NAMESPACE_NAME_BYTES_MAX = 128;
const DESCRIPTOR_FILE = 'zdb-namespace';

export interface EngineOptions {
  dataDir: string;
  indexDir: string;
  mode: Mode | 'mixed';
  datasizeBytes: number;
  /** In-memory overrides of the default namespace (not persisted, like 0-db). */
  defaultMaxsizeBytes?: number;
  defaultPassword?: string;
  /** Budget of the GET/MGET value cache in bytes (valuecache.ts); 0 or absent: none. */
  readCacheBytes?: number;
  log: Logger;
}

export class Engine {
  readonly options: EngineOptions;
  readonly log: Logger;
  private readonly shared: SharedFileState;
  /** Slot order as NSLIST shows it: default first, freed slots reused (like 0-db). */
  private readonly slots: (Namespace | null)[] = [];
  private readonly byName = new Map<string, Namespace>();
  /** `.lockfile` of the data and index directories (see lockfile.ts), released by close(). */
  private readonly locks: DirLock[] = [];

  private constructor(options: EngineOptions) {
    this.options = options;
    this.log = options.log;
    this.shared = newSharedFileState(options.readCacheBytes ?? 0);
  }

  static open(options: EngineOptions): Engine {
    assert(options.datasizeBytes > 0 && options.datasizeBytes < 2 ** 32, 'datasize fits the 32-bit offsets of the format');
    for (const dir of [options.dataDir, options.indexDir]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (fs.realpathSync(options.dataDir) === fs.realpathSync(options.indexDir)) {
      throw new TfgridError(ZdbError.INVALID_ARGUMENT, 'cannot use the same directory for index and data path');
    }
    const engine = new Engine(options);
    try {
      // Index first, then data; each throws ZDB_LOCKED while another live server holds it.
      for (const dir of [options.indexDir, options.dataDir]) engine.locks.push(acquireDirLock(dir, options.log, zdbLockCodes));
      const defaultNs = engine.load(DEFAULT_NAMESPACE);
      if (options.defaultPassword !== undefined) defaultNs.password = options.defaultPassword;
      if (options.defaultMaxsizeBytes) defaultNs.maxsizeBytes = options.defaultMaxsizeBytes;
      for (const entry of fs.readdirSync(options.indexDir, { withFileTypes: true })) {
        if (entry.isDirectory() && validName(entry.name)) engine.load(entry.name);
      }
    } catch (error) {
      engine.close();
      throw error;
    }
    return engine;
  }

  get(name: string): Namespace | undefined {
    return this.byName.get(name);
  }

  get defaultNamespace(): Namespace {
    return this.byName.get(DEFAULT_NAMESPACE)!;
  }

  list(): Namespace[] {
    return this.slots.filter((ns): ns is Namespace => ns !== null);
  }

  create(name: string): Namespace {
    assert(!this.byName.has(name) && validName(name), 'namespace name checked by the caller');
    return this.load(name);
  }

  remove(ns: Namespace): void {
    assert(ns.name !== DEFAULT_NAMESPACE, 'the default namespace is never removed');
    ns.files.closeAll();
    ns.files.clearFailure();
    ns.removed = true;
    this.slots[this.slots.indexOf(ns)] = null;
    this.byName.delete(ns.name);
    fs.rmSync(ns.files.indexDir, { recursive: true, force: true });
    fs.rmSync(ns.files.dataDir, { recursive: true, force: true });
  }

  /** Drops the in-memory index and loads the namespace again from its files. */
  reload(ns: Namespace): LoadReport {
    ns.files.closeAll();
    ns.resetState();
    ns.files.staging = false;
    const report = loadNamespace(ns, { instanceMode: this.options.mode, log: this.log });
    ns.files.staging = true;
    ns.files.clearFailure();
    return report;
  }

  /** Deletes every index and data file (not the descriptor) and starts empty, same mode. */
  flush(ns: Namespace): void {
    const mode = ns.mode;
    ns.files.closeAll();
    for (const [dir, prefix] of [[ns.files.indexDir, 'i'], [ns.files.dataDir, 'd']] as const) {
      for (const name of fs.readdirSync(dir)) if (new RegExp(`^${prefix}\\d+$`).test(name)) fs.unlinkSync(join(dir, name));
      fsyncDirSync(dir);
    }
    ns.resetState();
    ns.mode = mode;
    ns.files.openCurrent(0, ns.modeByte);
    ns.files.clearFailure();
  }

  /** NSSET mode on a fresh namespace: rewrites the mode byte of i0's header. */
  setMode(ns: Namespace, mode: Mode): void {
    assert(ns.fresh, 'mode changes only on fresh namespaces');
    ns.mode = mode;
    ns.files.writeIndexAt(0, Buffer.from([mode === 'seq' ? MODE_SEQ : MODE_USER]), 28);
    ns.keys.clear();
    ns.slots.length = 0;
  }

  /** Rewrites the descriptor atomically (0-db rewrites in place without truncating). */
  commitDescriptor(ns: Namespace): void {
    const bytes = encodeDescriptor(ns.name, { maxsizeBytes: ns.maxsizeBytes, public: ns.public, worm: ns.worm, password: ns.password });
    const path = join(ns.files.indexDir, DESCRIPTOR_FILE);
    const temp = `${path}.tmp`;
    writeFileSyncDurable(temp, bytes, 0o600);
    fs.renameSync(temp, path);
    fsyncDirSync(ns.files.indexDir);
  }

  /** INFO's disk byte counters. */
  get io(): IoStats {
    return this.shared.io;
  }

  /** True while some namespace holds staged appends. */
  get staging(): boolean {
    return this.shared.staged.size > 0;
  }

  /**
   * Writes out every namespace's staged appends (one pwrite per file written since the last
   * call). Every namespace is tried; the first error is thrown after. A namespace whose staged
   * data could not be written is then in `failedNamespaces()`.
   */
  flushStaged(): void {
    const failures: unknown[] = [];
    for (const files of this.shared.staged) {
      try {
        files.flushStaged();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0] as Error;
    if (failures.length > 1) throw new AggregateError(failures, 'staged writes failed in several namespaces');
  }

  /** True when some namespace's staged data was dropped by a failed write. */
  get hasFailed(): boolean {
    return this.shared.failed.size > 0;
  }

  /** Namespaces whose staged data was dropped by a failed write: reload() them before use. */
  failedNamespaces(): Namespace[] {
    if (this.shared.failed.size === 0) return [];
    return [...this.byName.values()].filter((ns) => ns.files.needsReload);
  }

  /** Every value read so far has been copied by its consumer: read buffers may be reused. */
  recycleReads(): void {
    this.shared.reads.recycle();
  }

  syncDirty(): void {
    for (const ns of this.byName.values()) if (ns.files.dirty) ns.files.sync();
  }

  close(): void {
    for (const ns of this.byName.values()) ns.files.closeAll();
    for (const lock of this.locks.splice(0)) lock.release();
  }

  private load(name: string): Namespace {
    const files = new NamespaceFiles(join(this.options.indexDir, name), join(this.options.dataDir, name), this.shared);
    fs.mkdirSync(files.indexDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(files.dataDir, { recursive: true, mode: 0o700 });
    const ns = new Namespace(name, files);
    this.readDescriptor(ns);
    const report = loadNamespace(ns, { instanceMode: this.options.mode, log: this.log });
    ns.files.staging = true;
    this.log.debug('namespace loaded', { namespace: name, ...report, entries: ns.stats.entries });
    const free = this.slots.indexOf(null);
    if (free >= 0) this.slots[free] = ns;
    else this.slots.push(ns);
    this.byName.set(name, ns);
    return ns;
  }

  private readDescriptor(ns: Namespace): void {
    const path = join(ns.files.indexDir, DESCRIPTOR_FILE);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      bytes = Buffer.alloc(0);
    }
    if (bytes.length < DESCRIPTOR_BYTES) {
      this.commitDescriptor(ns); // a new namespace: public, no password, unlimited
      return;
    }
    const decoded = decodeDescriptor(bytes);
    if (!decoded.ok) throw new TfgridError(ZdbError.FORMAT_UNSUPPORTED, `${path}: ${decoded.why}`);
    ns.maxsizeBytes = decoded.descriptor.maxsizeBytes;
    ns.public = decoded.descriptor.public;
    ns.worm = decoded.descriptor.worm;
    ns.password = decoded.descriptor.password;
  }
}

/** 0-db's rule: not `.`, `..` or `default`, no `/`. We also refuse NUL (not a file name). */
export function validName(name: string): boolean {
  return name !== '.' && name !== '..' && name !== DEFAULT_NAMESPACE && !name.includes('/') && !name.includes('\0') && name.length > 0;
}
