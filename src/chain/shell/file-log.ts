// The embedded BlockStore: one append-only file of length-prefixed, CRC-checked, hash-chained,
// signed block records (format in record.ts and the README). Open verifies every record and
// truncates a torn tail (a crash mid-append) to the last whole record; a bad record followed by
// more data is corruption and is refused with CHAIN_LOG_CORRUPT, never skipped.
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { TfgridError, assert, fsyncDir, type Logger } from '../../base/index.ts';
import type { Block } from '../core/seam.ts';
import type { BlockCheck, BlockStore } from './block-store.ts';
import { ChainError } from '../errors.ts';
import { ChainShellError } from './errors.ts';
import { checkFileHeader, decodeRecord, encodeFileHeader, encodeRecord, fileHeaderBytes } from './record.ts';

const readChunkBytes = 4 * 2 ** 20;
/** Recent blocks kept in memory for readers and subscribers that are a little behind. */
export const recentBlocksMaxDefault = 1024;

export interface FileLogOptions {
  path: string;
  /** previousHash of block 1. */
  genesisHash: string;
  /** Verifies a block's roots, hash and signature by the pinned sequencer (the core's checkBlock). */
  check: BlockCheck;
  /** Called with every block found on open, in height order, after it passed its checks. */
  onReplay?: (block: Block) => void;
  /** false only in tests and benchmarks that measure without durability. Default true. */
  fsync?: boolean;
  recentBlocksMax?: number;
  log?: Logger;
}

export async function openFileLog(options: FileLogOptions): Promise<FileLog> {
  await mkdir(dirname(options.path), { recursive: true });
  let handle: FileHandle;
  try {
    handle = await open(options.path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    handle = await open(options.path, 'w+');
    await handle.write(encodeFileHeader(), 0, fileHeaderBytes, 0);
    await handle.sync();
    await fsyncDir(dirname(options.path));
  }
  try {
    const scan = await scanLog(handle, options);
    return new FileLog(handle, options, scan);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

interface Scan {
  offsets: number[];
  sizeBytes: number;
  lastHash: string;
  recent: Block[];
}

async function scanLog(handle: FileHandle, options: FileLogOptions): Promise<Scan> {
  const { size } = await handle.stat();
  const header = new Uint8Array(fileHeaderBytes);
  await handle.read(header, 0, fileHeaderBytes, 0);
  const headerProblem = size < fileHeaderBytes ? 'file header is truncated' : checkFileHeader(header);
  if (headerProblem !== undefined) {
    throw new TfgridError(headerProblem.startsWith('unsupported') ? ChainShellError.LOG_UNSUPPORTED_VERSION : ChainShellError.LOG_CORRUPT, `${options.path}: ${headerProblem}`);
  }
  const recentMax = options.recentBlocksMax ?? recentBlocksMaxDefault;
  const scan: Scan = { offsets: [], sizeBytes: fileHeaderBytes, lastHash: options.genesisHash, recent: [] };
  let pending: Uint8Array = new Uint8Array(0);
  let pendingOffset = fileHeaderBytes; // file offset of pending[0]
  let readOffset = fileHeaderBytes;
  for (;;) {
    let cursor = 0;
    for (;;) {
      const decoded = decodeRecord(pending, cursor);
      if (decoded.kind === 'short') break;
      const at = pendingOffset + cursor;
      if (decoded.kind === 'corrupt') {
        if (isZeroTail(pending, cursor) && readOffset >= size) break; // zero-filled tail of a crash
        throw corrupt(options.path, at, scan.offsets.length + 1, decoded.reason);
      }
      acceptBlock(decoded.block, at, scan, options, recentMax);
      cursor += decoded.bytes;
    }
    pending = pending.subarray(cursor);
    pendingOffset += cursor;
    if (readOffset >= size) break;
    const chunk = new Uint8Array(Math.min(readChunkBytes, size - readOffset));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, readOffset);
    assert(bytesRead === chunk.length, 'log file shrank while opening');
    readOffset += bytesRead;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  }
  scan.sizeBytes = pendingOffset;
  if (pending.length > 0) {
    options.log?.warn('truncating torn tail of the block log', { path: options.path, offset: pendingOffset, bytes: pending.length, height: scan.offsets.length });
    await handle.truncate(pendingOffset);
    await handle.sync();
  }
  return scan;
}

function acceptBlock(block: Block, at: number, scan: Scan, options: FileLogOptions, recentMax: number): void {
  const expected = scan.offsets.length + 1;
  if (block.height !== expected) throw corrupt(options.path, at, expected, `record holds height ${block.height}`);
  if (block.previousHash !== scan.lastHash) throw corrupt(options.path, at, expected, 'previousHash does not match the previous block');
  const problem = options.check(block);
  if (problem !== undefined) {
    // A block signed by another key is not disk damage: keep its code so the operator looks at
    // keys (wrong genesis, wrong data directory, a forged log), not at the disk.
    if (problem.code === ChainError.WRONG_SEQUENCER) throw new TfgridError(problem.code, `${options.path}: block ${expected} at byte ${at}: ${problem.detail}`, { details: { path: options.path, offset: at, height: expected } });
    throw corrupt(options.path, at, expected, problem.detail);
  }
  scan.offsets.push(at);
  scan.lastHash = block.hash;
  scan.recent.push(block);
  if (scan.recent.length > recentMax) scan.recent.shift();
  options.onReplay?.(block);
}

function isZeroTail(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function corrupt(path: string, offset: number, height: number, reason: string): TfgridError {
  return new TfgridError(ChainShellError.LOG_CORRUPT, `${path}: block ${height} at byte ${offset}: ${reason}; the log is damaged (restore it from a replica or a backup)`, { details: { path, offset, height } });
}

export class FileLog implements BlockStore {
  readonly #handle: FileHandle;
  readonly #options: FileLogOptions;
  readonly #offsets: number[];
  readonly #recent: Block[];
  readonly #recentMax: number;
  readonly #subscribers = new Set<(block: Block) => void>();
  #sizeBytes: number;
  #lastHash: string;
  #appending = false;
  #closed = false;

  constructor(handle: FileHandle, options: FileLogOptions, scan: Scan) {
    this.#handle = handle;
    this.#options = options;
    this.#offsets = scan.offsets;
    this.#recent = scan.recent;
    this.#recentMax = options.recentBlocksMax ?? recentBlocksMaxDefault;
    this.#sizeBytes = scan.sizeBytes;
    this.#lastHash = scan.lastHash;
  }

  get height(): number {
    return this.#offsets.length;
  }

  get lastHash(): string {
    return this.#lastHash;
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  async append(block: Block): Promise<void> {
    assert(!this.#closed, 'append after close');
    assert(!this.#appending, 'one append at a time');
    assert(block.height === this.height + 1 && block.previousHash === this.#lastHash, 'appended block extends the chain');
    this.#appending = true;
    try {
      const bytes = encodeRecordChecked(block);
      const { bytesWritten } = await this.#handle.write(bytes, 0, bytes.length, this.#sizeBytes);
      assert(bytesWritten === bytes.length, 'whole record written');
      if (this.#options.fsync !== false) await this.#handle.datasync();
      this.#offsets.push(this.#sizeBytes);
      this.#sizeBytes += bytes.length;
      this.#lastHash = block.hash;
      this.#recent.push(block);
      if (this.#recent.length > this.#recentMax) this.#recent.shift();
    } finally {
      this.#appending = false;
    }
    for (const subscriber of this.#subscribers) subscriber(block);
  }

  async readFrom(height: number, countMax: number): Promise<Block[]> {
    const last = Math.min(this.height, height + countMax - 1);
    if (height < 1 || height > last) return [];
    const firstRecent = this.height - this.#recent.length + 1;
    if (height >= firstRecent) return this.#recent.slice(height - firstRecent, last - firstRecent + 1);
    const start = this.#offsets[height - 1]!;
    const end = last === this.height ? this.#sizeBytes : this.#offsets[last]!;
    const bytes = new Uint8Array(end - start);
    await this.#handle.read(bytes, 0, bytes.length, start);
    const blocks: Block[] = [];
    for (let cursor = 0; cursor < bytes.length;) {
      const decoded = decodeRecord(bytes, cursor);
      // Assert after reading (the record passed its checks at open or append): a failure here is
      // the disk changing under us.
      if (decoded.kind !== 'record') throw corrupt(this.#options.path, start + cursor, height + blocks.length, decoded.kind === 'corrupt' ? decoded.reason : 'short record');
      blocks.push(decoded.block);
      cursor += decoded.bytes;
    }
    return blocks;
  }

  subscribe(onBlock: (block: Block) => void): () => void {
    this.#subscribers.add(onBlock);
    return () => this.#subscribers.delete(onBlock);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscribers.clear();
    await this.#handle.close();
  }
}

function encodeRecordChecked(block: Block): Uint8Array {
  const bytes = encodeRecord(block);
  // Assert before writing: the record decodes back to the same block.
  const decoded = decodeRecord(bytes, 0);
  assert(decoded.kind === 'record' && decoded.block.hash === block.hash, 'encoded record decodes');
  return bytes;
}
