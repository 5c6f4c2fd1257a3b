// The block log's byte format (README "Block log"): a 16-byte file header, then records of
// version ‖ length ‖ header CRC ‖ body CRC ‖ body (the block as UTF-8 JSON). Integers are
// big-endian; CRCs are 0-db's CRC-32C (src/zdb). Append only: a new layout is a new version.
import { zdbCrc32c } from '../../zdb/index.ts';
import type { Block } from '../core/seam.ts';

export const fileMagic = 'TFCHNLOG';
export const fileVersion = 1;
export const fileHeaderBytes = 16;
export const recordVersion = 1;
export const recordHeaderBytes = 13;
/** Bounds a decoded length: a block of txsPerBlockMax transactions of txBytesMax is far below. */
export const recordBodyBytesMax = 64 * 2 ** 20;

export function encodeFileHeader(): Uint8Array {
  const bytes = new Uint8Array(fileHeaderBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(Buffer.from(fileMagic, 'ascii'), 0);
  view.setUint32(8, fileVersion);
  view.setUint32(12, zdbCrc32c(bytes, 0, 12));
  return bytes;
}

/** undefined when good; else why the header is refused. */
export function checkFileHeader(bytes: Uint8Array): string | undefined {
  if (bytes.length < fileHeaderBytes) return 'file header is truncated';
  if (Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== fileMagic) return 'not a tfgrid chain log (bad magic)';
  const view = new DataView(bytes.buffer, bytes.byteOffset, fileHeaderBytes);
  if (view.getUint32(12) !== zdbCrc32c(bytes, 0, 12)) return 'file header CRC mismatch';
  if (view.getUint32(8) !== fileVersion) return `unsupported log version ${view.getUint32(8)}`;
  return undefined;
}

export function encodeRecord(block: Block): Uint8Array {
  const body = Buffer.from(JSON.stringify(block), 'utf8');
  if (body.length > recordBodyBytesMax) throw new RangeError(`block ${block.height} encodes to ${body.length} bytes, above recordBodyBytesMax`);
  const bytes = new Uint8Array(recordHeaderBytes + body.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = recordVersion;
  view.setUint32(1, body.length);
  view.setUint32(5, zdbCrc32c(bytes, 0, 5));
  view.setUint32(9, zdbCrc32c(body));
  bytes.set(body, recordHeaderBytes);
  return bytes;
}

export type Decoded =
  | { readonly kind: 'record'; readonly block: Block; readonly bytes: number }
  /** Fewer bytes than the record needs: a crash mid-append, or simply more to read. */
  | { readonly kind: 'short'; readonly bytesNeeded: number }
  | { readonly kind: 'corrupt'; readonly reason: string };

/** Decodes the record at `offset` of `bytes` without trusting anything before checking it. */
export function decodeRecord(bytes: Uint8Array, offset: number): Decoded {
  const available = bytes.length - offset;
  if (available < recordHeaderBytes) return { kind: 'short', bytesNeeded: recordHeaderBytes };
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, recordHeaderBytes);
  if (view.getUint32(5) !== zdbCrc32c(bytes, offset, offset + 5)) return { kind: 'corrupt', reason: 'record header CRC mismatch' };
  if (bytes[offset] !== recordVersion) return { kind: 'corrupt', reason: `unknown record version ${bytes[offset]}` };
  const length = view.getUint32(1);
  if (length === 0 || length > recordBodyBytesMax) return { kind: 'corrupt', reason: `record length ${length} out of bounds` };
  if (available < recordHeaderBytes + length) return { kind: 'short', bytesNeeded: recordHeaderBytes + length };
  const start = offset + recordHeaderBytes;
  if (view.getUint32(9) !== zdbCrc32c(bytes, start, start + length)) return { kind: 'corrupt', reason: 'record body CRC mismatch' };
  let block: Block;
  try {
    block = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('utf8')) as Block;
  } catch {
    return { kind: 'corrupt', reason: 'record body is not JSON' };
  }
  if (typeof block !== 'object' || block === null || !Number.isSafeInteger(block.height) || typeof block.hash !== 'string' || typeof block.previousHash !== 'string') {
    return { kind: 'corrupt', reason: 'record body is not a block' };
  }
  return { kind: 'record', block, bytes: recordHeaderBytes + length };
}
