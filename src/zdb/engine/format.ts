// The on-disk format of 0-db v2.0.7, byte for byte (little-endian, packed structs). Each codec
// writes into / reads from a caller's buffer so the hot path allocates nothing. Layouts are in
// src/zdb/README.md; the golden bytes in format.test.ts come from the real binary.
import { assert } from '../../base/index.ts';

/** Index file header: "IDX0", version 4, created 0, opened 0, fileid, mode. */
export const INDEX_MAGIC = 'IDX0';
export const INDEX_VERSION = 4;
export const INDEX_HEADER_BYTES = 29;
/** Data file header: "DAT0", version 3, created 0, opened 0, fileid. */
export const DATA_MAGIC = 'DAT0';
export const DATA_VERSION = 3;
export const DATA_HEADER_BYTES = 28;
/** Index item: idlength, offset, length, previous, flags, dataid, timestamp, crc, parentid, parentoff, id. */
export const INDEX_ITEM_BYTES = 34;
/** Data entry header: idlength, datalength, previous, integrity, flags, timestamp, then id and payload. */
export const DATA_ENTRY_BYTES = 18;
/** Namespace descriptor: version, namelength, passlength, maxsize, flags, then name and password. */
export const DESCRIPTOR_VERSION = 1;
export const DESCRIPTOR_BYTES = 15;
/** KEYCUR/SCAN cursor (index_bkey_t): idlength, fileid, length, idxoffset, crc. */
export const CURSOR_BYTES = 17;
/** HISTORY cursor (index_ekey_t): indexid, offset. */
export const HISTORY_CURSOR_BYTES = 8;
/** Sequential ids are 8-byte little-endian integers; a seq slot is 34 + 8 bytes. */
export const SEQ_KEY_BYTES = 8;
export const SEQ_SLOT_BYTES = INDEX_ITEM_BYTES + SEQ_KEY_BYTES;

export const KEY_BYTES_MAX = 255;
export const VALUE_BYTES_MAX = 8 * 1024 * 1024;

export const FLAG_DELETED = 1;
export const MODE_USER = 0;
export const MODE_SEQ = 1;
export const DescriptorFlags = { public: 1, worm: 2, extended: 4 } as const;

/** One index item as stored (the id bytes are kept apart). */
export interface IndexItem {
  idLength: number;
  dataOffset: number;
  length: number;
  previous: number;
  flags: number;
  dataId: number;
  timestamp: number;
  crc: number;
  parentId: number;
  parentOffset: number;
}

export interface DataEntryHeader {
  idLength: number;
  length: number;
  previous: number;
  crc: number;
  flags: number;
  timestamp: number;
}

export function encodeIndexHeader(target: Buffer, fileId: number, mode: number): number {
  target.write(INDEX_MAGIC, 0, 'latin1');
  target.writeUInt32LE(INDEX_VERSION, 4);
  target.fill(0, 8, 24); // created and opened: always 0 in v2 so replicas checksum equal
  target.writeUInt32LE(fileId, 24);
  target.writeUInt8(mode, 28);
  return INDEX_HEADER_BYTES;
}

export function encodeDataHeader(target: Buffer, fileId: number): number {
  target.write(DATA_MAGIC, 0, 'latin1');
  target.writeUInt32LE(DATA_VERSION, 4);
  target.fill(0, 8, 24);
  target.writeUInt32LE(fileId, 24);
  return DATA_HEADER_BYTES;
}

export type HeaderCheck = { ok: true; fileId: number; mode: number } | { ok: false; why: string };

export function decodeIndexHeader(source: Buffer): HeaderCheck {
  if (source.length < INDEX_HEADER_BYTES) return { ok: false, why: `short header (${source.length} bytes)` };
  if (source.toString('latin1', 0, 4) !== INDEX_MAGIC) return { ok: false, why: 'wrong magic' };
  const version = source.readUInt32LE(4);
  if (version !== INDEX_VERSION) return { ok: false, why: `unsupported index version ${version}` };
  return { ok: true, fileId: source.readUInt32LE(24), mode: source.readUInt8(28) };
}

export function decodeDataHeader(source: Buffer): HeaderCheck {
  if (source.length < DATA_HEADER_BYTES) return { ok: false, why: `short header (${source.length} bytes)` };
  if (source.toString('latin1', 0, 4) !== DATA_MAGIC) return { ok: false, why: 'wrong magic' };
  const version = source.readUInt32LE(4);
  if (version !== DATA_VERSION) return { ok: false, why: `unsupported data version ${version}` };
  return { ok: true, fileId: source.readUInt32LE(24), mode: 0 };
}

/** Writes item + id at `at`; returns the bytes written. */
export function encodeIndexItem(target: Buffer, at: number, item: IndexItem, id: Uint8Array): number {
  assert(id.length === item.idLength && id.length <= KEY_BYTES_MAX, 'index item id length matches');
  target.writeUInt8(item.idLength, at);
  target.writeUInt32LE(item.dataOffset, at + 1);
  target.writeUInt32LE(item.length, at + 5);
  target.writeUInt32LE(item.previous, at + 9);
  target.writeUInt8(item.flags, at + 13);
  target.writeUInt32LE(item.dataId, at + 14);
  target.writeUInt32LE(item.timestamp, at + 18);
  target.writeUInt32LE(item.crc, at + 22);
  target.writeUInt32LE(item.parentId, at + 26);
  target.writeUInt32LE(item.parentOffset, at + 30);
  target.set(id, at + INDEX_ITEM_BYTES);
  return INDEX_ITEM_BYTES + id.length;
}

/** Reads the fixed part of an item at `at` (caller checked that 34 bytes are there). */
export function decodeIndexItem(source: Buffer, at: number): IndexItem {
  return {
    idLength: source.readUInt8(at),
    dataOffset: source.readUInt32LE(at + 1),
    length: source.readUInt32LE(at + 5),
    previous: source.readUInt32LE(at + 9),
    flags: source.readUInt8(at + 13),
    dataId: source.readUInt32LE(at + 14),
    timestamp: source.readUInt32LE(at + 18),
    crc: source.readUInt32LE(at + 22),
    parentId: source.readUInt32LE(at + 26),
    parentOffset: source.readUInt32LE(at + 30),
  };
}

/** Writes the 18-byte entry header and the id at `at`; the payload follows separately. */
export function encodeDataEntryHeader(target: Buffer, at: number, header: DataEntryHeader, id: Uint8Array): number {
  assert(id.length === header.idLength, 'data entry id length matches');
  target.writeUInt8(header.idLength, at);
  target.writeUInt32LE(header.length, at + 1);
  target.writeUInt32LE(header.previous, at + 5);
  target.writeUInt32LE(header.crc, at + 9);
  target.writeUInt8(header.flags, at + 13);
  target.writeUInt32LE(header.timestamp, at + 14);
  target.set(id, at + DATA_ENTRY_BYTES);
  return DATA_ENTRY_BYTES + id.length;
}

export function decodeDataEntryHeader(source: Buffer, at: number): DataEntryHeader {
  return {
    idLength: source.readUInt8(at),
    length: source.readUInt32LE(at + 1),
    previous: source.readUInt32LE(at + 5),
    crc: source.readUInt32LE(at + 9),
    flags: source.readUInt8(at + 13),
    timestamp: source.readUInt32LE(at + 14),
  };
}

export interface Descriptor {
  maxsizeBytes: number;
  public: boolean;
  worm: boolean;
  password: string | null;
}

export function encodeDescriptor(name: string, descriptor: Descriptor): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const passwordBytes = Buffer.from(descriptor.password ?? '', 'utf8');
  assert(nameBytes.length <= 255 && passwordBytes.length <= 255, 'descriptor lengths fit a byte');
  const out = Buffer.alloc(DESCRIPTOR_BYTES + nameBytes.length + passwordBytes.length);
  out.writeUInt32LE(DESCRIPTOR_VERSION, 0);
  out.writeUInt8(nameBytes.length, 4);
  out.writeUInt8(passwordBytes.length, 5);
  out.writeBigUInt64LE(BigInt(descriptor.maxsizeBytes), 6);
  let flags = DescriptorFlags.extended;
  if (descriptor.public) flags |= DescriptorFlags.public;
  if (descriptor.worm) flags |= DescriptorFlags.worm;
  out.writeUInt8(flags, 14);
  nameBytes.copy(out, DESCRIPTOR_BYTES);
  passwordBytes.copy(out, DESCRIPTOR_BYTES + nameBytes.length);
  return out;
}

export type DescriptorCheck = { ok: true; descriptor: Descriptor } | { ok: false; why: string };

export function decodeDescriptor(source: Buffer): DescriptorCheck {
  if (source.length < DESCRIPTOR_BYTES) return { ok: false, why: `short descriptor (${source.length} bytes)` };
  const version = source.readUInt32LE(0);
  if (version !== DESCRIPTOR_VERSION) return { ok: false, why: `unsupported descriptor version ${version}` };
  const nameLength = source.readUInt8(4);
  const passwordLength = source.readUInt8(5);
  const passwordStart = DESCRIPTOR_BYTES + nameLength;
  if (source.length < passwordStart + passwordLength) return { ok: false, why: 'descriptor password truncated' };
  const maxsize = source.readBigUInt64LE(6);
  const flags = source.readUInt8(14);
  return {
    ok: true,
    descriptor: {
      maxsizeBytes: maxsize > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(maxsize),
      public: (flags & DescriptorFlags.public) !== 0,
      worm: (flags & DescriptorFlags.worm) !== 0,
      password: passwordLength === 0 ? null : source.toString('utf8', passwordStart, passwordStart + passwordLength),
    },
  };
}

export interface Cursor {
  idLength: number;
  fileId: number;
  length: number;
  indexOffset: number;
  crc: number;
}

export function encodeCursor(cursor: Cursor): Buffer {
  const out = Buffer.allocUnsafe(CURSOR_BYTES);
  out.writeUInt8(cursor.idLength, 0);
  out.writeUInt32LE(cursor.fileId, 1);
  out.writeUInt32LE(cursor.length, 5);
  out.writeUInt32LE(cursor.indexOffset, 9);
  out.writeUInt32LE(cursor.crc, 13);
  return out;
}

export function decodeCursor(source: Uint8Array): Cursor | null {
  if (source.length !== CURSOR_BYTES) return null;
  const view = Buffer.from(source.buffer, source.byteOffset, source.length);
  return { idLength: view.readUInt8(0), fileId: view.readUInt32LE(1), length: view.readUInt32LE(5), indexOffset: view.readUInt32LE(9), crc: view.readUInt32LE(13) };
}

export function encodeHistoryCursor(indexId: number, offset: number): Buffer {
  const out = Buffer.allocUnsafe(HISTORY_CURSOR_BYTES);
  out.writeUInt32LE(indexId, 0);
  out.writeUInt32LE(offset, 4);
  return out;
}

export function seqKey(id: number): Buffer {
  const out = Buffer.allocUnsafe(SEQ_KEY_BYTES);
  out.writeBigUInt64LE(BigInt(id), 0);
  return out;
}

/** The seq id of an 8-byte key, or -1 when the key is not one (or beyond 2^53). */
export function seqIdOf(key: Uint8Array): number {
  if (key.length !== SEQ_KEY_BYTES) return -1;
  const view = Buffer.from(key.buffer, key.byteOffset, key.length);
  const high = view.readUInt32LE(4);
  if (high > 0x1fffff) return -1;
  return high * 0x1_0000_0000 + view.readUInt32LE(0);
}
