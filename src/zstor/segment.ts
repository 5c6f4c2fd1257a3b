// One segment's way from plaintext to blob and back: optional zstd, then AES-256-GCM with a
// fresh random nonce and the file id and segment index as associated data (so a segment cannot
// be swapped with another file's or moved within its file). Pure apart from zstd's thread pool.
//   frame = flags (1 byte: bit 0 = zstd) ‖ bytes
//   blob  = nonce (12) ‖ AES-256-GCM(file key, nonce, frame, aad) ‖ tag (16)
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { constants, zstdCompress, zstdDecompress } from 'node:zlib';
import { TfgridError } from '../base/index.ts';
import { ZstorError } from './errors.ts';

const nonceBytes = 12;
const tagBytes = 16;
const flagZstd = 1;
/** Blob bytes beyond the plaintext when it is stored raw. */
export const segmentOverheadBytes = 1 + nonceBytes + tagBytes;

const compress = promisify(zstdCompress);
const decompress = promisify(zstdDecompress);

export interface SegmentContext {
  readonly key: Uint8Array;
  readonly fileId: Uint8Array;
  readonly segment: number;
}

function aad(context: SegmentContext): Buffer {
  const out = Buffer.alloc(4 + context.fileId.length + 4);
  out.write('zss1');
  out.set(context.fileId, 4);
  out.writeUInt32LE(context.segment, 4 + context.fileId.length);
  return out;
}

/** A sealed segment already cut into its data shards (see sealSegment). */
export interface SealedSegment {
  readonly blobBytes: number;
  /** dataShards buffers of `headroom` + shardBytes: free room, then the shard's slice of the blob (the last zero-padded). */
  readonly parts: Buffer[];
  readonly shardBytes: number;
}

/**
 * Seals the segment straight into its data shards (splitBlob's cut, with `headroom` bytes before
 * each for a shard header): the blob's length is known before encrypting (GCM adds no padding),
 * so the cipher's output is copied once, into place, instead of into a blob that is then cut and
 * copied again. Compressed only when it saves bytes: incompressible data stays raw and bounded.
 */
export async function sealSegment(plain: Uint8Array, context: SegmentContext, compression: { algorithm: 'zstd' | 'none'; level: number }, split: { dataShards: number; headroom: number; take?: (bytes: number) => Buffer }): Promise<SealedSegment> {
  let flags = 0;
  let body: Uint8Array = plain;
  if (compression.algorithm === 'zstd' && plain.length > 0) {
    const packed = await compress(plain, { params: { [constants.ZSTD_c_compressionLevel]: compression.level } });
    if (packed.length < plain.length) {
      body = packed;
      flags = flagZstd;
    }
  }
  const blobBytes = segmentOverheadBytes + body.length;
  const shardBytes = Math.max(1, Math.ceil(blobBytes / split.dataShards));
  const take = split.take ?? ((bytes: number) => Buffer.allocUnsafe(bytes));
  const parts = Array.from({ length: split.dataShards }, () => take(split.headroom + shardBytes));
  let part = 0;
  let at = split.headroom;
  const put = (bytes: Uint8Array) => {
    for (let from = 0; from < bytes.length;) {
      const count = Math.min(bytes.length - from, split.headroom + shardBytes - at);
      parts[part]!.set(from === 0 && count === bytes.length ? bytes : bytes.subarray(from, from + count), at);
      from += count;
      at += count;
      if (at === split.headroom + shardBytes) {
        part++;
        at = split.headroom;
      }
    }
  };
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', context.key, nonce).setAAD(aad(context));
  put(nonce);
  put(cipher.update(Uint8Array.of(flags)));
  put(cipher.update(body));
  put(cipher.final());
  put(cipher.getAuthTag());
  for (; part < parts.length; part++, at = split.headroom) parts[part]!.fill(0, at);
  return { blobBytes, parts, shardBytes };
}

/** The plaintext, or ZSTOR_CORRUPT when the blob does not authenticate or decompress to `plainBytes`. */
export async function openSegment(blob: Uint8Array, context: SegmentContext, plainBytes: number): Promise<Buffer> {
  if (blob.length < segmentOverheadBytes) throw new TfgridError(ZstorError.CORRUPT, `segment ${context.segment}: blob of ${blob.length} bytes is too short`);
  const decipher = createDecipheriv('aes-256-gcm', context.key, blob.subarray(0, nonceBytes)).setAAD(aad(context));
  decipher.setAuthTag(blob.subarray(blob.length - tagBytes));
  let frame: Buffer;
  try {
    frame = Buffer.concat([decipher.update(blob.subarray(nonceBytes, blob.length - tagBytes)), decipher.final()]);
  } catch (cause) {
    throw new TfgridError(ZstorError.CORRUPT, `segment ${context.segment} does not authenticate`, { cause });
  }
  const flags = frame[0]!;
  const body = frame.subarray(1);
  let plain: Buffer;
  if (flags === flagZstd) {
    try {
      plain = await decompress(body, { maxOutputLength: Math.max(1, plainBytes) });
    } catch (cause) {
      throw new TfgridError(ZstorError.CORRUPT, `segment ${context.segment} does not decompress`, { cause });
    }
  } else if (flags === 0) plain = body;
  else throw new TfgridError(ZstorError.CORRUPT, `segment ${context.segment} has unknown flags ${flags}`);
  if (plain.length !== plainBytes) throw new TfgridError(ZstorError.CORRUPT, `segment ${context.segment} holds ${plain.length} bytes, metadata says ${plainBytes}`);
  return plain;
}

/** The blob cut into dataShards equal shards (the last zero-padded), as 0-stor's encoder does. */
export function splitBlob(blob: Uint8Array, dataShards: number): Uint8Array[] {
  const shardBytes = Math.max(1, Math.ceil(blob.length / dataShards));
  return Array.from({ length: dataShards }, (_, i) => {
    const part = blob.subarray(i * shardBytes, (i + 1) * shardBytes);
    if (part.length === shardBytes) return part;
    const padded = new Uint8Array(shardBytes);
    padded.set(part);
    return padded;
  });
}

export function joinBlob(dataShards: readonly Uint8Array[], blobBytes: number): Buffer {
  return Buffer.concat(dataShards).subarray(0, blobBytes);
}
