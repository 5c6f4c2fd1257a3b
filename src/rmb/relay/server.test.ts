// The relay's policies seen from peers, with a static phonebook (no chain) on loopback: failFast
// (RMB_UNREACHABLE at once), the per-twin queue maximum (RMB_QUEUE_FULL), the shape of a refusal
// (boxed from the relay's twin), the rate limit under a flood (only the flooder is refused), and
// which errors a peer takes from twins other than the destination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { isTfgridError } from '../../base/index.ts';
import { Identity } from '../../crypto/index.ts';
import { RmbError } from '../errors.ts';
import { decodeEnvelope, makeEnvelope, newUid, openAuthentic } from '../envelope.ts';
import { connect } from '../peer.ts';
import { StaticPhonebook } from '../phonebook.ts';
import { makeToken } from '../token.ts';
import { startRelay } from './server.ts';
import { rejectionCode as code, until } from '../../base/testing.ts';

const ids = [Identity.fromSeed('d1'.repeat(32)), Identity.fromSeed('d2'.repeat(32)), Identity.fromSeed('d3'.repeat(32)), Identity.fromSeed('d4'.repeat(32))];
const phonebook = new StaticPhonebook();
ids.forEach((identity, i) => phonebook.entries.set(i + 1, { id: i + 1, signingKey: identity.publicKey, encryptionKey: identity.encryptionPublicKey, relays: [] }));

test('failFast: a request to an offline twin fails at once with RMB_UNREACHABLE', async () => {
  const relay = await startRelay({ identity: ids[0]!, twinId: 1, phonebook, failFast: true });
  const alice = await connect(ids[1]!, { twinId: 2, relays: [relay.url], chain: phonebook });
  try {
    const started = Date.now();
    assert.equal(await code(alice.request(3, 'echo', Buffer.from('x'), { timeoutMs: 5_000 })), RmbError.UNREACHABLE);
    assert.ok(Date.now() - started < 1_000, 'refused, not timed out');
    assert.equal(relay.metrics().queued, 0);
  } finally {
    alice.close();
    await relay.close();
  }
});

test('queuedPerTwinMax: envelopes past the maximum for an offline twin get RMB_QUEUE_FULL', async () => {
  const relay = await startRelay({ identity: ids[0]!, twinId: 1, phonebook, queuedPerTwinMax: 2 });
  const alice = await connect(ids[1]!, { twinId: 2, relays: [relay.url], chain: phonebook });
  try {
    const requests = [1, 2, 3].map(() => code(alice.request(3, 'echo', Buffer.from('x'), { timeoutMs: 500 })));
    assert.deepEqual(await Promise.all(requests), [RmbError.TIMEOUT, RmbError.TIMEOUT, RmbError.QUEUE_FULL]);
    const metrics = relay.metrics();
    assert.equal(metrics.queued, 2);
    assert.equal(metrics.dropped, 1);
  } finally {
    alice.close();
    await relay.close();
  }
});

test('relay refusals are boxed from the relay\'s twin: the code is private and authenticated by the relay\'s phonebook key', async () => {
  // A raw WebSocket client as twin 2 sends an envelope for a twin the phonebook does not know and
  // reads the relay's answer byte for byte.
  const relay = await startRelay({ identity: ids[0]!, twinId: 1, phonebook });
  const now = Date.now();
  const socket = new WebSocket(`${relay.url}/?token=${makeToken(ids[1]!, { twin: 2, session: 's2', issuedAtMs: now, expiresAtMs: now + 60_000 })}`);
  try {
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const uid = newUid();
    const answered = new Promise<Buffer>((resolve) => socket.once('message', (data: Buffer) => resolve(data)));
    socket.send(makeEnvelope(ids[1]!, { uid, timestampMs: now, ttlMs: 10_000, source: { twin: 2, session: 's2' }, destination: { twin: 99, session: '' }, body: { type: 'request', command: 'echo' } }, Buffer.from('x'), ids[2]!.encryptionPublicKey));
    const frame = await answered;
    const refusal = decodeEnvelope(frame);
    assert.equal(refusal.auth, 'box');
    assert.deepEqual([refusal.source.twin, refusal.destination], [1, { twin: 2, session: 's2' }]);
    assert.equal(frame.indexOf(RmbError.UNKNOWN_TWIN), -1, 'the code is not in clear');
    const opened = openAuthentic(ids[1]!, ids[0]!.encryptionPublicKey, refusal);
    assert.ok(opened.body.type === 'error' && Buffer.from(opened.body.reference).equals(uid));
    assert.equal(opened.body.code, RmbError.UNKNOWN_TWIN);
    assert.throws(() => openAuthentic(ids[1]!, ids[3]!.encryptionPublicKey, refusal), (error: unknown) => isTfgridError(error, RmbError.NOT_AUTHENTIC));
  } finally {
    socket.terminate();
    await relay.close();
  }
});

test('rate limit under load: a flooding twin gets RMB_RATE_LIMITED, another twin talking to the same destination is served', async () => {
  // Twin 4 floods twin 3 with 300 junk responses (which twin 3 drops unanswered) at a limit of
  // 20/s, burst 20; twin 2 then asks twin 3 and must get its answer.
  const relay = await startRelay({ identity: ids[0]!, twinId: 1, phonebook, ratePerSec: 20, rateBurst: 20 });
  const floodErrors: string[] = [];
  const alice = await connect(ids[1]!, { twinId: 2, relays: [relay.url], chain: phonebook });
  const bob = await connect(ids[2]!, { twinId: 3, relays: [relay.url], chain: phonebook });
  const mallory = await connect(ids[3]!, { twinId: 4, relays: [relay.url], chain: phonebook, onError: (e) => floodErrors.push(e.code) });
  try {
    bob.handle('echo', (payload) => payload);
    for (let i = 0; i < 300; i++) {
      mallory.sendRaw(makeEnvelope(ids[3]!, { uid: newUid(), timestampMs: Date.now(), ttlMs: 10_000, source: mallory.address, destination: { twin: 3, session: '' }, body: { type: 'response', reference: newUid() } }, Buffer.from('junk'), ids[2]!.encryptionPublicKey));
    }
    assert.equal(Buffer.from(await alice.request(3, 'echo', Buffer.from('served'), { timeoutMs: 5_000 })).toString(), 'served');
    await until(() => floodErrors.length > 0);
    assert.ok(floodErrors.every((c) => c === RmbError.RATE_LIMITED), floodErrors.join());
    assert.ok(relay.metrics().dropped >= floodErrors.length);
  } finally {
    for (const peer of [alice, bob, mallory]) peer.close();
    await relay.close();
  }
});

test('an error about a request from a twin other than its destination: a bus code (RMB_*) is taken, an application code ignored', async () => {
  // Only relays on the path and the destination see a request's uid; here the destination leaks
  // it to a third twin, which answers in its name. The peer takes bus refusals from any
  // authenticated twin (relays are twins it cannot tell apart) but application errors only from
  // the destination.
  const relay = await startRelay({ identity: ids[0]!, twinId: 1, phonebook });
  const alice = await connect(ids[1]!, { twinId: 2, relays: [relay.url], chain: phonebook });
  const bob = await connect(ids[2]!, { twinId: 3, relays: [relay.url], chain: phonebook });
  const mallory = await connect(ids[3]!, { twinId: 4, relays: [relay.url], chain: phonebook });
  try {
    const leaked: Uint8Array[] = [];
    bob.handle('hang', (_payload, context) => {
      leaked.push(Buffer.from(context.uid, 'hex'));
      return new Promise<Uint8Array>(() => undefined);
    });
    const asked = code(alice.request(3, 'hang', Buffer.alloc(0), { timeoutMs: 5_000 }));
    await until(() => leaked.length === 1);
    const answer = (errorCode: string): Uint8Array => makeEnvelope(ids[3]!, { uid: newUid(), timestampMs: Date.now(), ttlMs: 10_000, source: mallory.address, destination: alice.address, body: { type: 'error', reference: leaked[0]!, code: errorCode, message: 'from mallory' } }, new Uint8Array(0), ids[1]!.encryptionPublicKey);
    mallory.sendRaw(answer('ZOS_FAKE'));
    mallory.sendRaw(answer(RmbError.UNREACHABLE));
    assert.equal(await asked, RmbError.UNREACHABLE);
  } finally {
    for (const peer of [alice, bob, mallory]) peer.close();
    await relay.close();
  }
});
