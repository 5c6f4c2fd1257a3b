// Sequential walk over one data file, used at startup to find the last whole entry (torn-tail
// detection), to check the index against the data and to replay entries the index does not
// cover. Reads in large windows so millions of small entries cost a few syscalls, and hands the
// visitor one reused entry object, so a walk allocates next to nothing per entry.
import fs from 'node:fs';
import { crc32c } from './crc32c.ts';
import { DATA_ENTRY_BYTES, DATA_HEADER_BYTES, FLAG_DELETED, KEY_BYTES_MAX, VALUE_BYTES_MAX, type DataEntryHeader } from './format.ts';

const WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * One entry, as seen by a walk's visitor. The object, its `header` and its `key` (a view into
 * the read window) are only valid during the visit: copy what must outlive it.
 */
export interface DataEntry {
  readonly offset: number;
  readonly header: Readonly<DataEntryHeader>;
  readonly key: Buffer;
  /** The read window and where the entry starts in it, for readers that want no view at all. */
  readonly window: Buffer;
  readonly start: number;
  /** The entry's total size on disk (header + key + value). */
  readonly sizeBytes: number;
  /** Whether the value matches the header CRC (tombstones: true). Computed on demand. */
  crcOk(): boolean;
}

export interface DataWalkEnd {
  /** Offset just past the last structurally whole entry visited. */
  end: number;
  /** Why the walk stopped before `until`, or null when it got there. */
  stop: string | null;
  /** True when the visitor stopped the walk (then `end` is the offset of the entry it refused). */
  byCaller: boolean;
}

/**
 * Walks the entries of `path` from `from` (default: after the file header) up to `until`
 * (default: the end of the file), calling `visit` for each structurally whole entry. An entry
 * is structurally whole when its header is plausible (key 1..255 bytes, value ≤ 8 MiB, known
 * flags) and its key and value fit before `until`. `visit` returns false to stop the walk.
 */
export function walkDataFile(path: string, visit: (entry: DataEntry) => boolean | void, from = DATA_HEADER_BYTES, until = Infinity): DataWalkEnd {
  const fd = fs.openSync(path, 'r');
  try {
    const size = Math.min(fs.fstatSync(fd).size, until);
    const window = new Window(fd);
    const entry = new WalkEntry(window);
    let offset = from;
    while (offset < size) {
      if (offset + DATA_ENTRY_BYTES > size) return { end: offset, stop: `partial entry header at ${offset}`, byCaller: false };
      const header = entry.header;
      const at = window.load(offset, DATA_ENTRY_BYTES);
      readHeader(window.buffer, at, header);
      const why = implausible(header);
      if (why) return { end: offset, stop: `${why} at ${offset}`, byCaller: false };
      const sizeBytes = DATA_ENTRY_BYTES + header.idLength + header.length;
      if (offset + sizeBytes > size) return { end: offset, stop: `partial entry at ${offset} (${sizeBytes} bytes, ${size - offset} present)`, byCaller: false };
      entry.set(offset, window.load(offset, sizeBytes), sizeBytes);
      if (visit(entry) === false) return { end: offset, stop: 'stopped by caller', byCaller: true };
      offset += sizeBytes;
    }
    return { end: offset, stop: null, byCaller: false };
  } finally {
    fs.closeSync(fd);
  }
}

function readHeader(source: Buffer, at: number, header: DataEntryHeader): void {
  header.idLength = source[at]!;
  header.length = source.readUInt32LE(at + 1);
  header.previous = source.readUInt32LE(at + 5);
  header.crc = source.readUInt32LE(at + 9);
  header.flags = source[at + 13]!;
  header.timestamp = source.readUInt32LE(at + 14);
}

function implausible(header: DataEntryHeader): string | null {
  if (header.idLength === 0) return 'empty key';
  if (header.idLength > KEY_BYTES_MAX) return 'key too long';
  if (header.length > VALUE_BYTES_MAX) return 'value too long';
  if (header.flags > 3) return `unknown flags ${header.flags}`;
  if (header.flags & FLAG_DELETED && (header.length !== 0 || header.crc !== 0)) return 'tombstone with a value';
  return null;
}

/** The entry handed to visitors: one object per walk, refilled for each entry. */
class WalkEntry implements DataEntry {
  offset = 0;
  readonly header: DataEntryHeader = { idLength: 0, length: 0, previous: 0, crc: 0, flags: 0, timestamp: 0 };
  sizeBytes = 0;
  start = 0;
  private readonly reader: Window;

  constructor(reader: Window) {
    this.reader = reader;
  }

  set(offset: number, start: number, sizeBytes: number): void {
    this.offset = offset;
    this.start = start;
    this.sizeBytes = sizeBytes;
  }

  get window(): Buffer {
    return this.reader.buffer;
  }

  get key(): Buffer {
    const start = this.start + DATA_ENTRY_BYTES;
    return this.reader.buffer.subarray(start, start + this.header.idLength);
  }

  crcOk(): boolean {
    if (this.header.flags & FLAG_DELETED) return true;
    return crc32c(this.reader.buffer, this.start + DATA_ENTRY_BYTES + this.header.idLength, this.start + this.sizeBytes) === this.header.crc;
  }
}

/** A read-ahead window over a file: `load(offset, length)` makes the bytes available in `buffer` and returns where. */
class Window {
  buffer = Buffer.allocUnsafe(WINDOW_BYTES);
  private readonly fd: number;
  private start = 0;
  private length = 0;

  constructor(fd: number) {
    this.fd = fd;
  }

  load(offset: number, length: number): number {
    if (offset < this.start || offset + length > this.start + this.length) {
      if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(length);
      this.start = offset;
      this.length = fs.readSync(this.fd, this.buffer, 0, this.buffer.length, offset);
    }
    return offset - this.start;
  }
}
