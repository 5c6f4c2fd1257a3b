// Raw 32-byte keys ⇄ node:crypto KeyObjects. Public keys are imported as JWK and cached:
// DER import on every verify halves verify throughput (measured), and twins verify often.
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { TfgridError } from '../base/index.ts';
import { CryptoError } from './errors.ts';

export const publicKeyLengthBytes = 32;
export const signatureLengthBytes = 64;

// PKCS#8 DER headers for a raw 32-byte private key (RFC 8410).
const pkcs8Prefix = {
  Ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  X25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
} as const;
type Curve = keyof typeof pkcs8Prefix;

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyRaw: Uint8Array;
}

export function keyPairFromSeed(curve: Curve, seed: Uint8Array): KeyPair {
  if (seed.length !== 32) throw new TfgridError(CryptoError.INVALID_KEY, `${curve} seed must be 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([pkcs8Prefix[curve], seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const publicKeyRaw = rawOfPublicKey(publicKey);
  return { privateKey, publicKey, publicKeyRaw };
}

export function rawOfPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new TfgridError(CryptoError.INVALID_KEY, 'key has no public point');
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

const cacheEntriesMax = 10_000;
const publicKeyCache = { Ed25519: new Map<string, KeyObject>(), X25519: new Map<string, KeyObject>() };

/** A cached KeyObject for a raw public key; throws CRYPTO_INVALID_KEY for a malformed one. */
export function publicKeyObject(curve: Curve, raw: Uint8Array): KeyObject {
  if (raw.length !== publicKeyLengthBytes) {
    throw new TfgridError(CryptoError.INVALID_KEY, `${curve} public key must be ${publicKeyLengthBytes} bytes, got ${raw.length}`);
  }
  const x = Buffer.from(raw).toString('base64url');
  const cache = publicKeyCache[curve];
  const hit = cache.get(x);
  if (hit !== undefined) return hit;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: curve, x }, format: 'jwk' });
  } catch (cause) {
    throw new TfgridError(CryptoError.INVALID_KEY, `not a valid ${curve} public key`, { cause });
  }
  if (cache.size >= cacheEntriesMax) cache.delete(cache.keys().next().value as string); // oldest first
  cache.set(x, key);
  return key;
}

export function signEd25519(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKey));
}

/** True when `signature` is `publicKey`'s Ed25519 signature of `message`; false otherwise, never throws for bad input. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== signatureLengthBytes || publicKey.length !== publicKeyLengthBytes) return false;
  let key: KeyObject;
  try {
    key = publicKeyObject('Ed25519', publicKey);
  } catch {
    return false;
  }
  return nodeVerify(null, message, key, signature);
}
