// Bytes appended to the end of one file and held in memory until written out together: one
// pwrite for a whole event-loop turn of SETs instead of one per SET (NamespaceFiles).
import fs from 'node:fs';
import { TfgridError, assert } from '../../base/index.ts';
import { ZdbError } from '../errors.ts';

export class AppendStage {
  /** Staged bytes past which push() callers must write out first (see `full`). */
  readonly bytesMax: number;
  private readonly initialBytes: number;
  private buffer: Buffer;
  /** Bytes staged. */
  bytes = 0;
  /** Size of the file without the staged bytes: where they go. */
  writtenSize = 0;

  constructor(options: { initialBytes: number; bytesMax: number }) {
    assert(options.initialBytes > 0 && options.bytesMax >= options.initialBytes, 'a stage can hold its initial size');
    this.initialBytes = options.initialBytes;
    this.bytesMax = options.bytesMax;
    this.buffer = Buffer.allocUnsafe(options.initialBytes);
  }

  /** Logical file size: written plus staged. */
  get size(): number {
    return this.writtenSize + this.bytes;
  }

  /** True when `more` bytes would pass bytesMax: write out first. */
  full(more: number): boolean {
    return this.bytes > 0 && this.bytes + more > this.bytesMax;
  }

  /** Copies `parts` (`totalBytes` in all) after the staged bytes; returns their file offset. */
  push(parts: readonly Uint8Array[], totalBytes: number): number {
    const offset = this.size;
    if (this.bytes + totalBytes > this.buffer.length) this.grow(this.bytes + totalBytes);
    let at = this.bytes;
    for (const part of parts) {
      this.buffer.set(part, at);
      at += part.length;
    }
    assert(at - this.bytes === totalBytes, 'parts add up to totalBytes');
    this.bytes = at;
    return offset;
  }

  /** Writes the staged bytes at `writtenSize` of `fd`. On failure nothing counts as written and
   *  the bytes stay staged (the caller decides: retry later, or drop()). */
  writeTo(fd: number, file: string): void {
    let done = 0;
    while (done < this.bytes) {
      let written: number;
      try {
        written = fs.writeSync(fd, this.buffer, done, this.bytes - done, this.writtenSize + done);
      } catch (error) {
        throw new TfgridError(ZdbError.IO_FAILED, `write failed (${file}@${this.writtenSize + done})`, { cause: error });
      }
      if (written === 0) throw new TfgridError(ZdbError.IO_FAILED, `write made no progress (${file}@${this.writtenSize + done})`);
      done += written;
    }
    this.writtenSize += this.bytes;
    // A burst's growth is given back once the batches are small again, not after every batch:
    // regrowing each turn allocated megabytes per turn and drove V8's full collections.
    if (this.buffer.length > this.initialBytes * 4 && this.bytes * 4 < this.buffer.length) this.buffer = Buffer.allocUnsafe(this.initialBytes);
    this.bytes = 0;
  }

  /** Forgets the staged bytes. */
  drop(): void {
    this.bytes = 0;
  }

  /** A file (re)opened at `size`, nothing staged. */
  reset(size: number): void {
    assert(this.bytes === 0, 'staged bytes are written or dropped before their file changes');
    this.writtenSize = size;
  }

  private grow(needed: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, needed));
    this.buffer.copy(grown, 0, 0, this.bytes);
    this.buffer = grown;
  }
}
