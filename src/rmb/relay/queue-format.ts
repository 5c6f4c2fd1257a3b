// Byte format of the relay's queue file (README "Queue file"): a 16-byte file header, then
// records `mark ‖ kind ‖ length ‖ CRC-32 ‖ body`, big-endian. A `put` record holds one queued
// envelope under a sequence number; a `done` record lists the sequence numbers delivered since.
// Pure: no I/O. Append-only rule: these layouts never change; a new layout is a new file version.
//
// Why a mark before every record: the file is a best-effort store of expiring envelopes, so a
// damaged record must cost that record, not everything after it. The scanner skips to the next
// mark whose record is whole and passes its CRC (a false mark inside an envelope would also need
// a matching CRC-32: ~2^-32).
import { crc32 } from 'node:zlib';
import { envelopeBytesMax } from '../envelope.ts';

export const queueFileMagic = 'TFRMBQUE';
export const queueFileVersion = 1;
export const queueFileHeaderBytes = 16;
export const recordMark = Uint8Array.of(0x9e, 0x51, 0xa0, 0x17);
/** mark (4) ‖ kind (1) ‖ body length (4) ‖ CRC-32 (4). */
export const recordHeaderBytes = 13;
const seqBytes = 8;
/** A put body is a sequence number and one envelope, the largest body of either kind. */
export const recordBodyBytesMax = seqBytes + envelopeBytesMax;
/** Sequence numbers per done record (512 KiB): more are split over several records. */
export const doneSeqsMax = 65_536;
export const RecordKind = { put: 1, done: 2 } as const;

export type QueueRecord =
  | { readonly kind: 'put'; readonly seq: number; readonly envelope: Uint8Array }
  | { readonly kind: 'done'; readonly seqs: readonly number[] };

export function encodeFileHeader(): Uint8Array {
  const bytes = Buffer.alloc(queueFileHeaderBytes);
  bytes.write(queueFileMagic, 0, 'latin1');
  bytes.writeUInt32BE(queueFileVersion, 8);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, 12)), 12);
  return bytes;
}

/** undefined when `bytes` starts with a good header of this version; else why not. */
export function checkFileHeader(bytes: Uint8Array): string | undefined {
  if (bytes.length < queueFileHeaderBytes) return 'file header is truncated';
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, queueFileHeaderBytes);
  if (header.toString('latin1', 0, 8) !== queueFileMagic) return 'not a relay queue file (bad magic)';
  if (header.readUInt32BE(12) !== crc32(header.subarray(0, 12))) return 'file header CRC mismatch';
  if (header.readUInt32BE(8) !== queueFileVersion) return `unsupported queue file version ${header.readUInt32BE(8)}`;
  return undefined;
}

export function encodePut(seq: number, envelope: Uint8Array): Uint8Array {
  const body = Buffer.allocUnsafe(seqBytes + envelope.length);
  writeSeq(body, seq, 0);
  body.set(envelope, seqBytes);
  return encodeRecord(RecordKind.put, body);
}

/** One done record per doneSeqsMax sequence numbers. */
export function encodeDone(seqs: readonly number[]): Uint8Array[] {
  const records: Uint8Array[] = [];
  for (let from = 0; from < seqs.length; from += doneSeqsMax) {
    const chunk = seqs.slice(from, from + doneSeqsMax);
    const body = Buffer.allocUnsafe(chunk.length * seqBytes);
    chunk.forEach((seq, i) => writeSeq(body, seq, i * seqBytes));
    records.push(encodeRecord(RecordKind.done, body));
  }
  return records;
}

function encodeRecord(kind: number, body: Uint8Array): Uint8Array {
  if (body.length > recordBodyBytesMax) throw new RangeError(`queue record body of ${body.length} bytes exceeds ${recordBodyBytesMax}`);
  const record = Buffer.allocUnsafe(recordHeaderBytes + body.length);
  record.set(recordMark, 0);
  record[4] = kind;
  record.writeUInt32BE(body.length, 5);
  record.writeUInt32BE(crc32(body, crc32(record.subarray(4, 9))), 9);
  record.set(body, recordHeaderBytes);
  return record;
}

function writeSeq(target: Buffer, seq: number, at: number): void {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`queue sequence number ${seq} out of range`);
  target.writeBigUInt64BE(BigInt(seq), at);
}

export interface Scan {
  /** Whole, CRC-checked records in file order. */
  readonly records: QueueRecord[];
  /** Byte ranges that held no whole record (damage, or a torn tail from a crash mid-append). */
  readonly skipped: Array<{ readonly offset: number; readonly bytes: number }>;
}

/** Every whole record of `bytes` from `start`; never throws on any input. */
export function scanRecords(bytes: Uint8Array, start: number): Scan {
  const records: QueueRecord[] = [];
  const skipped: Array<{ offset: number; bytes: number }> = [];
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = start;
  while (offset < buffer.length) {
    const decoded = decodeRecord(buffer, offset);
    if (decoded !== undefined) {
      records.push(decoded.record);
      offset += decoded.bytes;
      continue;
    }
    const next = buffer.indexOf(recordMark, offset + 1);
    const resume = next === -1 ? buffer.length : next;
    skipped.push({ offset, bytes: resume - offset });
    offset = resume;
  }
  return { records, skipped };
}

/** The record at `offset`, or undefined when there is no whole, valid record there. */
function decodeRecord(buffer: Buffer, offset: number): { record: QueueRecord; bytes: number } | undefined {
  if (buffer.length - offset < recordHeaderBytes || !buffer.subarray(offset, offset + 4).equals(recordMark)) return undefined;
  const kind = buffer[offset + 4];
  const length = buffer.readUInt32BE(offset + 5);
  if (length > recordBodyBytesMax || length > buffer.length - offset - recordHeaderBytes) return undefined;
  const body = buffer.subarray(offset + recordHeaderBytes, offset + recordHeaderBytes + length);
  if (buffer.readUInt32BE(offset + 9) !== crc32(body, crc32(buffer.subarray(offset + 4, offset + 9)))) return undefined;
  const seqs: number[] = [];
  for (let at = 0; at + seqBytes <= (kind === RecordKind.put ? seqBytes : length); at += seqBytes) {
    const seq = body.readBigUInt64BE(at);
    if (seq < 1n || seq > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    seqs.push(Number(seq));
  }
  const bytes = recordHeaderBytes + length;
  if (kind === RecordKind.put && length > seqBytes) return { record: { kind: 'put', seq: seqs[0]!, envelope: body.subarray(seqBytes) }, bytes };
  if (kind === RecordKind.done && length > 0 && length % seqBytes === 0 && seqs.length <= doneSeqsMax) return { record: { kind: 'done', seqs }, bytes };
  return undefined;
}
