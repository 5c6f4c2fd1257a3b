// The one hash of tfgrid: SHA-256. Chosen over BLAKE2b-256 because node:crypto has it natively
// (~1.4 GiB/s here) and has no BLAKE2b-256 (truncated BLAKE2b-512 is a different function).
import { createHash } from 'node:crypto';
import { canonicalBytes } from './canonical.ts';

export const hashLengthBytes = 32;

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

/**
 * The digest that tfgrid signs: SHA-256 over `domain`, a zero byte, then the RFC 8785
 * encoding of `value`. The domain (e.g. `tfgrid/chain/tx/v1`) keeps a signature made for one
 * purpose from being replayed as another.
 */
export function digestOf(domain: string, value: unknown): Uint8Array {
  return sha256(Buffer.from(domain, 'utf8'), new Uint8Array([0]), canonicalBytes(value));
}
