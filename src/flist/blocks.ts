// Blocks: files are cut into 512 KiB pieces, each encrypted with a key derived from its own
// content (convergent encryption), so equal blocks anywhere — in one image or in two farmers'
// images — become equal ciphertexts with equal ids and are stored once. Pure: no I/O.
//
//   key = SHA-256(plain)                        (kept in the flist, never in a store)
//   payload = zstd(plain) when that is smaller, else plain          (`compressed` flag in the flist)
//   cipher = AES-256-GCM(key, nonce = 12 zero bytes, payload) ‖ 16-byte tag
//   id = SHA-256(cipher)                        (the store key)
//
// A fixed nonce is safe here because a key encrypts one plaintext only: the key is that
// plaintext's hash. Whoever knows a block's plaintext can find its id (the price of dedup, as in
// every convergent scheme); nobody else learns anything from a store.
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { zstdCompressSync, zstdDecompressSync, constants } from 'node:zlib';
import { TfgridError } from '../base/index.ts';
import { FlistError } from './errors.ts';

export const blockBytes = 512 * 1024;
export const blockIdBytes = 32;
const tagBytes = 16;
const zeroNonce = Buffer.alloc(12);
/** zstd level: a fixed one, so two packers of the same plaintext produce the same cipher. */
const zstdLevel = 3;

export interface SealedBlock {
  readonly id: Buffer;
  readonly key: Buffer;
  readonly compressed: boolean;
  readonly cipher: Buffer;
  /** Plain bytes. */
  readonly size: number;
}

export function sealBlock(plain: Uint8Array, options: { compress: boolean }): SealedBlock {
  const key = createHash('sha256').update(plain).digest();
  let payload: Uint8Array = plain;
  let compressed = false;
  if (options.compress) {
    const packed = zstdCompressSync(plain, { params: { [constants.ZSTD_c_compressionLevel]: zstdLevel } });
    if (packed.length < plain.length) {
      payload = packed;
      compressed = true;
    }
  }
  const cipher = createCipheriv('aes-256-gcm', key, zeroNonce);
  const sealed = Buffer.concat([cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
  return { id: createHash('sha256').update(sealed).digest(), key, compressed, cipher: sealed, size: plain.length };
}

/** True when `cipher` is the block named `id` (checked before a fetched block is trusted or cached). */
export function blockMatches(id: Uint8Array, cipher: Uint8Array): boolean {
  return createHash('sha256').update(cipher).digest().equals(id);
}

/**
 * The plain bytes of a block. The caller has checked the cipher against its id (blockMatches) or
 * read it from the local cache that only holds checked blocks: since a convergent key is known
 * to whoever knows the plaintext, the GCM tag alone would not prove the content — the id does.
 */
export function openBlock(cipher: Uint8Array, key: Uint8Array, compressed: boolean, idHex: string): Buffer {
  if (cipher.length < tagBytes) throw new TfgridError(FlistError.BLOCK_CORRUPT, `block ${idHex} is ${cipher.length} bytes: shorter than its tag`);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, zeroNonce);
    decipher.setAuthTag(cipher.subarray(cipher.length - tagBytes));
    const payload = Buffer.concat([decipher.update(cipher.subarray(0, cipher.length - tagBytes)), decipher.final()]);
    plain = compressed ? zstdDecompressSync(payload, { maxOutputLength: blockBytes }) : payload;
  } catch (error) {
    throw new TfgridError(FlistError.BLOCK_CORRUPT, `block ${idHex} does not open with its key`, { cause: error });
  }
  return plain;
}
