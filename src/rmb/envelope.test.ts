// The envelope codec: round trips of both authenticators (version 2: the box; version 1: the
// Ed25519 signature), the payload box bound to the header, forged and moved boxes refused as
// RMB_NOT_AUTHENTIC, every coded refusal, golden frame prefixes, the README's golden envelope
// (byte for byte, fixed keys and nonce), and a seeded fuzz (random and mutated frames) showing the
// decoder throws only coded errors. Replay a failure with SEED=<seed>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTfgridError } from '../base/index.ts';
import { join } from 'node:path';
import { goldenHex, prng, seedFromEnv } from '../base/testing.ts';
import { Identity, box } from '../crypto/index.ts';
import { RmbError } from './errors.ts';
import { checkFresh, decodeEnvelope, encodeHeader, envelopeBytesMax, frameEnvelope, makeEnvelope, openAuthentic, openPayload, signEnvelope, verifyEnvelope, type EnvelopeFields } from './envelope.ts';
import { makeToken, readToken, verifyToken } from './token.ts';

const alice = Identity.fromSeed('11'.repeat(32));
const bob = Identity.fromSeed('22'.repeat(32));
const mallory = Identity.fromSeed('33'.repeat(32));
const uid = Uint8Array.from({ length: 16 }, (_, i) => i);
const fields: Omit<EnvelopeFields, 'payload'> = { uid, timestampMs: 1_700_000_000_000, ttlMs: 30_000, source: { twin: 1, session: 's1' }, destination: { twin: 2, session: '' }, body: { type: 'request', command: 'zos.ping' } };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isTfgridError(error), `not a coded error: ${String(error)}`);
    return error.code;
  }
  return 'none';
}

test('version 2 (box): a request round-trips with no signature; the box authenticates it to the destination only', () => {
  const frame = makeEnvelope(alice, fields, Buffer.from('hello'), bob.encryptionPublicKey);
  const envelope = decodeEnvelope(frame);
  assert.equal(envelope.auth, 'box');
  assert.equal(frame.length, envelope.header.length + 4 + 41 + 5); // header, length, box of 5 bytes, nothing after
  assert.equal(envelope.signature.length, 0);
  assert.ok(!verifyEnvelope(envelope, alice.publicKey));
  assert.equal(Buffer.from(openAuthentic(bob, alice.encryptionPublicKey, envelope).payload).toString(), 'hello');
  assert.equal(code(() => openAuthentic(alice, bob.encryptionPublicKey, envelope)), RmbError.NOT_AUTHENTIC);
  assert.equal(code(() => openAuthentic(bob, mallory.encryptionPublicKey, envelope)), RmbError.NOT_AUTHENTIC);
});

test('version 2: a box made by another key under the source\'s address is RMB_NOT_AUTHENTIC (wrong sender key id)', () => {
  const forged = decodeEnvelope(makeEnvelope(mallory, fields, Buffer.from('pay 1 TFT'), bob.encryptionPublicKey));
  assert.equal(forged.source.twin, 1);
  try {
    openAuthentic(bob, alice.encryptionPublicKey, forged);
    assert.fail('opened');
  } catch (error) {
    assert.ok(isTfgridError(error) && error.code === RmbError.NOT_AUTHENTIC);
    assert.ok(isTfgridError(error.cause) && error.cause.code === 'CRYPTO_WRONG_KEY');
  }
  // and its key id rewritten to alice's: the tag does not verify (mallory cannot derive alice–bob's key)
  const bytes = Buffer.from(forged.bytes);
  bytes.set(decodeEnvelope(makeEnvelope(alice, fields, Buffer.from('x'), bob.encryptionPublicKey)).payload.subarray(5, 9), forged.header.length + 4 + 5);
  assert.equal(code(() => openAuthentic(bob, alice.encryptionPublicKey, decodeEnvelope(bytes))), RmbError.NOT_AUTHENTIC);
});

test('version 1 (sig): a request round-trips, verifies with the source key and opens only for the destination', () => {
  const frame = makeEnvelope(alice, fields, Buffer.from('hello'), bob.encryptionPublicKey, 'sig');
  const envelope = decodeEnvelope(frame);
  assert.deepEqual(envelope.body, { type: 'request', command: 'zos.ping' });
  assert.equal(envelope.source.twin, 1);
  assert.equal(envelope.destination.session, '');
  assert.ok(verifyEnvelope(envelope, alice.publicKey));
  assert.ok(!verifyEnvelope(envelope, bob.publicKey));
  assert.equal(Buffer.from(openPayload(bob, alice.encryptionPublicKey, envelope)).toString(), 'hello');
  assert.equal(code(() => openPayload(alice, bob.encryptionPublicKey, envelope)), RmbError.TAMPERED);
});

test('golden headers: version (2 box, 1 sig), kind, uid, timestamp, ttl, twins, sessions, command', () => {
  const tail = '000102030405060708090a0b0c0d0e0f' + '0000018bcfe56800' + '00007530' + '00000001' + '00000002' + '02' + '7331' + '00' + '08' + Buffer.from('zos.ping').toString('hex');
  assert.equal(Buffer.from(encodeHeader(fields)).toString('hex'), '0201' + tail);
  const error = { ...fields, body: { type: 'error', reference: uid, code: 'E', message: 'm' } } as const;
  assert.equal(Buffer.from(encodeHeader(error)).toString('hex'), '0203' + tail.slice(0, -18) + '000102030405060708090a0b0c0d0e0f'); // code and message are boxed
  assert.equal(Buffer.from(encodeHeader(error, 'sig')).toString('hex'), '0103' + tail.slice(0, -18) + '000102030405060708090a0b0c0d0e0f' + '01' + '45' + '0001' + '6d');
  const header = Buffer.from(encodeHeader(fields, 'sig')).toString('hex');
  assert.equal(header, '0101' + '000102030405060708090a0b0c0d0e0f' + '0000018bcfe56800' + '00007530' + '00000001' + '00000002' + '02' + '7331' + '00' + '08' + Buffer.from('zos.ping').toString('hex'));
});

test('golden envelope: the README\'s byte-level example is exactly what the code makes (fixed keys, fixed nonce)', () => {
  // The README block is parsed, not copied: changing the format without the README fails here.
  const readme = goldenHex(join(import.meta.dirname, 'README.md'), 'envelope');
  const header = encodeHeader(fields);
  const nonce = Buffer.from('a0a1a2a3a4a5a6a7a8a9aaab', 'hex');
  const golden = frameEnvelope(header, box(alice, bob.encryptionPublicKey, Buffer.from('hello'), header, nonce));
  assert.equal(Buffer.from(golden).toString('hex'), readme);
  assert.equal(Buffer.from(openAuthentic(bob, alice.encryptionPublicKey, decodeEnvelope(Buffer.from(readme, 'hex'))).payload).toString(), 'hello');
  // makeEnvelope is that same construction with a random nonce: rebuilt with its nonce, equal
  const made = makeEnvelope(alice, fields, Buffer.from('hello'), bob.encryptionPublicKey);
  const madeNonce = decodeEnvelope(made).payload.subarray(9, 21);
  assert.deepEqual(Buffer.from(made), Buffer.from(frameEnvelope(header, box(alice, bob.encryptionPublicKey, Buffer.from('hello'), header, madeNonce))));
});

test('version 2 errors: code and message travel in the box — private, authenticated, bounded', () => {
  const frame = makeEnvelope(bob, { ...fields, body: { type: 'error', reference: uid, code: 'X_FAILED', message: 'secret detail' } }, new Uint8Array(0), alice.encryptionPublicKey);
  assert.equal(Buffer.from(frame).indexOf('X_FAILED'), -1);
  assert.equal(Buffer.from(frame).indexOf('secret'), -1);
  const error = decodeEnvelope(frame);
  assert.equal(error.auth, 'box');
  assert.ok(error.body.type === 'error' && error.body.code === '' && error.body.message === '' && Buffer.from(error.body.reference).equals(uid));
  const opened = openAuthentic(alice, bob.encryptionPublicKey, error);
  assert.ok(opened.body.type === 'error' && Buffer.from(opened.body.reference).equals(uid));
  assert.deepEqual([opened.body.code, opened.body.message], ['X_FAILED', 'secret detail']);
  assert.equal(opened.payload.length, 0);
  assert.equal(code(() => openAuthentic(alice, mallory.encryptionPublicKey, error)), RmbError.NOT_AUTHENTIC);
  const long = openAuthentic(alice, bob.encryptionPublicKey, decodeEnvelope(makeEnvelope(bob, { ...fields, body: { type: 'error', reference: uid, code: 'E', message: 'é'.repeat(2000) } }, new Uint8Array(0), alice.encryptionPublicKey)));
  assert.ok(long.body.type === 'error' && Buffer.byteLength(long.body.message) <= 1024);
  // a boxed error whose text does not decode: authentic, but RMB_MALFORMED
  const bad = decodeEnvelope(frameEnvelope(error.header, box(bob, alice.encryptionPublicKey, Buffer.of(1, 0x61, 0, 0), error.header)));
  assert.equal(code(() => openAuthentic(alice, bob.encryptionPublicKey, bad)), RmbError.MALFORMED);
  assert.equal(code(() => makeEnvelope(bob, fields, new Uint8Array(0), undefined, 'box')), RmbError.INVALID_ARGUMENT);
});

test('version 2: a box moved onto another header (other uid) or a flipped byte is RMB_NOT_AUTHENTIC', () => {
  const first = decodeEnvelope(makeEnvelope(alice, fields, Buffer.from('pay 1 TFT'), bob.encryptionPublicKey));
  const moved = decodeEnvelope(frameEnvelope(encodeHeader({ ...fields, uid: new Uint8Array(16).fill(9) }), first.payload));
  assert.equal(code(() => openAuthentic(bob, alice.encryptionPublicKey, moved)), RmbError.NOT_AUTHENTIC);
  const flipped = Buffer.from(first.bytes);
  flipped[flipped.length - 20] = flipped[flipped.length - 20]! ^ 1;
  assert.equal(code(() => openAuthentic(bob, alice.encryptionPublicKey, decodeEnvelope(flipped))), RmbError.NOT_AUTHENTIC);
});

test('version 1: responses and errors carry the reference; error text is bounded', () => {
  const response = decodeEnvelope(makeEnvelope(bob, { ...fields, body: { type: 'response', reference: uid } }, Buffer.from('ok'), alice.encryptionPublicKey, 'sig'));
  assert.equal(response.body.type, 'response');
  const error = decodeEnvelope(makeEnvelope(bob, { ...fields, body: { type: 'error', reference: uid, code: 'X_FAILED', message: 'é'.repeat(2000) } }, new Uint8Array(0), undefined));
  assert.equal(error.body.type === 'error' && error.body.code, 'X_FAILED');
  assert.ok(error.body.type === 'error' && Buffer.byteLength(error.body.message) <= 1024);
});

test('version 1: a payload re-signed onto another envelope (other uid) does not open: the header is its aad', () => {
  const first = decodeEnvelope(makeEnvelope(alice, fields, Buffer.from('pay 1 TFT'), bob.encryptionPublicKey, 'sig'));
  const otherHeader = encodeHeader({ ...fields, uid: new Uint8Array(16).fill(9) }, 'sig');
  const swapped = decodeEnvelope(signEnvelope(alice, otherHeader, first.payload));
  assert.ok(verifyEnvelope(swapped, alice.publicKey));
  assert.equal(code(() => openPayload(bob, alice.encryptionPublicKey, swapped)), RmbError.TAMPERED);
});

test('version 1: a flipped ciphertext byte breaks the signature; re-signed, the box refuses it', () => {
  const frame = Buffer.from(makeEnvelope(alice, fields, Buffer.from('hello'), bob.encryptionPublicKey, 'sig'));
  frame[frame.length - 70] = frame[frame.length - 70]! ^ 1;
  const tampered = decodeEnvelope(frame);
  assert.ok(!verifyEnvelope(tampered, alice.publicKey));
  const resigned = decodeEnvelope(signEnvelope(alice, tampered.header, tampered.payload));
  assert.equal(code(() => openPayload(bob, alice.encryptionPublicKey, resigned)), RmbError.TAMPERED);
});

test('coded refusals: version, kind, truncation, trailing bytes, bounds, size, expiry', () => {
  const frame = Buffer.from(makeEnvelope(alice, fields, Buffer.from('x'), bob.encryptionPublicKey));
  assert.equal(code(() => decodeEnvelope(Buffer.concat([Buffer.of(3), frame.subarray(1)]))), RmbError.MALFORMED);
  assert.equal(code(() => decodeEnvelope(Buffer.concat([Buffer.of(2, 9), frame.subarray(2)]))), RmbError.MALFORMED);
  assert.equal(code(() => decodeEnvelope(frameEnvelope(encodeHeader(fields), new Uint8Array(40)))), RmbError.MALFORMED); // shorter than a box
  assert.equal(code(() => decodeEnvelope(makeEnvelope(alice, fields, new Uint8Array(0), undefined, 'sig'))), 'none'); // v1: no box needed
  assert.equal(code(() => decodeEnvelope(frame.subarray(0, frame.length - 1))), RmbError.MALFORMED);
  assert.equal(code(() => decodeEnvelope(Buffer.concat([frame, Buffer.of(0)]))), RmbError.MALFORMED);
  assert.equal(code(() => decodeEnvelope(new Uint8Array(envelopeBytesMax + 1))), RmbError.TOO_LARGE);
  assert.equal(code(() => makeEnvelope(alice, fields, new Uint8Array(envelopeBytesMax), bob.encryptionPublicKey)), RmbError.TOO_LARGE);
  assert.equal(code(() => encodeHeader({ ...fields, ttlMs: 0 })), RmbError.MALFORMED);
  assert.equal(code(() => encodeHeader({ ...fields, source: { twin: 0, session: '' } })), RmbError.MALFORMED);
  assert.equal(code(() => encodeHeader({ ...fields, body: { type: 'request', command: 'has space' } })), RmbError.MALFORMED);
  assert.equal(checkFresh(fields, fields.timestampMs + 30_000), undefined);
  assert.equal(checkFresh(fields, fields.timestampMs + 30_001)?.code, RmbError.EXPIRED);
  assert.equal(checkFresh(fields, fields.timestampMs - 61_000)?.code, RmbError.EXPIRED);
});

test('tokens: signed by the twin key, bounded lifetime, expiry', () => {
  const now = Date.now();
  const text = makeToken(alice, { twin: 1, session: 's1', issuedAtMs: now, expiresAtMs: now + 60_000 });
  const token = readToken(text, now);
  assert.equal(token.twin, 1);
  assert.ok(verifyToken(token, alice.publicKey));
  assert.ok(!verifyToken(token, bob.publicKey));
  assert.equal(code(() => readToken(text, now + 61_000)), RmbError.UNAUTHORIZED);
  assert.equal(code(() => readToken(makeToken(alice, { twin: 1, session: 's', issuedAtMs: now, expiresAtMs: now + 3_600_000 }), now)), RmbError.UNAUTHORIZED);
  assert.equal(code(() => readToken('AAAA', now)), RmbError.UNAUTHORIZED);
});

test('fuzz: random and mutated frames decode or fail with a coded error, never anything else', (t) => {
  const seed = seedFromEnv();
  t.diagnostic(`SEED=${seed}`);
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const bodies: EnvelopeFields['body'][] = [fields.body, { type: 'response', reference: uid }, { type: 'error', reference: uid, code: 'E', message: 'm' }];
  const frames = [
    ...bodies.map((body) => Buffer.from(makeEnvelope(alice, { ...fields, body }, Buffer.from('payload'), bob.encryptionPublicKey))),
    ...bodies.map((body) => Buffer.from(makeEnvelope(alice, { ...fields, body }, Buffer.from('payload'), body.type === 'error' ? undefined : bob.encryptionPublicKey, 'sig'))),
  ];
  // the decoder, and for version 2 opening the box (and a boxed error's text), fail only with these
  const allowed = new Set<string>([RmbError.MALFORMED, RmbError.TOO_LARGE, RmbError.NOT_AUTHENTIC]);
  try {
    for (let i = 0; i < 20_000; i++) {
      let input: Buffer;
      if (i % 4 === 0) input = Buffer.from(Array.from({ length: int(200) }, () => int(256)));
      else {
        input = Buffer.from(frames[int(frames.length)]!);
        for (let m = 1 + int(4); m > 0; m--) {
          const op = int(3);
          if (op === 0) input[int(input.length)] = int(256);
          else if (op === 1) input = input.subarray(0, int(input.length + 1));
          else input = Buffer.concat([input, Buffer.from([int(256)])]);
        }
      }
      try {
        const envelope = decodeEnvelope(input);
        if (envelope.auth === 'box') openAuthentic(bob, alice.encryptionPublicKey, envelope);
        else verifyEnvelope(envelope, alice.publicKey);
      } catch (error) {
        assert.ok(isTfgridError(error) && allowed.has(error.code), `iteration ${i}: ${String(error)}`);
      }
    }
  } catch (error) {
    t.diagnostic(`failed with SEED=${seed}`);
    throw error;
  }
});
