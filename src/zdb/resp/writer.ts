// Encoder for replies (server) and commands (client), into slabs that are never overwritten.
import { assert } from '../../base/index.ts';
import { CR, LF, STAR, DOLLAR, PLUS, MINUS, COLON, ZERO, EMPTY, RespError, type RespValue } from './types.ts';

/** Where RespWriter.flushTo() sends bytes: a net.Socket or anything shaped like one. */
export interface RespSink {
  write(chunk: Buffer): boolean;
  cork?(): void;
  uncork?(): void;
}

export interface RespWriterOptions {
  /** Size of each output slab. */
  slabBytes?: number;
  /** A slab that fills up is replaced by one twice as large, up to this size (default
   *  slabBytes: no growth). With recycle(), a writer so settles on one slab that holds its
   *  usual batch. */
  slabBytesMax?: number;
  /** Bulks at least this large are referenced rather than copied into the slab. */
  referenceBytesMin?: number;
}

/**
 * Encodes RESP into slabs. Bytes handed out by take() are never overwritten: writing continues
 * after them in the same slab, and a full slab is replaced, not reused. So a taken chunk can go
 * to socket.write() (which keeps a reference until sent) without a copy. Large bulks are not
 * copied at all: they become their own chunk, so do not mutate them until written.
 */
export class RespWriter {
  private slabBytes: number;
  private readonly slabBytesMax: number;
  private readonly referenceBytesMin: number;
  private slab: Buffer = EMPTY; // allocated at the first write
  private start = 0;
  private end = 0;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;

  constructor(options: RespWriterOptions = {}) {
    this.slabBytes = options.slabBytes ?? 64 * 1024;
    this.slabBytesMax = options.slabBytesMax ?? this.slabBytes;
    this.referenceBytesMin = options.referenceBytesMin ?? 16 * 1024;
    assert(this.slabBytes >= 64, 'a slab holds at least a header');
    assert(this.slabBytesMax >= this.slabBytes, 'slabs only grow');
  }

  /** Bytes written and not yet taken. */
  get byteLength(): number {
    return this.chunkBytes + this.end - this.start;
  }

  /** `+text`. CR and LF become spaces, as in Redis: they would end the line early. */
  simple(text: string): this {
    return this.line(PLUS, text);
  }

  /** `-message`, e.g. error('ERR unknown command'). CR and LF become spaces. */
  error(message: string): this {
    return this.line(MINUS, message);
  }

  integer(value: number | bigint): this {
    assert(
      typeof value === 'bigint' ? value >= -0x8000000000000000n && value <= 0x7fffffffffffffffn : Number.isSafeInteger(value),
      'RESP integers are 64-bit whole numbers',
    );
    this.ensure(24);
    this.slab[this.end++] = COLON;
    if (typeof value === 'number' && value >= 0) this.decimal(value);
    else this.end += this.slab.write(String(value), this.end, 'latin1');
    return this.crlf();
  }

  /** `$len\r\nbytes\r\n`, or `$-1\r\n` for null. Strings are encoded as UTF-8. */
  bulk(value: Uint8Array | string | null): this {
    if (value === null) return this.raw(NULL_BULK);
    if (typeof value === 'string') {
      const length = Buffer.byteLength(value);
      this.header(DOLLAR, length, length + 2);
      this.end += this.slab.write(value, this.end, 'utf8');
      return this.crlf();
    }
    if (value.length >= this.referenceBytesMin) {
      this.header(DOLLAR, value.length, 0);
      this.cut();
      const view = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      this.chunks.push(view);
      this.chunkBytes += view.length;
      this.ensure(2);
      return this.crlf();
    }
    this.header(DOLLAR, value.length, value.length + 2);
    this.slab.set(value, this.end);
    this.end += value.length;
    return this.crlf();
  }

  /** `*len`; the caller then writes `length` values. */
  arrayHeader(length: number): this {
    assert(Number.isSafeInteger(length) && length >= 0, 'an array length is a natural number');
    return this.header(STAR, length, 0);
  }

  /** `*-1\r\n`. */
  nullArray(): this {
    return this.raw(NULL_ARRAY);
  }

  array(items: readonly RespValue[]): this {
    this.arrayHeader(items.length);
    for (const item of items) this.value(item);
    return this;
  }

  /** Any value; a string is a SIMPLE string (use bulk() for a bulk string), null a null bulk. */
  value(value: RespValue): this {
    if (value === null) return this.raw(NULL_BULK);
    if (typeof value === 'string') return this.simple(value);
    if (typeof value === 'number' || typeof value === 'bigint') return this.integer(value);
    if (value instanceof RespError) return this.error(value.message);
    if (value instanceof Uint8Array) return this.bulk(value);
    return this.array(value);
  }

  /** A command as clients send it: an array of bulk strings. */
  command(args: readonly (Uint8Array | string)[]): this {
    this.arrayHeader(args.length);
    for (const arg of args) this.bulk(arg);
    return this;
  }

  /** Everything written since the last take(), as chunks to write in order. */
  take(): Buffer[] {
    this.cut();
    const chunks = this.chunks;
    this.chunks = [];
    this.chunkBytes = 0;
    return chunks;
  }

  /** Everything written since the last take(), as one buffer (copies only if it is in pieces). */
  takeBuffer(): Buffer {
    const chunks = this.take();
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks);
  }

  /**
   * The caller's promise that the sink holds no reference to any chunk taken so far (a socket
   * whose writes all completed synchronously has `writableLength === 0`): writing starts over
   * at the beginning of the current slab instead of replacing it when full. A server that
   * recycles after each flush reuses one slab per connection instead of allocating its whole
   * output (every new slab is an ArrayBuffer, and their churn drives V8's full collections).
   */
  recycle(): void {
    assert(this.end === this.start && this.chunks.length === 0, 'recycle() follows take() or flushTo()');
    this.start = 0;
    this.end = 0;
  }

  /** Writes everything pending to `sink` in one corked batch; returns sink.write()'s verdict. */
  flushTo(sink: RespSink): boolean {
    const chunks = this.take();
    if (chunks.length === 0) return true;
    if (chunks.length === 1) return sink.write(chunks[0]!);
    sink.cork?.();
    let ok = true;
    for (const chunk of chunks) ok = sink.write(chunk) && ok;
    sink.uncork?.();
    return ok;
  }

  private line(type: number, text: string): this {
    const safe = text.includes('\r') || text.includes('\n') ? text.replace(/[\r\n]/g, ' ') : text;
    this.ensure(safe.length * 3 + 3);
    this.slab[this.end++] = type;
    this.end += this.slab.write(safe, this.end, 'utf8');
    return this.crlf();
  }

  /** Writes `<type><length>\r\n` and makes room for `bodyBytes` more. */
  private header(type: number, length: number, bodyBytes: number): this {
    this.ensure(24 + bodyBytes);
    this.slab[this.end++] = type;
    this.decimal(length);
    return this.crlf();
  }

  private raw(bytes: Buffer): this {
    this.ensure(bytes.length);
    bytes.copy(this.slab, this.end);
    this.end += bytes.length;
    return this;
  }

  private crlf(): this {
    this.slab[this.end++] = CR;
    this.slab[this.end++] = LF;
    return this;
  }

  /** Writes a natural number in decimal (no string allocation). */
  private decimal(value: number): void {
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let i = this.end + digits;
    let rest = value;
    do {
      this.slab[--i] = ZERO + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    this.end += digits;
  }

  private ensure(bytes: number): void {
    if (this.slab.length - this.end >= bytes) return;
    if (this.slab.length > 0) this.slabBytes = Math.min(this.slabBytesMax, this.slabBytes * 2);
    this.cut();
    this.slab = Buffer.allocUnsafe(Math.max(this.slabBytes, bytes));
    this.start = 0;
    this.end = 0;
  }

  /** Closes the pending slab region into a chunk. */
  private cut(): void {
    if (this.end === this.start) return;
    const chunk = this.slab.subarray(this.start, this.end);
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    this.start = this.end;
  }
}

const NULL_BULK = Buffer.from('$-1\r\n');
const NULL_ARRAY = Buffer.from('*-1\r\n');

/** One value, encoded (see RespWriter.value for the mapping). */
export function encodeReply(value: RespValue): Buffer {
  return new RespWriter({ slabBytes: 256 }).value(value).takeBuffer();
}

/** One command, encoded as an array of bulk strings. */
export function encodeCommand(args: readonly (Uint8Array | string)[]): Buffer {
  return new RespWriter({ slabBytes: 256 }).command(args).takeBuffer();
}

