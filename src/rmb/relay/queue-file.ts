// The relay's queue file: an append-only journal of queued (`put`) and delivered (`done`)
// envelopes, so envelopes queued for offline twins survive a relay restart or crash. Format in
// queue-format.ts and the README.
//
// Writes are group-committed: records appended during one write+fdatasync go out together in the
// next one, so a burst of queued envelopes costs one fsync, not one each, and the event loop never
// waits on the disk. Opening reads every whole record, skips damaged bytes and a torn tail, and
// rewrites the file with only what is still queued (write to a temporary file, fsync, rename,
// fsync the directory: a crash leaves the old file or the new one). The same rewrite compacts the
// file at run time once dead records (delivered or expired) outweigh live ones.
import { open, readFile, rename, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TfgridError, assert, fsyncDir, type Logger } from '../../base/index.ts';
import { RmbError } from '../errors.ts';
import { checkFileHeader, encodeDone, encodeFileHeader, encodePut, queueFileHeaderBytes, recordHeaderBytes, scanRecords } from './queue-format.ts';

export const queueFileName = 'queue.log';
/** No run-time compaction below this file size: small files are cheap to keep. */
export const compactBytesMinDefault = 16 * 2 ** 20;
/** Bytes per write call when rewriting the file. */
const rewriteChunkBytes = 4 * 2 ** 20;

export interface QueueEntry {
  readonly seq: number;
  readonly envelope: Uint8Array;
}

export interface Loaded {
  /** Queued and not delivered, in the order they were queued. Expiry is the caller's business. */
  readonly entries: QueueEntry[];
  /** Bytes of the file that held no whole record (damage or a torn tail). */
  readonly skippedBytes: number;
}

/**
 * Reads the queue file in `dir`. Never fails on content: damaged records are skipped and an
 * unreadable file (bad header, unknown version) is renamed aside to `queue.log.unreadable-<ms>`
 * for the operator, and the queue starts empty.
 */
export async function loadQueueFile(dir: string, log?: Logger): Promise<Loaded> {
  const path = join(dir, queueFileName);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skippedBytes: 0 };
    throw new TfgridError(RmbError.QUEUE_STORAGE, `cannot read ${path}`, { cause: error });
  }
  const problem = checkFileHeader(bytes);
  if (problem !== undefined) {
    const aside = `${path}.unreadable-${Date.now()}`;
    log?.error('relay queue file unreadable; moved aside, starting with an empty queue', { path, aside, problem });
    await rename(path, aside);
    return { entries: [], skippedBytes: bytes.length };
  }
  const scan = scanRecords(bytes, queueFileHeaderBytes);
  const live = new Map<number, Uint8Array>();
  for (const record of scan.records) {
    if (record.kind === 'put') live.set(record.seq, record.envelope);
    else for (const seq of record.seqs) live.delete(seq);
  }
  const skippedBytes = scan.skipped.reduce((sum, range) => sum + range.bytes, 0);
  if (skippedBytes > 0) log?.warn('relay queue file had damaged or torn records; skipped them', { path, skipped: scan.skipped.slice(0, 10), skippedBytes });
  // Copies: the entries outlive the file's buffer, which also holds every dead record.
  const entries = [...live].map(([seq, envelope]) => ({ seq, envelope: Uint8Array.from(envelope) })).sort((a, b) => a.seq - b.seq);
  return { entries, skippedBytes };
}

/** Bytes an entry takes in the file: what run-time compaction counts as live. */
export function entryFileBytes(envelopeBytes: number): number {
  return recordHeaderBytes + 8 + envelopeBytes;
}

export interface QueueFileOptions {
  readonly dir: string;
  /** false only in tests that measure without durability. Default true. */
  readonly fsync?: boolean;
  readonly compactBytesMin?: number;
  readonly log?: Logger;
  /** What is queued now, for a rewrite. */
  readonly snapshot: () => Iterable<QueueEntry>;
  /** File bytes the queued entries take (sum of entryFileBytes). */
  readonly liveBytes: () => number;
}

export class QueueFile {
  readonly #options: QueueFileOptions;
  readonly #path: string;
  #handle: FileHandle;
  #sizeBytes: number;
  #pending: Uint8Array[] = [];
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  #inflight: Promise<void> | undefined;
  #failed: TfgridError | undefined;
  #closed = false;

  /** Writes `snapshot()` as the new file (the load-time compaction) and opens it for appending. */
  static async open(options: QueueFileOptions): Promise<QueueFile> {
    await mkdir(options.dir, { recursive: true });
    const path = join(options.dir, queueFileName);
    const sizeBytes = await rewrite(path, options.snapshot(), options.fsync !== false);
    return new QueueFile(options, path, await open(path, 'r+'), sizeBytes);
  }

  private constructor(options: QueueFileOptions, path: string, handle: FileHandle, sizeBytes: number) {
    this.#options = options;
    this.#path = path;
    this.#handle = handle;
    this.#sizeBytes = sizeBytes;
  }

  get sizeBytes(): number { return this.#sizeBytes; }
  /** False once a write failed: the queue then lives in memory only (logged at error level). */
  get durable(): boolean { return this.#failed === undefined; }

  put(entry: QueueEntry): void {
    this.#append([encodePut(entry.seq, entry.envelope)]);
  }

  done(seqs: readonly number[]): void {
    if (seqs.length > 0) this.#append(encodeDone(seqs));
  }

  /** Resolves once every record appended so far is written and fsynced. */
  sync(): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (this.#pending.length > 0) return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
    return this.#inflight ?? Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.sync().catch(() => undefined); // a failure was logged when it happened
    this.#closed = true;
    await this.#handle.close().catch(() => undefined);
  }

  #append(records: Uint8Array[]): void {
    assert(!this.#closed, 'queue file append after close');
    if (this.#failed !== undefined) return;
    this.#pending.push(...records);
    this.#inflight ??= this.#drain();
  }

  async #drain(): Promise<void> {
    // Start on the next turn: every record appended in this one joins the same write and fsync.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#pending.length > 0 && this.#failed === undefined) {
      const batch = this.#pending;
      const waiters = this.#waiters;
      this.#pending = [];
      this.#waiters = [];
      try {
        await this.#commit(batch);
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        this.#failed = new TfgridError(RmbError.QUEUE_STORAGE, `writing ${this.#path} failed; queued envelopes are no longer durable`, { cause: error });
        this.#options.log?.error('relay queue file failed; the queue continues in memory only', { path: this.#path, error });
        for (const waiter of [...waiters, ...this.#waiters.splice(0)]) waiter.reject(this.#failed);
        this.#pending = [];
      }
    }
    this.#inflight = undefined;
  }

  async #commit(batch: Uint8Array[]): Promise<void> {
    const batchBytes = batch.reduce((sum, record) => sum + record.length, 0);
    const compactAt = this.#options.compactBytesMin ?? compactBytesMinDefault;
    const liveFileBytes = queueFileHeaderBytes + this.#options.liveBytes();
    if (this.#sizeBytes + batchBytes >= compactAt && this.#sizeBytes + batchBytes > 2 * liveFileBytes) {
      // The snapshot already holds every effect of `batch` (puts still queued, done ones gone).
      await this.#handle.close();
      this.#sizeBytes = await rewrite(this.#path, this.#options.snapshot(), this.#options.fsync !== false);
      this.#handle = await open(this.#path, 'r+');
      return;
    }
    const { bytesWritten } = await this.#handle.writev(batch, this.#sizeBytes);
    assert(bytesWritten === batchBytes, 'whole batch written to the queue file');
    this.#sizeBytes += batchBytes;
    if (this.#options.fsync !== false) await this.#handle.datasync();
  }
}

/** Writes header + a put record per entry to `path` atomically; returns the file size. */
async function rewrite(path: string, entries: Iterable<QueueEntry>, fsync: boolean): Promise<number> {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  let sizeBytes = 0;
  try {
    let chunk: Uint8Array[] = [encodeFileHeader()];
    let chunkBytes = queueFileHeaderBytes;
    const flush = async (): Promise<void> => {
      await handle.writev(chunk, sizeBytes);
      sizeBytes += chunkBytes;
      chunk = [];
      chunkBytes = 0;
    };
    for (const entry of entries) {
      const record = encodePut(entry.seq, entry.envelope);
      chunk.push(record);
      chunkBytes += record.length;
      if (chunkBytes >= rewriteChunkBytes) await flush();
    }
    await flush();
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  if (fsync) await fsyncDir(join(path, '..'));
  return sizeBytes;
}
