// Identities: deterministic derivation, signatures over canonical values, domain separation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity, verifyValue } from './identity.ts';
import { verifyEd25519 } from './keys.ts';
import { CryptoError } from './errors.ts';

const words = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

test('the same mnemonic or seed always gives the same keys; keys of one twin differ from another', () => {
  const a = Identity.fromMnemonic(words);
  const b = Identity.fromMnemonic(words.toUpperCase());
  const c = Identity.fromSeed(a.seedHex);
  assert.equal(a.publicKeyHex, b.publicKeyHex);
  assert.equal(a.publicKeyHex, c.publicKeyHex);
  assert.equal(a.encryptionPublicKeyHex, c.encryptionPublicKeyHex);
  assert.notEqual(a.publicKeyHex, a.encryptionPublicKeyHex);
  assert.equal(c.mnemonic, undefined);
  assert.notEqual(Identity.generate().publicKeyHex, a.publicKeyHex);
});

test('Substrate compatibility: the dev phrase gives the seed and ed25519 key that `subkey inspect --scheme ed25519` prints', () => {
  const id = Identity.fromMnemonic('bottom drive obey lake curtain smoke basket hold race lonely fit walk');
  assert.equal(id.seedHex, 'fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e');
  assert.equal(id.publicKeyHex, '345071da55e5dccefaaa440339415ef9f2663338a38f7da0df21be5ab4e055ef');
});

test('signValue/verifyValue round-trip; changed value, domain, key or signature fail', () => {
  const id = Identity.fromMnemonic(words);
  const other = Identity.generate();
  const value = { amount: 10n ** 20n, to: 'twin-7', memo: 'rent' };
  const signature = id.signValue('tfgrid/test/v1', value);
  assert.equal(verifyValue(id.publicKey, 'tfgrid/test/v1', { memo: 'rent', to: 'twin-7', amount: 10n ** 20n }, signature), true);
  assert.equal(verifyValue(id.publicKey, 'tfgrid/test/v1', { ...value, amount: 1n }, signature), false);
  assert.equal(verifyValue(id.publicKey, 'tfgrid/other/v1', value, signature), false);
  assert.equal(verifyValue(other.publicKey, 'tfgrid/test/v1', value, signature), false);
  const flipped = signature.slice();
  flipped[10]! ^= 0x80;
  assert.equal(verifyValue(id.publicKey, 'tfgrid/test/v1', value, flipped), false);
});

test('raw sign/verify round-trip', () => {
  const id = Identity.generate();
  const message = new TextEncoder().encode('hello grid');
  assert.equal(verifyEd25519(id.publicKey, message, id.sign(message)), true);
});

test('seeds of the wrong size or not hex are refused with coded errors', () => {
  assert.throws(() => Identity.fromSeed('abcd'), (e: unknown) => (e as { code?: string }).code === CryptoError.INVALID_HEX);
  assert.throws(() => Identity.fromSeed('zz'.repeat(32)), (e: unknown) => (e as { code?: string }).code === CryptoError.INVALID_HEX);
  assert.throws(() => Identity.fromSeed(new Uint8Array(31)), (e: unknown) => (e as { code?: string }).code === CryptoError.INVALID_KEY);
});

test('JSON of an identity holds public keys only', () => {
  const id = Identity.fromMnemonic(words);
  const json = JSON.stringify(id);
  assert.ok(!json.includes(id.seedHex));
  assert.ok(!json.includes('legal'));
  assert.deepEqual(Object.keys(JSON.parse(json) as object).sort(), ['encryptionPublicKey', 'publicKey']);
});
