// Buffered input shared by the request and reply parsers: chunk queue, bounded line and number scanning.
import { assert, BufferRecycler } from '../../base/index.ts';
import { CR, LF, MINUS, ZERO, NINE, EMPTY } from './types.ts';

// Number scanning results.
export const SCAN_OK = 0;
export const SCAN_INCOMPLETE = 1;
export const SCAN_INVALID = 2;
export const SCAN_TOO_LARGE = 3;
type ScanStatus = typeof SCAN_OK | typeof SCAN_INCOMPLETE | typeof SCAN_INVALID | typeof SCAN_TOO_LARGE;
/** A header line is a type byte, at most 20 characters of number and CRLF; pull this many bytes
 *  at a time when one is split across chunks, rather than copying whole chunks. */
export const HEADER_PULL_BYTES = 32;
export const LINE_INCOMPLETE = -1;
/** A carry up to this size stays with its input for the next frame that spans reads. A larger
 *  one (a 0-db value is up to 8 MiB) goes back to `largeCarries` as soon as it holds nothing,
 *  so an idle connection never pins one. */
const CARRY_KEPT_BYTES_MAX = 64 * 1024;
const CARRY_BYTES_MIN = 16 * 1024;
/** Large carries between uses, shared by every input; sizes are powers of two so that values of
 *  about the same size find one. */
const largeCarries = new BufferRecycler(4);
export const LINE_TOO_LONG = -2;

/**
 * Bytes received and not yet parsed: the current chunk `buf` (read from `pos`) and a queue of
 * later chunks. Parsing reads `buf` in place; when an element spans chunks, `pull()` copies just
 * the bytes that element needs into one buffer, so no byte is copied more than about once.
 *
 * Borrowed input (`feedBorrowed` … `settle`) is the caller's memory, reused after `settle()`:
 * frames are parsed straight from it, and only the bytes of a frame that spans reads are copied,
 * once, into `carry`, the input's own buffer, kept and reused across frames. A server reading
 * every socket into one shared buffer thus allocates nothing per read or per large value.
 */
export class ChunkInput {
  protected buf: Buffer = EMPTY;
  protected pos = 0;
  /** Set by scanLength/scanInteger: the value read and the index after its CRLF. */
  protected scanValue: number | bigint = 0;
  protected scanEnd = 0;
  private queue: Buffer[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  /** A line is incomplete in `buf`; watch arriving chunks for its LF (scan each chunk once). */
  private lineWanted = false;
  private lineArrived = false;
  /** `buf` is borrowed memory: settle() must copy what is left of it. */
  private borrowed = false;
  /** Owned bytes of a frame that spans borrowed reads; `buf` is a view of it when in use. */
  private carry: Buffer = EMPTY;
  /** Where in `buf` the element that the last failed pull() wanted ends: sizes the carry for a
   *  large value, so that it is regrown only a few times as the value arrives (carryFor()). */
  private wantedEnd = 0;

  feed(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pos === this.buf.length && this.queuedBytes === 0) {
      this.buf = bytes;
      this.pos = 0;
      return;
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    if (this.lineWanted && !this.lineArrived && bytes.indexOf(LF) >= 0) this.lineArrived = true;
  }

  /** Feeds memory that the caller reuses after settle(). Never mixed with feed(). */
  feedBorrowed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    assert(this.queuedBytes === 0 && !this.borrowed, 'borrowed input is settled before the next and never queued');
    if (this.pos === this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
      this.borrowed = true;
      return;
    }
    // The bytes left are in the carry (settle() put them there): append the new ones.
    const pending = this.buf.length - this.pos;
    const needed = pending + chunk.length;
    if (this.pos + needed > this.carry.length) {
      if (needed > this.carry.length) this.replaceCarry(this.carryFor(needed));
      else this.buf.copy(this.carry, 0, this.pos);
      this.pos = 0;
    }
    const end = this.pos + pending;
    chunk.copy(this.carry, end);
    this.buf = this.carry.subarray(0, end + chunk.length);
  }

  /** Ends the use of the memory given to feedBorrowed(): copies the bytes not yet parsed. */
  settle(): void {
    const pending = this.buf.length - this.pos;
    if (pending === 0) {
      this.buf = EMPTY;
      this.pos = 0;
      this.borrowed = false;
      if (this.carry.length > CARRY_KEPT_BYTES_MAX) {
        largeCarries.give(this.carry);
        this.carry = EMPTY;
      }
      return;
    }
    if (!this.borrowed) return; // already in the carry
    this.borrowed = false;
    if (pending > this.carry.length) this.replaceCarry(this.carryFor(pending));
    else this.buf.copy(this.carry, 0, this.pos);
    this.buf = this.carry.subarray(0, pending);
    this.pos = 0;
  }

  /** Moves the pending bytes (`buf` from `pos`) to the start of a carry of at least `bytes`. */
  private replaceCarry(bytes: number): void {
    const size = bytes <= CARRY_KEPT_BYTES_MAX ? Math.max(bytes, CARRY_BYTES_MIN) : 2 ** Math.ceil(Math.log2(bytes));
    const next = size > CARRY_KEPT_BYTES_MAX ? largeCarries.take(size) : Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.pos);
    if (this.carry.length > CARRY_KEPT_BYTES_MAX) largeCarries.give(this.carry);
    this.carry = next;
  }

  /**
   * The carry for `held` bytes: room for what the last failed pull() wanted, but at most twice
   * what has arrived. A header alone (`$8388608`) must not reserve 8 MiB per connection; growing
   * by doubling costs one extra copy of a large value's bytes, in all.
   */
  private carryFor(held: number): number {
    return Math.max(held, Math.min(this.takeWanted(), 2 * held));
  }

  /** Bytes from `pos` that the last failed pull() wanted (once). */
  private takeWanted(): number {
    const wanted = this.wantedEnd - this.pos;
    this.wantedEnd = 0;
    return wanted;
  }

  /** Bytes fed and not yet consumed by a parsed frame (for the caller's backpressure). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.queuedBytes;
  }

  /** Memory this input holds of its own (the carry), whatever it is used for. */
  get heldBytes(): number {
    return this.carry.length;
  }

  protected discardInput(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.borrowed = false;
    this.carry = EMPTY;
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
  }

  /** Makes `buf[pos..]` hold at least `wanted` bytes; false when not enough were fed yet. */
  protected pull(wanted: number): boolean {
    const have = this.buf.length - this.pos;
    if (have >= wanted) return true;
    if (have + this.queuedBytes < wanted) {
      this.wantedEnd = this.pos + wanted;
      return false;
    }
    if (have === 0) {
      const head = this.queue[this.queueHead]!;
      if (head.length >= wanted) {
        this.buf = head;
        this.pos = 0;
        this.dequeue(head.length);
        return true;
      }
    }
    const target = Buffer.allocUnsafe(wanted);
    this.buf.copy(target, 0, this.pos);
    let filled = have;
    while (filled < wanted) {
      const head = this.queue[this.queueHead]!;
      const taken = Math.min(head.length, wanted - filled);
      head.copy(target, filled, 0, taken);
      filled += taken;
      if (taken === head.length) this.dequeue(taken);
      else {
        this.queue[this.queueHead] = head.subarray(taken);
        this.queuedBytes -= taken;
      }
    }
    this.buf = target;
    this.pos = 0;
    return true;
  }

  private dequeue(length: number): void {
    this.queue[this.queueHead] = EMPTY;
    this.queueHead++;
    this.queuedBytes -= length;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Index in `buf` of the LF ending the line at `pos`, LINE_INCOMPLETE, or LINE_TOO_LONG.
   *  The verdict does not depend on how the bytes were split into chunks. */
  protected findLine(lineBytesMax: number): number {
    let lf = this.buf.indexOf(LF, this.pos);
    if (lf < 0 && this.queuedBytes > 0) {
      if (!this.lineWanted) this.lineArrived = this.queueHasLf();
      if (this.lineArrived) {
        this.pull(this.bufferedBytes);
        lf = this.buf.indexOf(LF, this.pos);
        assert(lf >= 0, 'a queued chunk held a LF');
      }
    }
    if (lf < 0) {
      this.lineWanted = true;
      return this.bufferedBytes > lineBytesMax ? LINE_TOO_LONG : LINE_INCOMPLETE;
    }
    this.lineWanted = false;
    this.lineArrived = false;
    return lf - this.pos > lineBytesMax ? LINE_TOO_LONG : lf;
  }

  private queueHasLf(): boolean {
    for (let i = this.queueHead; i < this.queue.length; i++) if (this.queue[i]!.indexOf(LF) >= 0) return true;
    return false;
  }

  /** Reads `<digits>\r\n` after the type byte at `pos` (Redis's string2ll rules: optional '-',
   *  no leading zeros, no '-0'). Magnitudes above `valueMax` stop the scan early. */
  protected readLength(valueMax: number): ScanStatus {
    for (;;) {
      const status = this.scanLength(this.pos + 1, valueMax);
      if (status !== SCAN_INCOMPLETE || this.queuedBytes === 0) return status;
      this.pull(this.buf.length - this.pos + Math.min(this.queuedBytes, HEADER_PULL_BYTES));
    }
  }

  private scanLength(start: number, valueMax: number): ScanStatus {
    const buf = this.buf;
    const end = buf.length;
    let i = start;
    if (i >= end) return SCAN_INCOMPLETE;
    let negative = false;
    let c = buf[i]!;
    if (c === MINUS) {
      negative = true;
      if (++i >= end) return SCAN_INCOMPLETE;
      c = buf[i]!;
      if (c === ZERO) return SCAN_INVALID;
    }
    if (c < ZERO || c > NINE) return SCAN_INVALID;
    let value = c - ZERO;
    i++;
    if (value !== 0) {
      while (i < end) {
        c = buf[i]!;
        if (c < ZERO || c > NINE) break;
        value = value * 10 + (c - ZERO);
        if (value > valueMax) return SCAN_TOO_LARGE;
        i++;
      }
    }
    if (value > valueMax) return SCAN_TOO_LARGE;
    if (i >= end) return SCAN_INCOMPLETE;
    if (buf[i] !== CR) return SCAN_INVALID;
    if (i + 1 >= end) return SCAN_INCOMPLETE;
    if (buf[i + 1] !== LF) return SCAN_INVALID;
    this.scanValue = negative ? -value : value;
    this.scanEnd = i + 2;
    return SCAN_OK;
  }

  /** Reads a signed 64-bit integer line after the type byte at `pos`. */
  protected readInteger(): ScanStatus {
    for (;;) {
      const status = this.scanInteger(this.pos + 1);
      if (status !== SCAN_INCOMPLETE || this.queuedBytes === 0) return status;
      this.pull(this.buf.length - this.pos + Math.min(this.queuedBytes, HEADER_PULL_BYTES));
    }
  }

  private scanInteger(start: number): ScanStatus {
    const buf = this.buf;
    const end = buf.length;
    let i = start;
    if (i < end && buf[i] === MINUS) i++;
    const digitsStart = i;
    while (i < end) {
      const c = buf[i]!;
      if (c < ZERO || c > NINE) break;
      if (++i - digitsStart > 19) return SCAN_INVALID;
    }
    if (i >= end) return SCAN_INCOMPLETE;
    if (i === digitsStart || buf[i] !== CR) return SCAN_INVALID;
    if (i + 1 >= end) return SCAN_INCOMPLETE;
    if (buf[i + 1] !== LF) return SCAN_INVALID;
    if (i - digitsStart <= 15) {
      let value = 0;
      for (let k = digitsStart; k < i; k++) value = value * 10 + (buf[k]! - ZERO);
      this.scanValue = digitsStart > start ? -value : value;
    } else {
      const big = BigInt(buf.toString('latin1', start, i));
      if (big > 0x7fffffffffffffffn || big < -0x8000000000000000n) return SCAN_INVALID;
      this.scanValue = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    this.scanEnd = i + 2;
    return SCAN_OK;
  }
}
