// BIP-39 mnemonics and the seed of a twin's keys.
// The 32-byte seed is Substrate's "mini secret" (substrate-bip39): PBKDF2-HMAC-SHA512 over the
// mnemonic's *entropy* with salt "mnemonic" + password, 2048 rounds, first 32 bytes. It is what
// tfchain, rmb-rs and polkadot.js derive an ed25519 key from, so a ThreeFold mnemonic gives the
// same Ed25519 account key here. (Plain BIP-39 seeds hash the words, not the entropy.)
import { pbkdf2Sync } from 'node:crypto';
import { generateMnemonic as scureGenerate, mnemonicToEntropy, validateMnemonic, entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { TfgridError } from '../base/index.ts';
import { CryptoError } from './errors.ts';

export const seedLengthBytes = 32;

/** A fresh 24-word English mnemonic (256 bits of entropy). */
export function generateMnemonic(): string {
  return scureGenerate(wordlist, 256);
}

/** Lower-cases and collapses whitespace so that pasted mnemonics compare equal. */
export function normalizeMnemonic(mnemonic: string): string {
  return mnemonic.trim().toLowerCase().split(/\s+/).join(' ');
}

export function isValidMnemonic(mnemonic: string): boolean {
  return validateMnemonic(normalizeMnemonic(mnemonic), wordlist);
}

export function entropyOfMnemonic(mnemonic: string): Uint8Array {
  const words = normalizeMnemonic(mnemonic);
  if (!validateMnemonic(words, wordlist)) {
    const count = words === '' ? 0 : words.split(' ').length;
    throw new TfgridError(CryptoError.INVALID_MNEMONIC, `not a valid BIP-39 English mnemonic (${count} words; a word is unknown or the checksum fails)`);
  }
  return mnemonicToEntropy(words, wordlist);
}

export function mnemonicOfEntropy(entropy: Uint8Array): string {
  return entropyToMnemonic(entropy, wordlist);
}

/** Substrate's 64-byte seed from entropy; its first 32 bytes are the Ed25519 seed. */
export function substrateSeed(entropy: Uint8Array, password = ''): Uint8Array {
  return new Uint8Array(pbkdf2Sync(entropy, `mnemonic${password.normalize('NFKD')}`, 2048, 64, 'sha512'));
}

/** The 32-byte seed that every key of a twin derives from. */
export function seedOfMnemonic(mnemonic: string, password = ''): Uint8Array {
  return substrateSeed(entropyOfMnemonic(mnemonic), password).slice(0, seedLengthBytes);
}
