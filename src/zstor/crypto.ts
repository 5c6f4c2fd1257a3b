// The keys and hashes of Zero-Stor. BLAKE2b is the only BLAKE2b node:crypto has, BLAKE2b-512:
// file checksums are all 64 bytes of it, metadata shard checksums and keys its first 16 (not
// BLAKE2b-128, which is a different function; see DESIGN.md's pitfalls). Data shard checksums
// are SHA-256's first 16 bytes since metadata version 2: the shards are 1.5× the file's bytes
// at 4+2, and SHA-256 (SHA-NI) hashes here ~1.5× as fast as BLAKE2b-512, which was a quarter of
// a store's CPU. Version 1 metadata (BLAKE2b shard checksums) is still read and repaired.
import { createHash, createHmac, hash, hkdfSync, randomBytes } from 'node:crypto';

export const checksumBytes = 16;
export const fileChecksumBytes = 64;
export const fileIdBytes = 16;
export const keyCheckBytes = 16;

/** BLAKE2b-512 of the parts, truncated to 16 bytes. */
export function shortChecksum(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('blake2b512');
  for (const part of parts) hash.update(part);
  return hash.digest().subarray(0, checksumBytes);
}

/** How a file's data shards are checksummed: named by its metadata version. */
export type ShardChecksumAlgorithm = 'blake2b' | 'sha256';

/** A data shard's checksum: the first 16 bytes of the algorithm's digest of the stored value. */
export function shardChecksum(algorithm: ShardChecksumAlgorithm, value: Uint8Array): Buffer {
  return algorithm === 'sha256' ? hash('sha256', value, 'buffer').subarray(0, checksumBytes) : shortChecksum(value);
}

export function newFileId(): Buffer {
  return randomBytes(fileIdBytes);
}

/** The per-file key: HKDF-SHA256 of the master key, salted with the file id. */
export function fileKey(masterKey: Uint8Array, fileId: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, fileId, 'tfgrid-zstor-file-key-v1', 32));
}

/** A value that shows a key is the right one without revealing it (HMAC, first 16 bytes). */
export function keyCheck(key: Uint8Array, domain: string): Buffer {
  return createHmac('sha256', key).update(domain).digest().subarray(0, keyCheckBytes);
}
