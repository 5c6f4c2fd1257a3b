// Server side: incremental parser of client commands, multibulk and inline.
import { assert } from '../../base/index.ts';
import { CR, LF, STAR, DOLLAR, MINUS, ZERO, NINE, RespFault, respDefaults, protocolError, printable, type RespFaultCode, type RespProtocolError } from './types.ts';
import { ChunkInput, SCAN_INCOMPLETE, SCAN_OK, SCAN_TOO_LARGE, LINE_INCOMPLETE, LINE_TOO_LONG } from './input.ts';

export interface RequestParserOptions {
  /** Most arguments in one command (Redis: 1024*1024; 0-db: 1024). */
  arrayLengthMax?: number;
  /** Largest argument, in bytes. */
  bulkBytesMax?: number;
  /** Longest inline command line. */
  inlineBytesMax?: number;
  /** Most argument bytes in one command; default bulkBytesMax + 1 MiB (one value, keys, flags). */
  requestBytesMax?: number;
  /** Accept inline commands (`PING\r\n`, as telnet and redis-cli send). Default true. */
  inlineAllowed?: boolean;
}

export type RequestFrame = { readonly type: 'command'; readonly args: Buffer[] } | RespProtocolError;

/**
 * Server-side parser: feed() socket chunks as they come, then call next() until it returns null.
 * Commands are arrays of Buffers that may be views into the fed chunks: copy an argument you
 * keep beyond the command's lifetime (e.g. a key in an in-memory index) so that it does not pin
 * a whole socket chunk. With feedBorrowed() they are views into memory reused after the next
 * settle() or feed: use them before then. Like Redis, empty commands (`*0`, `*-1`, blank inline lines) are skipped.
 */
export class RequestParser extends ChunkInput {
  private readonly arrayLengthMax: number;
  private readonly bulkBytesMax: number;
  private readonly inlineBytesMax: number;
  private readonly requestBytesMax: number;
  private readonly inlineAllowed: boolean;
  private args: Buffer[] | null = null;
  private argsRemaining = 0;
  private bulkLength = -1;
  private requestBytes = 0;
  /** Where the command being read starts in `buf`. */
  private commandStart = 0;
  private dead = false;

  constructor(options: RequestParserOptions = {}) {
    super();
    this.arrayLengthMax = options.arrayLengthMax ?? respDefaults.arrayLengthMax;
    this.bulkBytesMax = options.bulkBytesMax ?? respDefaults.bulkBytesMax;
    this.inlineBytesMax = options.inlineBytesMax ?? respDefaults.lineBytesMax;
    this.requestBytesMax = options.requestBytesMax ?? this.bulkBytesMax + 1024 * 1024;
    this.inlineAllowed = options.inlineAllowed ?? true;
    assert(this.arrayLengthMax >= 1 && this.bulkBytesMax >= 0 && this.inlineBytesMax >= 1, 'request limits are positive');
    assert(this.requestBytesMax >= this.bulkBytesMax, 'a request can hold its largest argument');
  }

  override feed(chunk: Uint8Array): void {
    if (!this.dead) super.feed(chunk);
  }

  override feedBorrowed(chunk: Buffer): void {
    if (this.dead) return;
    this.forgetPartialCommand(); // the carry's bytes may move
    super.feedBorrowed(chunk);
  }

  override settle(): void {
    this.forgetPartialCommand(); // the borrowed bytes are about to be reused
    super.settle();
  }

  /** The arguments read so far of a command not yet complete are views of memory about to be
   *  reused or moved: forget them, and read the command again from its start. Only its headers
   *  are read twice; its bytes are kept, and copied once. */
  private forgetPartialCommand(): void {
    if (this.args === null) return;
    this.pos = this.commandStart;
    this.args = null;
    this.bulkLength = -1;
  }

  /** The next complete command, a protocol error (once; the parser is then dead), or null. */
  next(): RequestFrame | null {
    if (this.dead) return null;
    for (;;) {
      if (this.args === null) {
        if (!this.pull(1)) return null;
        this.commandStart = this.pos;
        if (this.buf[this.pos] !== STAR) {
          const inline = this.nextInline();
          if (inline === undefined) continue;
          return inline;
        }
        const status = this.readLength(this.arrayLengthMax);
        if (status === SCAN_INCOMPLETE) return null;
        if (status === SCAN_TOO_LARGE && this.buf[this.pos + 1] !== MINUS) {
          return this.fail(RespFault.ARRAY_TOO_LONG, 'Protocol error: invalid multibulk length');
        }
        if (status !== SCAN_OK) return this.fail(RespFault.INVALID_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length');
        this.pos = this.scanEnd;
        const count = this.scanValue as number;
        if (count <= 0) continue;
        this.args = [];
        this.argsRemaining = count;
        this.requestBytes = 0;
      }
      const done = this.readArguments(this.args);
      if (done !== true) return done;
      const args = this.args;
      this.args = null;
      return { type: 'command', args };
    }
  }

  /** Reads the bulks of the current command: true when all are in, null for more input. */
  private readArguments(args: Buffer[]): true | RespProtocolError | null {
    while (this.argsRemaining > 0) {
      if (this.bulkLength < 0) {
        if (!this.pull(1)) return null;
        const type = this.buf[this.pos]!;
        if (type !== DOLLAR) return this.fail(RespFault.EXPECTED_BULK, `Protocol error: expected '$', got '${printable(type)}'`);
        const status = this.readLength(this.bulkBytesMax);
        if (status === SCAN_INCOMPLETE) return null;
        if (status === SCAN_TOO_LARGE) return this.fail(RespFault.BULK_TOO_LARGE, 'Protocol error: invalid bulk length');
        if (status !== SCAN_OK || (this.scanValue as number) < 0) return this.fail(RespFault.INVALID_BULK_LENGTH, 'Protocol error: invalid bulk length');
        this.pos = this.scanEnd;
        this.bulkLength = this.scanValue as number;
        this.requestBytes += this.bulkLength;
        if (this.requestBytes > this.requestBytesMax) return this.fail(RespFault.REQUEST_TOO_LARGE, 'Protocol error: request too big');
      }
      if (!this.pull(this.bulkLength + 2)) return null;
      const buf = this.buf;
      const start = this.pos;
      const end = start + this.bulkLength;
      // Redis skips these two bytes unchecked; checking them catches a desynchronised peer.
      if (buf[end] !== CR || buf[end + 1] !== LF) return this.fail(RespFault.MISSING_CRLF, 'Protocol error: expected CRLF after bulk data');
      args.push(buf.subarray(start, end));
      this.pos = end + 2;
      this.bulkLength = -1;
      this.argsRemaining--;
    }
    return true;
  }

  /** One inline command; undefined for a blank line (skipped, as Redis does). */
  private nextInline(): RequestFrame | null | undefined {
    if (!this.inlineAllowed) {
      return this.fail(RespFault.INLINE_DISABLED, `Protocol error: expected '*', got '${printable(this.buf[this.pos]!)}'`);
    }
    const lf = this.findLine(this.inlineBytesMax);
    if (lf === LINE_INCOMPLETE) return null;
    if (lf === LINE_TOO_LONG) return this.fail(RespFault.INLINE_TOO_LONG, 'Protocol error: too big inline request');
    const end = lf > this.pos && this.buf[lf - 1] === CR ? lf - 1 : lf;
    const args = splitInlineArgs(this.buf, this.pos, end);
    this.pos = lf + 1;
    if (args === null) return this.fail(RespFault.UNBALANCED_QUOTES, 'Protocol error: unbalanced quotes in request');
    return args.length === 0 ? undefined : { type: 'command', args };
  }

  private fail(fault: RespFaultCode, message: string): RespProtocolError {
    this.dead = true;
    this.args = null;
    this.discardInput();
    return protocolError(fault, message);
  }
}

const SPACE = 32;
const TAB = 9;
const BACKSLASH = 92;
const DQUOTE = 34;
const SQUOTE = 39;
const inlineEscapes: Readonly<Record<number, number>> = { 110: 10, 114: 13, 116: 9, 98: 8, 97: 7 }; // n r t b a

function isSpace(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR); // C isspace: \t \n \v \f \r and space
}

function hexValue(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * Splits an inline command as Redis's sdssplitargs does: blanks separate arguments; "double
 * quotes" take \xHH, \n, \r, \t, \b, \a and \<any> escapes; 'single quotes' take only \'; a
 * closing quote must be followed by a blank. A NUL byte ends the line, as it does in Redis's C
 * code. Returns null for unbalanced quotes.
 */
export function splitInlineArgs(line: Uint8Array, start: number, end: number): Buffer[] | null {
  const at = (i: number): number => (i < end ? line[i]! : 0);
  const args: Buffer[] = [];
  let p = start;
  for (;;) {
    while (p < end && isSpace(line[p]!)) p++;
    if (at(p) === 0) return args;
    const bytes: number[] = [];
    let quote = 0;
    for (let done = false; !done; ) {
      const c = at(p);
      if (quote === DQUOTE) {
        if (c === BACKSLASH && at(p + 1) === 120 && hexValue(at(p + 2)) >= 0 && hexValue(at(p + 3)) >= 0) {
          bytes.push(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
        } else if (c === BACKSLASH && at(p + 1) !== 0) {
          p++;
          bytes.push(inlineEscapes[at(p)] ?? at(p));
        } else if (c === DQUOTE) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) return null;
        else bytes.push(c);
      } else if (quote === SQUOTE) {
        if (c === BACKSLASH && at(p + 1) === SQUOTE) {
          p++;
          bytes.push(SQUOTE);
        } else if (c === SQUOTE) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) return null;
        else bytes.push(c);
      } else if (c === SPACE || c === LF || c === CR || c === TAB || c === 0) done = true;
      else if (c === DQUOTE || c === SQUOTE) quote = c;
      else bytes.push(c);
      if (at(p) !== 0) p++;
    }
    args.push(Buffer.from(bytes));
  }
}
