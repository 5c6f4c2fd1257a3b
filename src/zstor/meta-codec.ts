// The metadata of one stored file, byte by byte (little-endian; layout in README.md). Pure.
// Decoding bounds every count and length and refuses unknown versions with ZSTOR_META_INVALID.
import { TfgridError, assert } from '../base/index.ts';
import { ZstorError } from './errors.ts';
import { checksumBytes, fileChecksumBytes, fileIdBytes, keyCheckBytes, type ShardChecksumAlgorithm } from './crypto.ts';
import { seqIdBytes } from '../zdb/index.ts';

/** A backend id (`address/namespace`) is written after a one-byte length. */
export const backendIdBytesMax = 255;

/** Metadata versions differ only in the shard checksum; new files are written as 3 (GMAC). */
const versionOf: Record<ShardChecksumAlgorithm, number> = { blake2b: 1, sha256: 2, gmac: 3 };
const algorithmOf = new Map<number, ShardChecksumAlgorithm>([[1, 'blake2b'], [2, 'sha256'], [3, 'gmac']]);
const nameBytesMax = 4096;
const backendsMax = 65535;

export interface ShardRef {
  /** Backend id, `host:port/namespace`. */
  readonly backend: string;
  /** The 8-byte id 0-db gave the shard. */
  readonly key: Buffer;
  /** The file's shard checksum (16 bytes) of the stored value, header and payload (see crypto.ts). */
  readonly checksum: Buffer;
}

export interface SegmentMeta {
  readonly plainBytes: number;
  readonly blobBytes: number;
  /** dataShards + parityShards, in shard-index order. */
  readonly shards: readonly ShardRef[];
}

export interface FileMeta {
  readonly name: string;
  readonly fileId: Buffer;
  readonly sizeBytes: number;
  /** BLAKE2b-512 of the whole plaintext. */
  readonly checksum: Buffer;
  /** keyCheck(file key): tells a wrong master key from damaged data. */
  readonly keyCheck: Buffer;
  readonly dataShards: number;
  readonly parityShards: number;
  readonly segmentBytes: number;
  readonly compression: 'zstd' | 'none';
  readonly createdMs: number;
  readonly segments: readonly SegmentMeta[];
  /** Set by the metadata version: 'gmac' for files stored now (3), 'sha256' (2), 'blake2b' (1). */
  readonly shardChecksum: ShardChecksumAlgorithm;
}

export function encodeMeta(meta: FileMeta): Buffer {
  const backends = [...new Set(meta.segments.flatMap((s) => s.shards.map((r) => r.backend)))];
  const index = new Map(backends.map((b, i) => [b, i]));
  const name = Buffer.from(meta.name, 'utf8');
  const total = meta.dataShards + meta.parityShards;
  const parts: Buffer[] = [];
  const head = Buffer.alloc(1 + 2);
  head[0] = versionOf[meta.shardChecksum];
  head.writeUInt16LE(name.length, 1);
  const fixed = Buffer.alloc(fileIdBytes + 8 + fileChecksumBytes + keyCheckBytes + 1 + 1 + 4 + 1 + 8 + 2);
  fixed.set(meta.fileId, 0);
  let at = fileIdBytes;
  at = fixed.writeBigUInt64LE(BigInt(meta.sizeBytes), at);
  fixed.set(meta.checksum, at);
  at += fileChecksumBytes;
  fixed.set(meta.keyCheck, at);
  at += keyCheckBytes;
  at = fixed.writeUInt8(meta.dataShards, at);
  at = fixed.writeUInt8(meta.parityShards, at);
  at = fixed.writeUInt32LE(meta.segmentBytes, at);
  at = fixed.writeUInt8(meta.compression === 'zstd' ? 1 : 0, at);
  at = fixed.writeBigUInt64LE(BigInt(meta.createdMs), at);
  fixed.writeUInt16LE(backends.length, at);
  parts.push(head, name, fixed);
  for (const backend of backends) {
    const bytes = Buffer.from(backend, 'utf8');
    assert(bytes.length <= backendIdBytesMax, 'parseConfig bounds backend ids to their one-byte length');
    parts.push(Uint8Array.of(bytes.length) as Buffer, bytes);
  }
  const count = Buffer.alloc(4);
  count.writeUInt32LE(meta.segments.length);
  parts.push(count);
  const refBytes = 2 + seqIdBytes + checksumBytes;
  for (const segment of meta.segments) {
    if (segment.shards.length !== total) throw new Error('assertion failed: a segment lists every shard');
    const out = Buffer.alloc(8 + total * refBytes);
    out.writeUInt32LE(segment.plainBytes, 0);
    out.writeUInt32LE(segment.blobBytes, 4);
    segment.shards.forEach((ref, i) => {
      const base = 8 + i * refBytes;
      out.writeUInt16LE(index.get(ref.backend)!, base);
      out.set(ref.key, base + 2);
      out.set(ref.checksum, base + 2 + seqIdBytes);
    });
    parts.push(out);
  }
  return Buffer.concat(parts);
}

export function decodeMeta(bytes: Buffer): FileMeta {
  let at = 0;
  const fail = (why: string): never => {
    throw new TfgridError(ZstorError.META_INVALID, `metadata: ${why} (at byte ${at})`);
  };
  const take = (n: number): Buffer => {
    if (at + n > bytes.length) fail(`${n} bytes needed, ${bytes.length - at} left`);
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };
  const u8 = () => take(1)[0]!;
  const u16 = () => take(2).readUInt16LE();
  const u32 = () => take(4).readUInt32LE();
  const u64 = () => {
    const value = take(8).readBigUInt64LE();
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? fail('a 64-bit field exceeds 2^53') : Number(value);
  };
  const version = u8();
  const shardChecksum = algorithmOf.get(version) ?? fail(`unknown version ${version}`);
  const nameLength = u16();
  if (nameLength > nameBytesMax) fail(`name of ${nameLength} bytes`);
  const name = take(nameLength).toString('utf8');
  const fileId = Buffer.from(take(fileIdBytes));
  const sizeBytes = u64();
  const checksum = Buffer.from(take(fileChecksumBytes));
  const keyCheck = Buffer.from(take(keyCheckBytes));
  const dataShards = u8();
  const parityShards = u8();
  if (dataShards < 1 || parityShards < 1 || dataShards + parityShards > 256) fail(`bad shard counts ${dataShards}+${parityShards}`);
  const segmentBytes = u32();
  const compressionCode = u8();
  if (compressionCode > 1) fail(`unknown compression ${compressionCode}`);
  const createdMs = u64();
  const backendCount = u16();
  if (backendCount > backendsMax) fail('too many backends');
  const backends = Array.from({ length: backendCount }, () => take(u8()).toString('utf8'));
  const segmentCount = u32();
  const total = dataShards + parityShards;
  const refBytes = 2 + seqIdBytes + checksumBytes;
  if (segmentCount * (8 + total * refBytes) !== bytes.length - at) fail(`${segmentCount} segments do not fill the ${bytes.length - at} bytes left`);
  let plainTotal = 0;
  const segments = Array.from({ length: segmentCount }, (): SegmentMeta => {
    const plainBytes = u32();
    const blobBytes = u32();
    if (plainBytes > segmentBytes || plainBytes === 0) fail(`segment of ${plainBytes} bytes (segments hold 1..${segmentBytes})`);
    plainTotal += plainBytes;
    const shards = Array.from({ length: total }, () => {
      const backendIndex = u16();
      const backend = backends[backendIndex] ?? fail(`backend index ${backendIndex} of ${backendCount}`);
      return { backend, key: Buffer.from(take(seqIdBytes)), checksum: Buffer.from(take(checksumBytes)) };
    });
    return { plainBytes, blobBytes, shards };
  });
  if (plainTotal !== sizeBytes) fail(`segments hold ${plainTotal} bytes, size says ${sizeBytes}`);
  return { name, fileId, sizeBytes, checksum, keyCheck, dataShards, parityShards, segmentBytes, compression: compressionCode === 1 ? 'zstd' : 'none', createdMs, segments, shardChecksum };
}
