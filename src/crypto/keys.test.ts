// Ed25519 and X25519 against their RFC test vectors, through the same functions twins use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffieHellman } from 'node:crypto';
import { keyPairFromSeed, signEd25519, verifyEd25519, publicKeyObject } from './keys.ts';
import { CryptoError } from './errors.ts';

const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// RFC 8032 §7.1, tests 1–3 and SHA(abc).
const rfc8032 = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

test('RFC 8032 Ed25519 vectors: public key, signature, verification', () => {
  for (const vector of rfc8032) {
    const pair = keyPairFromSeed('Ed25519', hex(vector.secret));
    assert.equal(toHex(pair.publicKeyRaw), vector.public);
    const signature = signEd25519(pair.privateKey, hex(vector.message));
    assert.equal(toHex(signature), vector.signature);
    assert.equal(verifyEd25519(hex(vector.public), hex(vector.message), signature), true);
  }
});

test('verification fails for a flipped bit in message, signature or key, and for malformed input', () => {
  const vector = rfc8032[2]!;
  const message = hex(vector.message);
  const signature = hex(vector.signature);
  const publicKey = hex(vector.public);
  for (let bit = 0; bit < 8; bit++) {
    const m = message.slice();
    m[0]! ^= 1 << bit;
    assert.equal(verifyEd25519(publicKey, m, signature), false);
  }
  for (let i = 0; i < signature.length; i += 7) {
    const s = signature.slice();
    s[i]! ^= 0x01;
    assert.equal(verifyEd25519(publicKey, message, s), false, `signature byte ${i}`);
  }
  const otherKey = hex(rfc8032[0]!.public);
  assert.equal(verifyEd25519(otherKey, message, signature), false);
  assert.equal(verifyEd25519(publicKey, message, signature.subarray(0, 63)), false);
  assert.equal(verifyEd25519(publicKey.subarray(1), message, signature), false);
});

test('RFC 7748 §6.1 X25519 vector: both sides derive the same shared secret', () => {
  const alice = keyPairFromSeed('X25519', hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
  const bob = keyPairFromSeed('X25519', hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
  assert.equal(toHex(alice.publicKeyRaw), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  assert.equal(toHex(bob.publicKeyRaw), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const shared = diffieHellman({ privateKey: alice.privateKey, publicKey: publicKeyObject('X25519', bob.publicKeyRaw) });
  assert.equal(shared.toString('hex'), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
});

test('a public key of the wrong size is refused with CRYPTO_INVALID_KEY', () => {
  assert.throws(() => publicKeyObject('X25519', new Uint8Array(31)), (e: unknown) => (e as { code?: string }).code === CryptoError.INVALID_KEY);
  assert.throws(() => keyPairFromSeed('Ed25519', new Uint8Array(16)), (e: unknown) => (e as { code?: string }).code === CryptoError.INVALID_KEY);
});
