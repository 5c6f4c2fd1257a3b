// A twin's identity: an Ed25519 key that signs and an X25519 key that receives encrypted data,
// both derived from one 32-byte seed (itself from a mnemonic). The secret never leaves this
// object except through `mnemonic`/`seedHex`, which callers print only when the user asks.
import { hkdfSync, type KeyObject } from 'node:crypto';
import { TfgridError } from '../base/index.ts';
import { CryptoError } from './errors.ts';
import { fromHex, toHex } from './hex.ts';
import { digestOf } from './hash.ts';
import { keyPairFromSeed, signEd25519, verifyEd25519, type KeyPair } from './keys.ts';
import { generateMnemonic, normalizeMnemonic, seedOfMnemonic, seedLengthBytes } from './mnemonic.ts';

// The X25519 secret is HKDF-SHA256(seed) with a fixed label, so one mnemonic restores both keys
// while knowing the encryption key reveals nothing about the signing key.
const x25519Info = 'tfgrid/x25519/v1';

export class Identity {
  readonly #seed: Uint8Array;
  readonly #mnemonic: string | undefined;
  readonly #signing: KeyPair;
  readonly #encryption: KeyPair;

  private constructor(seed: Uint8Array, mnemonic: string | undefined) {
    if (seed.length !== seedLengthBytes) throw new TfgridError(CryptoError.INVALID_KEY, `seed must be ${seedLengthBytes} bytes, got ${seed.length}`);
    this.#seed = seed.slice();
    this.#mnemonic = mnemonic;
    this.#signing = keyPairFromSeed('Ed25519', this.#seed);
    const xSeed = new Uint8Array(hkdfSync('sha256', this.#seed, new Uint8Array(0), x25519Info, 32));
    this.#encryption = keyPairFromSeed('X25519', xSeed);
  }

  static generate(): Identity {
    return Identity.fromMnemonic(generateMnemonic());
  }

  static fromMnemonic(mnemonic: string): Identity {
    const words = normalizeMnemonic(mnemonic);
    return new Identity(seedOfMnemonic(words), words);
  }

  static fromSeed(seed: Uint8Array | string): Identity {
    return new Identity(typeof seed === 'string' ? fromHex(seed, seedLengthBytes, 'seed') : seed, undefined);
  }

  /** Ed25519 public key, 32 raw bytes: the twin's account. */
  get publicKey(): Uint8Array {
    return this.#signing.publicKeyRaw;
  }

  get publicKeyHex(): string {
    return toHex(this.#signing.publicKeyRaw);
  }

  /** X25519 public key, 32 raw bytes: published in the phonebook so others can encrypt to this twin. */
  get encryptionPublicKey(): Uint8Array {
    return this.#encryption.publicKeyRaw;
  }

  get encryptionPublicKeyHex(): string {
    return toHex(this.#encryption.publicKeyRaw);
  }

  /** The mnemonic, when the identity came from one. A secret: show only on request. */
  get mnemonic(): string | undefined {
    return this.#mnemonic;
  }

  /** The 32-byte seed as hex. A secret: show only on request. */
  get seedHex(): string {
    return toHex(this.#seed);
  }

  /** For the box module's ECDH; not part of the public API. */
  get encryptionPrivateKey(): KeyObject {
    return this.#encryption.privateKey;
  }

  /** Ed25519 signature (64 bytes) of raw bytes. */
  sign(message: Uint8Array): Uint8Array {
    return signEd25519(this.#signing.privateKey, message);
  }

  /** Signs the domain-separated canonical digest of `value` (see `digestOf`). */
  signValue(domain: string, value: unknown): Uint8Array {
    return this.sign(digestOf(domain, value));
  }

  toJSON(): { publicKey: string; encryptionPublicKey: string } {
    return { publicKey: this.publicKeyHex, encryptionPublicKey: this.encryptionPublicKeyHex };
  }
}

/** Checks a `signValue` signature with the signer's raw Ed25519 public key. */
export function verifyValue(publicKey: Uint8Array, domain: string, value: unknown, signature: Uint8Array): boolean {
  return verifyEd25519(publicKey, digestOf(domain, value), signature);
}
