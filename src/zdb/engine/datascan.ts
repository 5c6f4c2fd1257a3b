// Sequential walk over one data file, used at startup to find the last whole entry (torn-tail
// detection) and to replay entries the index does not cover yet. Reads in large windows so
// millions of small entries cost a few syscalls.
import fs from 'node:fs';
import { crc32c } from './crc32c.ts';
import { DATA_ENTRY_BYTES, DATA_HEADER_BYTES, FLAG_DELETED, KEY_BYTES_MAX, VALUE_BYTES_MAX, decodeDataEntryHeader, type DataEntryHeader } from './format.ts';

const WINDOW_BYTES = 16 * 1024 * 1024;

export interface DataEntry {
  offset: number;
  header: DataEntryHeader;
  key: Buffer;
  /** The entry's total size on disk (header + key + value). */
  sizeBytes: number;
  /** False when the value does not match the header CRC (tombstones are always true). */
  crcOk: boolean;
}

export interface DataWalkEnd {
  /** Offset just past the last structurally whole entry. */
  end: number;
  /** Why the walk stopped before the end of the file, or null at a clean end of file. */
  stop: string | null;
}

/**
 * Walks the entries of `path` from `from` (default: after the file header), calling `visit` for
 * each structurally whole entry. An entry is structurally whole when its header is plausible
 * (key 1..255 bytes, value ≤ 8 MiB, known flags) and its key and value fit in the file.
 */
export function walkDataFile(path: string, visit: (entry: DataEntry) => boolean | void, from = DATA_HEADER_BYTES): DataWalkEnd {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const window = new Window(fd);
    let offset = from;
    while (offset < size) {
      if (offset + DATA_ENTRY_BYTES > size) return { end: offset, stop: `partial entry header at ${offset}` };
      const headerBytes = window.bytes(offset, DATA_ENTRY_BYTES);
      const header = decodeDataEntryHeader(headerBytes, 0);
      const why = implausible(header);
      if (why) return { end: offset, stop: `${why} at ${offset}` };
      const sizeBytes = DATA_ENTRY_BYTES + header.idLength + header.length;
      if (offset + sizeBytes > size) return { end: offset, stop: `partial entry at ${offset} (${sizeBytes} bytes, ${size - offset} present)` };
      const whole = window.bytes(offset, sizeBytes);
      const key = Buffer.from(whole.subarray(DATA_ENTRY_BYTES, DATA_ENTRY_BYTES + header.idLength));
      const crcOk = header.flags & FLAG_DELETED ? true : crc32c(whole, DATA_ENTRY_BYTES + header.idLength, sizeBytes) === header.crc;
      if (visit({ offset, header, key, sizeBytes, crcOk }) === false) return { end: offset, stop: 'stopped by caller' };
      offset += sizeBytes;
    }
    return { end: offset, stop: null };
  } finally {
    fs.closeSync(fd);
  }
}

function implausible(header: DataEntryHeader): string | null {
  if (header.idLength === 0) return 'empty key';
  if (header.idLength > KEY_BYTES_MAX) return 'key too long';
  if (header.length > VALUE_BYTES_MAX) return 'value too long';
  if (header.flags > 3) return `unknown flags ${header.flags}`;
  if (header.flags & FLAG_DELETED && (header.length !== 0 || header.crc !== 0)) return 'tombstone with a value';
  return null;
}

/** A read-ahead window over a file: `bytes(offset, length)` returns a view valid until the next call. */
class Window {
  private readonly fd: number;
  private buffer = Buffer.allocUnsafe(WINDOW_BYTES);
  private start = 0;
  private length = 0;

  constructor(fd: number) {
    this.fd = fd;
  }

  bytes(offset: number, length: number): Buffer {
    if (offset < this.start || offset + length > this.start + this.length) {
      if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(length);
      this.start = offset;
      this.length = fs.readSync(this.fd, this.buffer, 0, this.buffer.length, offset);
    }
    return this.buffer.subarray(offset - this.start, offset - this.start + length);
  }
}
