// src/crypto: how every tfgrid component names, signs, hashes and encrypts.
export { CryptoError, type CryptoErrorCode } from './errors.ts';
export { toHex, fromHex } from './hex.ts';
export { canonicalJson, canonicalBytes } from './canonical.ts';
export { sha256, digestOf, hashLengthBytes } from './hash.ts';
export { generateMnemonic, normalizeMnemonic, isValidMnemonic, entropyOfMnemonic, mnemonicOfEntropy, substrateSeed, seedOfMnemonic, seedLengthBytes } from './mnemonic.ts';
export { verifyEd25519, publicKeyLengthBytes, signatureLengthBytes } from './keys.ts';
export { Identity, verifyValue } from './identity.ts';
export { seal, open, box, unbox, keyId, sealOverheadBytes, boxOverheadBytes, SealVersion, BoxVersion } from './box.ts';
export { writeKeystore, readKeystore, readKeystorePublic, defaultScryptParams, type ScryptParams, type KeystorePublic, type KeystoreOptions } from './keystore.ts';
export { randomBytesPooled } from './random.ts';
export { SignPool } from './sign-pool.ts';
