// Sealed boxes and boxes: round trips of many sizes, and every way a frame can be wrong
// (tampered byte anywhere, truncation, extension, wrong key, wrong sender, version, aad).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Identity } from './identity.ts';
import { seal, open, box, unbox, sealOverheadBytes, boxOverheadBytes } from './box.ts';
import { randomBytesPooled } from './random.ts';
import { CryptoError } from './errors.ts';

const alice = Identity.generate();
const bob = Identity.generate();
const eve = Identity.generate();
const hasCode = (code: string) => (error: unknown) => (error as { code?: string }).code === code;

test('seal/open round-trips empty, small and large messages', () => {
  for (const size of [0, 1, 31, 32, 1000, 65_536, 1 << 20]) {
    const plaintext = randomBytes(size);
    const sealed = seal(bob.encryptionPublicKey, plaintext);
    assert.equal(sealed.length, size + sealOverheadBytes);
    assert.deepEqual(Buffer.from(open(bob, sealed)), plaintext);
  }
});

test('two seals of the same message differ (fresh ephemeral key and nonce)', () => {
  const message = Buffer.from('same');
  assert.notDeepEqual(seal(bob.encryptionPublicKey, message), seal(bob.encryptionPublicKey, message));
});

test('box/unbox round-trips both ways with the static keys', () => {
  for (const size of [0, 5, 100_000]) {
    const plaintext = randomBytes(size);
    const boxed = box(alice, bob.encryptionPublicKey, plaintext);
    assert.equal(boxed.length, size + boxOverheadBytes);
    assert.deepEqual(Buffer.from(unbox(bob, alice.encryptionPublicKey, boxed)), plaintext);
    const reply = box(bob, alice.encryptionPublicKey, plaintext);
    assert.deepEqual(Buffer.from(unbox(alice, bob.encryptionPublicKey, reply)), plaintext);
  }
});

test('every flipped byte of a sealed box or box is detected', () => {
  const sealed = seal(bob.encryptionPublicKey, Buffer.from('attack at dawn'));
  for (let i = 0; i < sealed.length; i++) {
    const bad = sealed.slice();
    bad[i]! ^= 0x01;
    assert.throws(() => open(bob, bad), (e: unknown) => ['CRYPTO_TAMPERED', 'CRYPTO_WRONG_KEY', 'CRYPTO_UNSUPPORTED_VERSION', 'CRYPTO_TRUNCATED'].includes((e as { code: string }).code), `byte ${i}`);
  }
  const boxed = box(alice, bob.encryptionPublicKey, Buffer.from('attack at dawn'));
  for (let i = 0; i < boxed.length; i++) {
    const bad = boxed.slice();
    bad[i]! ^= 0x80;
    assert.throws(() => unbox(bob, alice.encryptionPublicKey, bad), `byte ${i}`);
  }
  // A flip in the ciphertext body itself is reported as tampering.
  const bad = sealed.slice();
  bad[sealed.length - 20]! ^= 0x01;
  assert.throws(() => open(bob, bad), hasCode(CryptoError.TAMPERED));
});

test('truncation and extension are reported as such', () => {
  const sealed = seal(bob.encryptionPublicKey, randomBytes(100));
  for (const length of [0, 1, 10, 52, 53, 100, sealed.length - 1]) {
    assert.throws(() => open(bob, sealed.subarray(0, length)), hasCode(CryptoError.TRUNCATED), `length ${length}`);
  }
  assert.throws(() => open(bob, Buffer.concat([sealed, Buffer.from([0])])), hasCode(CryptoError.TAMPERED));
});

test('the wrong recipient or the wrong sender key is reported as CRYPTO_WRONG_KEY', () => {
  assert.throws(() => open(eve, seal(bob.encryptionPublicKey, Buffer.from('x'))), hasCode(CryptoError.WRONG_KEY));
  const boxed = box(alice, bob.encryptionPublicKey, Buffer.from('x'));
  assert.throws(() => unbox(eve, alice.encryptionPublicKey, boxed), hasCode(CryptoError.WRONG_KEY));
  assert.throws(() => unbox(bob, eve.encryptionPublicKey, boxed), hasCode(CryptoError.WRONG_KEY));
});

test('unknown versions and mismatched associated data are refused', () => {
  const sealed = seal(bob.encryptionPublicKey, Buffer.from('x'), Buffer.from('envelope-1'));
  assert.deepEqual(Buffer.from(open(bob, sealed, Buffer.from('envelope-1'))), Buffer.from('x'));
  assert.throws(() => open(bob, sealed, Buffer.from('envelope-2')), hasCode(CryptoError.TAMPERED));
  const future = sealed.slice();
  future[0] = 9;
  assert.throws(() => open(bob, future), hasCode(CryptoError.UNSUPPORTED_VERSION));
  assert.throws(() => open(bob, box(alice, bob.encryptionPublicKey, Buffer.from('x'))), hasCode(CryptoError.UNSUPPORTED_VERSION));
});

test('fuzz: random frames never open and never crash with an uncoded error', () => {
  for (let i = 0; i < 2000; i++) {
    const frame = randomBytes(Math.floor(Math.random() * 120));
    if (frame.length > 0 && Math.random() < 0.5) frame[0] = 1;
    try {
      open(bob, frame);
      assert.fail('a random frame opened');
    } catch (error) {
      assert.match((error as { code?: string }).code ?? '', /^CRYPTO_/);
    }
  }
});

test('pooled random bytes never repeat across pool refills and serve requests larger than the pool', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(Buffer.from(randomBytesPooled(12)).toString('hex'));
  assert.equal(seen.size, 2000);
  assert.equal(randomBytesPooled(10_000).length, 10_000);
});
