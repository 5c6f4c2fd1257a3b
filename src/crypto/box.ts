// Encryption between twins: X25519 key agreement, HKDF-SHA256, ChaCha20-Poly1305.
//
// sealed box (v1) — anonymous sender, fresh ephemeral key per message:
//   0x01 | recipient key id (4) | ephemeral X25519 public (32) | nonce (12) | length (4) | ciphertext | tag (16)
//   key = HKDF(ikm = X25519(ephemeral, recipient), salt = ephemeral ‖ recipient, info = "tfgrid/seal/v1")
// box (v2) — both twins' static keys, so the sender is authenticated and the key can be cached:
//   0x02 | recipient key id (4) | sender key id (4) | nonce (12) | length (4) | ciphertext | tag (16)
//   key = HKDF(ikm = X25519(sender, recipient), salt = lower key ‖ higher key, info = "tfgrid/box/v1")
// A key id is the first 4 bytes of SHA-256 of the X25519 public key; it tells a wrong key from
// tampering; `length` (u32 big-endian, ciphertext bytes) tells truncation from tampering.
// The header is authenticated as associated data, followed by the caller's `aad`.
// Nonces are random: 96 bits keep collisions negligible below 2^32 messages per key pair.
import { createCipheriv, createDecipheriv, createSecretKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { TfgridError, assert } from '../base/index.ts';
import { CryptoError } from './errors.ts';
import { sha256 } from './hash.ts';
import { publicKeyObject, rawOfPublicKey, publicKeyLengthBytes } from './keys.ts';
import type { Identity } from './identity.ts';
import { randomBytesPooled } from './random.ts';

export const SealVersion = 0x01;
export const BoxVersion = 0x02;
const keyIdLengthBytes = 4;
const nonceLengthBytes = 12;
const tagLengthBytes = 16;
const lengthFieldBytes = 4;
const sealHeaderLengthBytes = 1 + keyIdLengthBytes + publicKeyLengthBytes + nonceLengthBytes + lengthFieldBytes;
const boxHeaderLengthBytes = 1 + 2 * keyIdLengthBytes + nonceLengthBytes + lengthFieldBytes;
/** Largest plaintext a frame can carry (the length field is 32 bits). */
export const plaintextLengthMax = 0xffff_ffff;
/** Bytes a sealed box / box adds to its plaintext. */
export const sealOverheadBytes = sealHeaderLengthBytes + tagLengthBytes;
export const boxOverheadBytes = boxHeaderLengthBytes + tagLengthBytes;

export function keyId(x25519Public: Uint8Array): Uint8Array {
  return sha256(x25519Public).subarray(0, keyIdLengthBytes);
}

/** Encrypts to a twin's X25519 public key; only that twin can open it. */
export function seal(recipientPublic: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  const recipient = publicKeyObject('X25519', recipientPublic);
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = rawOfPublicKey(ephemeral.publicKey);
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const key = deriveKey(shared, concat(ephemeralPublic, recipientPublic), 'tfgrid/seal/v1');
  const header = concat(new Uint8Array([SealVersion]), keyId(recipientPublic), ephemeralPublic, randomBytes(nonceLengthBytes), u32(plaintext.length));
  return encrypt(key, header, plaintext, aad);
}

/** Opens a sealed box addressed to `identity`. */
export function open(identity: Identity, sealed: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkFrame(sealed, SealVersion, sealHeaderLengthBytes);
  expectKeyId(sealed.subarray(1, 5), identity.encryptionPublicKey, 'sealed box is addressed to another key');
  const ephemeralPublic = sealed.subarray(5, 5 + publicKeyLengthBytes);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: identity.encryptionPrivateKey, publicKey: publicKeyObject('X25519', ephemeralPublic) });
  } catch (cause) {
    throw new TfgridError(CryptoError.TAMPERED, 'sealed box has an invalid ephemeral key', { cause });
  }
  const key = deriveKey(shared, concat(ephemeralPublic, identity.encryptionPublicKey), 'tfgrid/seal/v1');
  return decrypt(key, sealed, sealHeaderLengthBytes, aad);
}

/**
 * Encrypts from `sender` to `recipientPublic`, authenticating the sender. `nonce` exists for golden
 * test fixtures only (a byte-exact box in a README): a nonce must never repeat under one key pair,
 * so every other caller leaves it random.
 */
export function box(sender: Identity, recipientPublic: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0), nonce: Uint8Array = randomBytesPooled(nonceLengthBytes)): Uint8Array {
  assert(nonce.length === nonceLengthBytes, `a box nonce is ${nonceLengthBytes} bytes`);
  const pair = sharedKey(sender, recipientPublic);
  const header = concat(new Uint8Array([BoxVersion]), pair.peerId, pair.ownId, nonce, u32(plaintext.length));
  return encrypt(pair.key, header, plaintext, aad);
}

/** Opens a box that `senderPublic` made for `recipient`. */
export function unbox(recipient: Identity, senderPublic: Uint8Array, boxed: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkFrame(boxed, BoxVersion, boxHeaderLengthBytes);
  const pair = sharedKey(recipient, senderPublic);
  if (!Buffer.from(boxed.buffer, boxed.byteOffset + 1, keyIdLengthBytes).equals(pair.ownId)) throw new TfgridError(CryptoError.WRONG_KEY, 'box is addressed to another key');
  if (!Buffer.from(boxed.buffer, boxed.byteOffset + 5, keyIdLengthBytes).equals(pair.peerId)) throw new TfgridError(CryptoError.WRONG_KEY, 'box was made by another sender key');
  return decrypt(pair.key, boxed, boxHeaderLengthBytes, aad);
}

// Static-static keys are cached: a twin talks to the same peers again and again. The cache holds a
// KeyObject (a raw key makes createCipheriv build one per call: ~9 µs of its ~12 µs) and both key ids.
const sharedKeyCacheMax = 4096;
interface PairKey { readonly key: KeyObject; readonly ownId: Buffer; readonly peerId: Buffer }
const sharedKeyCache = new Map<string, PairKey>();

function sharedKey(own: Identity, peerPublic: Uint8Array): PairKey {
  const cacheKey = own.encryptionPublicKeyHex + Buffer.from(peerPublic.buffer, peerPublic.byteOffset, peerPublic.byteLength).toString('hex');
  const hit = sharedKeyCache.get(cacheKey);
  if (hit !== undefined) return hit;
  const shared = diffieHellman({ privateKey: own.encryptionPrivateKey, publicKey: publicKeyObject('X25519', peerPublic) });
  const [low, high] = Buffer.compare(own.encryptionPublicKey, peerPublic) <= 0 ? [own.encryptionPublicKey, peerPublic] : [peerPublic, own.encryptionPublicKey];
  const pair = { key: createSecretKey(deriveKey(shared, concat(low, high), 'tfgrid/box/v1')), ownId: Buffer.from(keyId(own.encryptionPublicKey)), peerId: Buffer.from(keyId(peerPublic)) };
  if (sharedKeyCache.size >= sharedKeyCacheMax) sharedKeyCache.delete(sharedKeyCache.keys().next().value as string);
  sharedKeyCache.set(cacheKey, pair);
  return pair;
}


function deriveKey(shared: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', shared, salt, info, 32));
}

function encrypt(key: Uint8Array | KeyObject, header: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = nonceOf(header);
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: tagLengthBytes });
  cipher.setAAD(concat(header, aad), { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  return concat(header, body, cipher.getAuthTag());
}

function decrypt(key: Uint8Array | KeyObject, frame: Uint8Array, headerLength: number, aad: Uint8Array): Uint8Array {
  const header = frame.subarray(0, headerLength);
  const nonce = nonceOf(header);
  const body = frame.subarray(headerLength, frame.length - tagLengthBytes);
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: tagLengthBytes });
  decipher.setAAD(concat(header, aad), { plaintextLength: body.length });
  decipher.setAuthTag(frame.subarray(frame.length - tagLengthBytes));
  const plaintext = decipher.update(body);
  try {
    decipher.final();
  } catch (cause) {
    throw new TfgridError(CryptoError.TAMPERED, 'authentication failed: the ciphertext, its header or the associated data was changed', { cause });
  }
  return new Uint8Array(plaintext);
}

function nonceOf(header: Uint8Array): Uint8Array {
  const end = header.length - lengthFieldBytes;
  return header.subarray(end - nonceLengthBytes, end);
}

function u32(value: number): Uint8Array {
  if (value > plaintextLengthMax) throw new TfgridError(CryptoError.NOT_CANONICAL, `plaintext of ${value} bytes exceeds ${plaintextLengthMax}`);
  const bytes = new Uint8Array(lengthFieldBytes);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

function checkFrame(frame: Uint8Array, version: number, headerLength: number): void {
  if (frame.length < 1) throw new TfgridError(CryptoError.TRUNCATED, 'empty ciphertext');
  if (frame[0] !== version) {
    throw new TfgridError(CryptoError.UNSUPPORTED_VERSION, `format version ${frame[0]} where ${version} was expected`);
  }
  if (frame.length < headerLength) {
    throw new TfgridError(CryptoError.TRUNCATED, `ciphertext has ${frame.length} bytes, less than its ${headerLength}-byte header`);
  }
  const bodyLength = new DataView(frame.buffer, frame.byteOffset + headerLength - lengthFieldBytes, lengthFieldBytes).getUint32(0);
  const expected = headerLength + bodyLength + tagLengthBytes;
  if (frame.length < expected) throw new TfgridError(CryptoError.TRUNCATED, `ciphertext has ${frame.length} bytes, its header announces ${expected}`);
  if (frame.length > expected) throw new TfgridError(CryptoError.TAMPERED, `ciphertext has ${frame.length - expected} bytes beyond the ${expected} its header announces`);
}

function expectKeyId(actual: Uint8Array, publicKey: Uint8Array, why: string): void {
  if (!Buffer.from(actual).equals(keyId(publicKey))) throw new TfgridError(CryptoError.WRONG_KEY, why);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
