import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalBytes, digestOf, Identity, toHex, verifyValue } from '../crypto/index.ts';
import { prng, seedFromEnv } from '../base/testing.ts';
import { bodyDomain, bodyHash, checkRecord, decodeRecord, encodeRecord, recordDomain, signObject, type Json } from './record.ts';

const author = Identity.fromSeed('33'.repeat(32));

function randomJson(random: () => number, depth = 0): Json {
  const pick = Math.floor(random() * (depth > 2 ? 4 : 6));
  switch (pick) {
    case 0: return Math.floor(random() * 1e6) / (random() < 0.5 ? 1 : 7);
    case 1: return ['', 'a', 'é', '"quote"', 'line\nbreak', '\u0001', '😀', '\u2028'][Math.floor(random() * 8)]!;
    case 2: return random() < 0.5;
    case 3: return null;
    case 4: return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [['z', 'a', 'B', 'é', '10', '9'][(i + Math.floor(random() * 6)) % 6]!, randomJson(random, depth + 1)]));
  }
}

test('records are encoded once, by parts, into exactly the RFC 8785 form; signatures and body hashes match digestOf', () => {
  const seed = seedFromEnv();
  const random = prng(seed);
  for (let i = 0; i < 300; i++) {
    const body = { value: randomJson(random) };
    const signed = signObject(author, 5, { collection: 'c', id: `o${i}`, version: 1, prev: null, deleted: false, tags: ['b', 'a', 'b'], body });
    const record = { header: signed.header, sig: signed.sig, body };
    const bytes = encodeRecord(record, signed);
    assert.deepEqual(new Uint8Array(bytes), canonicalBytes(record), `seed ${seed}, case ${i}`);
    assert.deepEqual(encodeRecord(record), bytes);
    assert.equal(signed.header.bodyHash, toHex(digestOf(bodyDomain, { nonce: signed.header.nonce, body })));
    assert.equal(bodyHash(signed.header.nonce, body), signed.header.bodyHash);
    assert.ok(verifyValue(author.publicKey, recordDomain, signed.header, Buffer.from(signed.sig, 'hex')));
    const decoded = decodeRecord(bytes);
    checkRecord(decoded);
    assert.deepEqual(decoded.header.kind === 'object' ? decoded.header.tags : [], ['a', 'b']);
  }
});

test('decoding refuses what is not a record, with the code asked for', () => {
  const signed = signObject(author, 5, { collection: 'c', id: 'x', version: 1, prev: null, deleted: false, tags: [], body: { a: 1 } });
  const good = encodeRecord({ header: signed.header, sig: signed.sig, body: { a: 1 } });
  assert.throws(() => decodeRecord(Buffer.from('{')), { code: 'BCDB_TAMPERED' });
  assert.throws(() => decodeRecord(Buffer.from('{"header":{}}'), 'BCDB_INVALID'), { code: 'BCDB_INVALID' });
  assert.throws(() => decodeRecord(good.subarray(0, good.length - 1)), { code: 'BCDB_TAMPERED' });
  // Both or neither of body and sealed: refused.
  assert.throws(() => decodeRecord(encodeRecord({ header: signed.header, sig: signed.sig })), { code: 'BCDB_TAMPERED' });
  // A body that is not the signed one, or a header changed after signing.
  assert.throws(() => checkRecord(decodeRecord(encodeRecord({ header: signed.header, sig: signed.sig, body: { a: 2 } }))), { code: 'BCDB_TAMPERED' });
  assert.throws(() => checkRecord({ header: { ...signed.header, author: 6 }, sig: signed.sig }, 'BCDB_INVALID'), { code: 'BCDB_BAD_SIGNATURE' });
  // Fuzz: flipped bytes never crash the decoder, they are TAMPERED or decode to something that fails its checks.
  const random = prng(seedFromEnv());
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(good);
    const at = Math.floor(random() * bytes.length);
    bytes[at] = bytes[at]! ^ (1 + Math.floor(random() * 255));
    try {
      checkRecord(decodeRecord(bytes));
      assert.fail('a changed record passed its checks');
    } catch (error) {
      assert.match((error as { code?: string }).code ?? '', /^BCDB_(TAMPERED|BAD_SIGNATURE)$/);
    }
  }
});
