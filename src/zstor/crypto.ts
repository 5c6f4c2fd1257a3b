// The keys and hashes of Zero-Stor. BLAKE2b is the only BLAKE2b node:crypto has, BLAKE2b-512:
// shard checksums are its first 16 bytes (not BLAKE2b-128, which is a different function; see
// DESIGN.md's pitfalls), file checksums all 64.
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

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
