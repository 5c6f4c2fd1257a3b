// A streaming tar reader: ustar, pax (per-file and global extended headers, xattrs) and GNU long
// names, which is what `docker save`, OCI layers and GNU tar write. Entries come one at a time;
// an entry's content must be read (or is skipped) before the next. No extraction here: callers
// decide what an entry means (pack.ts, image.ts), so nothing is ever written by this module.
import { TfgridError } from '../base/index.ts';
import { FlistError } from './errors.ts';

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarEntry {
  readonly path: string;
  readonly type: TarType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly linkTarget: string;
  readonly devMajor: number;
  readonly devMinor: number;
  readonly xattrs: ReadonlyMap<string, Buffer>;
}

const recordBytes = 512;
const typeOf: Record<string, TarType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'directory', '6': 'fifo' };

/** Exact reads over an async stream of chunks. */
export class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #buffer = Buffer.alloc(0);
  #done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes, or fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.#buffer.length < n && !this.#done) {
      const next = await this.#source.next();
      if (next.done === true) this.#done = true;
      else this.#buffer = this.#buffer.length === 0 ? Buffer.from(next.value) : Buffer.concat([this.#buffer, next.value]);
    }
    const out = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(out.length);
    return out;
  }
}

/**
 * Reads the archive entry by entry. `onEntry` gets each entry and a `read(n)` for its content
 * (at most the remaining bytes); whatever it leaves unread is skipped.
 */
export async function readTar(source: AsyncIterable<Uint8Array>, onEntry: (entry: TarEntry, read: (n: number) => Promise<Buffer>) => Promise<void>): Promise<void> {
  const reader = new ByteReader(source);
  let globalPax = new Map<string, string>();
  let pax = new Map<string, string>();
  let xattrs = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const header = await reader.read(recordBytes);
    if (header.length === 0) throw new TfgridError(FlistError.SOURCE, 'tar archive ends without its end-of-archive marker');
    if (header.length < recordBytes) throw new TfgridError(FlistError.SOURCE, 'tar archive is truncated inside a header');
    if (header.every((byte) => byte === 0)) return; // end of archive (the second zero record may be missing)
    checkChecksum(header);
    const flag = String.fromCharCode(header[156]!);
    const size = numeric(header, 124, 12);
    const padded = Math.ceil(size / recordBytes) * recordBytes;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const body = await reader.read(padded);
      if (body.length < padded) throw new TfgridError(FlistError.SOURCE, 'tar archive is truncated inside an extended header');
      const data = body.subarray(0, size);
      if (flag === 'L') longName = cString(data, 0, data.length);
      else if (flag === 'K') longLink = cString(data, 0, data.length);
      else {
        const records = parsePax(data);
        if (flag === 'g') globalPax = new Map([...globalPax, ...records.values]);
        else {
          pax = records.values;
          xattrs = records.xattrs;
        }
      }
      continue;
    }
    const type = typeOf[flag];
    const values = new Map([...globalPax, ...pax]);
    const prefix = cString(header, 345, 155);
    const name = cString(header, 0, 100);
    const entry: TarEntry = {
      path: values.get('path') ?? longName ?? (prefix === '' ? name : `${prefix}/${name}`),
      type: type ?? 'file',
      mode: numeric(header, 100, 8) & 0o7777,
      uid: values.has('uid') ? Number(values.get('uid')) : numeric(header, 108, 8),
      gid: values.has('gid') ? Number(values.get('gid')) : numeric(header, 116, 8),
      size: values.has('size') ? Number(values.get('size')) : size,
      mtimeNs: values.has('mtime') ? paxTime(values.get('mtime')!) : BigInt(numeric(header, 136, 12)) * 1_000_000_000n,
      linkTarget: values.get('linkpath') ?? longLink ?? cString(header, 157, 100),
      devMajor: numeric(header, 329, 8),
      devMinor: numeric(header, 337, 8),
      xattrs,
    };
    pax = new Map();
    xattrs = new Map();
    longName = undefined;
    longLink = undefined;
    if (type === undefined) throw new TfgridError(FlistError.SOURCE, `tar entry ${entry.path} has an unsupported type '${flag}'`);
    const contentBytes = entry.type === 'file' ? entry.size : 0;
    let left = contentBytes;
    await onEntry(entry, async (n) => {
      const chunk = await reader.read(Math.min(n, left));
      if (chunk.length < Math.min(n, left)) throw new TfgridError(FlistError.SOURCE, `tar archive is truncated inside ${entry.path}`);
      left -= chunk.length;
      return chunk;
    });
    // Skip what the callback left, then the padding to the next record.
    const rest = left + (Math.ceil(contentBytes / recordBytes) * recordBytes - contentBytes);
    for (let skipped = 0; skipped < rest;) {
      const chunk = await reader.read(Math.min(rest - skipped, 1 << 20));
      if (chunk.length === 0) throw new TfgridError(FlistError.SOURCE, `tar archive is truncated inside ${entry.path}`);
      skipped += chunk.length;
    }
  }
}

/** pax times are decimal seconds with up to 9 fraction digits: exact as nanoseconds. */
function paxTime(text: string): bigint {
  const match = /^(-?\d+)(?:\.(\d{1,9})\d*)?$/.exec(text);
  if (match === null) throw new TfgridError(FlistError.SOURCE, `pax mtime '${text.slice(0, 30)}' is not a number`);
  const seconds = BigInt(match[1]!);
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return seconds * 1_000_000_000n + (seconds < 0n ? -fraction : fraction);
}

function checkChecksum(header: Buffer): void {
  const stored = numeric(header, 148, 8);
  let sum = 0;
  for (let i = 0; i < recordBytes; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  if (sum !== stored) throw new TfgridError(FlistError.SOURCE, 'tar header checksum does not match: not a tar archive, or a damaged one');
}

/** Octal text, or GNU base-256 (high bit set) for values that do not fit. */
function numeric(header: Buffer, offset: number, length: number): number {
  if ((header[offset]! & 0x80) !== 0) {
    let value = 0;
    for (let i = 1; i < length; i++) value = value * 256 + header[offset + i]!;
    return value;
  }
  const text = cString(header, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TfgridError(FlistError.SOURCE, `tar header field '${text.slice(0, 12)}' is not octal`);
  return parseInt(text, 8);
}

function cString(bytes: Uint8Array, offset: number, length: number): string {
  const slice = bytes.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return Buffer.from(end === -1 ? slice : slice.subarray(0, end)).toString('utf8');
}

/** "<length> <key>=<value>\n" records; xattrs from SCHILY.xattr.* (raw) and LIBARCHIVE.xattr.* (base64). */
function parsePax(data: Buffer): { values: Map<string, string>; xattrs: Map<string, Buffer> } {
  const values = new Map<string, string>();
  const xattrs = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length) throw new TfgridError(FlistError.SOURCE, 'malformed pax extended header');
    const record = data.subarray(space + 1, at + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1) throw new TfgridError(FlistError.SOURCE, 'malformed pax record');
    const key = record.subarray(0, equals).toString('utf8');
    const raw = record.subarray(equals + 1);
    if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(raw));
    else if (key.startsWith('LIBARCHIVE.xattr.')) xattrs.set(decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(raw.toString('ascii'), 'base64'));
    else values.set(key, raw.toString('utf8'));
    at += length;
  }
  return { values, xattrs };
}
