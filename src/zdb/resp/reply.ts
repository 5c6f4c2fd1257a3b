// Client side: incremental parser of server replies, nested arrays included.
import { assert } from '../../base/index.ts';
import { CR, LF, STAR, DOLLAR, PLUS, MINUS, COLON, RespFault, RespError, respDefaults, protocolError, printable, type RespFaultCode, type RespProtocolError, type RespReply } from './types.ts';
import { ChunkInput, SCAN_INCOMPLETE, SCAN_OK, SCAN_TOO_LARGE, LINE_INCOMPLETE, LINE_TOO_LONG } from './input.ts';

export interface ReplyParserOptions {
  arrayLengthMax?: number;
  bulkBytesMax?: number;
  /** Longest simple-string or error line. */
  lineBytesMax?: number;
  depthMax?: number;
  /** Bulks up to this size are copied out of the socket chunk so a kept small value does not
   *  pin a 64 KiB chunk; larger ones stay views. Default 0 (never copy). */
  copyBulkBytesMax?: number;
}

export type ReplyFrame = { readonly type: 'reply'; readonly value: RespReply } | RespProtocolError;

interface OpenArray {
  readonly items: RespReply[];
  remaining: number;
}

/** Client-side parser: feed() chunks, then next() until null. Errors from the server are
 *  replies (RespError values); a RespProtocolError means the byte stream itself is broken. */
export class ReplyParser extends ChunkInput {
  private readonly arrayLengthMax: number;
  private readonly bulkBytesMax: number;
  private readonly lineBytesMax: number;
  private readonly depthMax: number;
  private readonly copyBulkBytesMax: number;
  private readonly stack: OpenArray[] = [];
  private bulkLength = -1;
  private dead = false;

  constructor(options: ReplyParserOptions = {}) {
    super();
    this.arrayLengthMax = options.arrayLengthMax ?? respDefaults.arrayLengthMax;
    this.bulkBytesMax = options.bulkBytesMax ?? respDefaults.bulkBytesMax;
    this.lineBytesMax = options.lineBytesMax ?? respDefaults.lineBytesMax;
    this.depthMax = options.depthMax ?? respDefaults.depthMax;
    this.copyBulkBytesMax = options.copyBulkBytesMax ?? 0;
    assert(this.arrayLengthMax >= 1 && this.bulkBytesMax >= 0 && this.lineBytesMax >= 1 && this.depthMax >= 1, 'reply limits are positive');
  }

  override feed(chunk: Uint8Array): void {
    if (!this.dead) super.feed(chunk);
  }

  /** The next complete reply, a protocol error (once; the parser is then dead), or null. */
  next(): ReplyFrame | null {
    if (this.dead) return null;
    for (;;) {
      const element = this.nextElement();
      if (element === null) return null;
      if (element === OPENED) continue;
      if (isProtocolError(element)) return element;
      let value: RespReply = element.value;
      for (;;) {
        const top = this.stack[this.stack.length - 1];
        if (top === undefined) return { type: 'reply', value };
        top.items.push(value);
        if (--top.remaining > 0) break;
        this.stack.pop();
        value = top.items;
      }
    }
  }

  /** One scalar, a newly opened array (OPENED), an error, or null for more input. */
  private nextElement(): { value: RespReply } | typeof OPENED | RespProtocolError | null {
    if (this.bulkLength >= 0) return this.readBulkPayload();
    if (!this.pull(1)) return null;
    const type = this.buf[this.pos]!;
    switch (type) {
      case PLUS:
      case MINUS:
        return this.readLine(type);
      case COLON: {
        const status = this.readInteger();
        if (status === SCAN_INCOMPLETE) return null;
        if (status !== SCAN_OK) return this.fail(RespFault.INVALID_INTEGER, 'Protocol error: invalid integer reply');
        this.pos = this.scanEnd;
        return { value: this.scanValue };
      }
      case DOLLAR: {
        const status = this.readLength(this.bulkBytesMax);
        if (status === SCAN_INCOMPLETE) return null;
        if (status === SCAN_TOO_LARGE && this.buf[this.pos + 1] !== MINUS) return this.fail(RespFault.BULK_TOO_LARGE, 'Protocol error: invalid bulk length');
        if (status !== SCAN_OK || (this.scanValue as number) < -1) return this.fail(RespFault.INVALID_BULK_LENGTH, 'Protocol error: invalid bulk length');
        this.pos = this.scanEnd;
        if (this.scanValue === -1) return { value: null };
        this.bulkLength = this.scanValue as number;
        return this.readBulkPayload();
      }
      case STAR:
        return this.openArray();
      default:
        return this.fail(RespFault.INVALID_REPLY_TYPE, `Protocol error: invalid reply type '${printable(type)}'`);
    }
  }

  private readLine(type: number): { value: RespReply } | RespProtocolError | null {
    const lf = this.findLine(this.lineBytesMax);
    if (lf === LINE_INCOMPLETE) return null;
    if (lf === LINE_TOO_LONG) return this.fail(RespFault.LINE_TOO_LONG, 'Protocol error: too big reply line');
    if (lf === this.pos || this.buf[lf - 1] !== CR) return this.fail(RespFault.MISSING_CRLF, 'Protocol error: reply line not ended by CRLF');
    const text = this.buf.toString('utf8', this.pos + 1, lf - 1);
    this.pos = lf + 1;
    return { value: type === PLUS ? text : new RespError(text) };
  }

  private readBulkPayload(): { value: RespReply } | RespProtocolError | null {
    if (!this.pull(this.bulkLength + 2)) return null;
    const buf = this.buf;
    const start = this.pos;
    const end = start + this.bulkLength;
    if (buf[end] !== CR || buf[end + 1] !== LF) return this.fail(RespFault.MISSING_CRLF, 'Protocol error: expected CRLF after bulk data');
    const view = buf.subarray(start, end);
    this.pos = end + 2;
    this.bulkLength = -1;
    return { value: view.length <= this.copyBulkBytesMax ? Buffer.from(view) : view };
  }

  private openArray(): { value: RespReply } | typeof OPENED | RespProtocolError | null {
    const status = this.readLength(this.arrayLengthMax);
    if (status === SCAN_INCOMPLETE) return null;
    if (status === SCAN_TOO_LARGE && this.buf[this.pos + 1] !== MINUS) return this.fail(RespFault.ARRAY_TOO_LONG, 'Protocol error: invalid multibulk length');
    if (status !== SCAN_OK || (this.scanValue as number) < -1) return this.fail(RespFault.INVALID_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length');
    this.pos = this.scanEnd;
    const length = this.scanValue as number;
    if (length === -1) return { value: null };
    if (length === 0) return { value: [] };
    if (this.stack.length >= this.depthMax) return this.fail(RespFault.NESTING_TOO_DEEP, 'Protocol error: arrays nested too deep');
    this.stack.push({ items: [], remaining: length });
    return OPENED;
  }

  private fail(fault: RespFaultCode, message: string): RespProtocolError {
    this.dead = true;
    this.stack.length = 0;
    this.discardInput();
    return protocolError(fault, message);
  }
}

const OPENED = Symbol('opened');

function isProtocolError(value: object): value is RespProtocolError {
  return (value as { type?: unknown }).type === 'error';
}

