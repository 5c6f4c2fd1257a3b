// The keys and hashes of Zero-Stor. BLAKE2b is the only BLAKE2b node:crypto has, BLAKE2b-512:
// file checksums are all 64 bytes of it, metadata shard checksums and keys its first 16 (not
// BLAKE2b-128, which is a different function; see DESIGN.md's pitfalls).
//
// Data shard checksums are named by the metadata version. Since version 3 they are GMAC tags:
// AES-256-GCM over the shard value as associated data, with a key of the file's own and the
// shard's place (segment, index) as nonce. The shards are 1.5× the file's bytes at 4+2; GMAC
// (carry-less multiply) runs at ~20 GiB/s here against ~1.9 GiB/s for SHA-256 (version 2) and
// ~1.3 for BLAKE2b-512 (version 1), which took a quarter and more of a store's CPU. Being keyed,
// it also stops a backend from forging a shard with a matching checksum. A nonce is never used
// for two different values: a file id is random per store, and a repaired shard is the same
// bytes again. Versions 1 and 2 are still read, scrubbed and repaired with their own checksums.
import { createCipheriv, createHash, createHmac, createSecretKey, hash, hkdfSync, randomBytes } from 'node:crypto';

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
export type ShardChecksumAlgorithm = 'blake2b' | 'sha256' | 'gmac';

/** The checksum (16 bytes) of the stored value of shard `index` of segment `segment`. */
export type ShardChecksum = (value: Uint8Array, segment: number, index: number) => Buffer;

/** The shard checksum of one file (`masterKey` and `fileId` key the GMAC). */
export function shardChecksumFor(algorithm: ShardChecksumAlgorithm, masterKey: Uint8Array, fileId: Uint8Array): ShardChecksum {
  if (algorithm === 'sha256') return (value) => hash('sha256', value, 'buffer').subarray(0, checksumBytes);
  if (algorithm === 'blake2b') return (value) => shortChecksum(value);
  const key = createSecretKey(Buffer.from(hkdfSync('sha256', masterKey, fileId, 'tfgrid-zstor-shard-mac-v1', 32)));
  return (value, segment, index) => {
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32LE(segment, 0);
    nonce.writeUInt32LE(index, 4);
    const gmac = createCipheriv('aes-256-gcm', key, nonce);
    gmac.setAAD(value);
    gmac.final();
    return gmac.getAuthTag();
  };
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
