// End to end over real sockets with a real `tfgrid chain` process as the phonebook: two relays
// (A and B, federated), twins alice and bob on A and carol on B, each a Peer over WebSocket.
// Covers request/response, handler errors, timeouts, retries, bad input (tampered ciphertext,
// forged source, box and (version 1) signature, replayed uid, expired, oversized, token for another twin),
// federation (and a federated relay killed: demoted, the destination's next relay used), offline
// queueing, a relay restart with peers reconnecting, and the phonebook cache following twin updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { TfgridError } from '../base/index.ts';
import { freePort, until } from '../base/testing.ts';
import { Identity } from '../crypto/index.ts';
import { ChainClient } from '../chain/index.ts';
import { RmbError } from './errors.ts';
import { envelopeBytesMax, makeEnvelope, newUid, type EnvelopeFields } from './envelope.ts';
import { ChainPhonebook } from './phonebook.ts';
import { connect, Peer } from './peer.ts';
import { startRelay, type Relay } from './relay/server.ts';
import { makeToken } from './token.ts';
import { startGrid, type Grid } from './testing.ts';
import { rejectionCode as code } from '../base/testing.ts';

const ids = { relayA: Identity.fromSeed('a1'.repeat(32)), relayB: Identity.fromSeed('b1'.repeat(32)), relayC: Identity.fromSeed('b2'.repeat(32)), dave: Identity.fromSeed('c5'.repeat(32)), alice: Identity.fromSeed('c1'.repeat(32)), bob: Identity.fromSeed('c2'.repeat(32)), carol: Identity.fromSeed('c3'.repeat(32)), mallory: Identity.fromSeed('c4'.repeat(32)) };
const portA = await freePort();
const portB = await freePort();
const portC = await freePort();
const nameA = `127.0.0.1:${portA}`;
const nameB = `127.0.0.1:${portB}`;
const nameC = `127.0.0.1:${portC}`;
const grid: Grid = await startGrid([
  { identity: ids.relayA, relays: [] }, { identity: ids.relayB, relays: [] },
  { identity: ids.alice, relays: [nameA] }, { identity: ids.bob, relays: [nameA] }, { identity: ids.carol, relays: [nameB] }, { identity: ids.mallory, relays: [nameA] },
  { identity: ids.relayC, relays: [] }, { identity: ids.dave, relays: [nameB, nameC] },
]);
const [relayATwin, relayBTwin, aliceTwin, bobTwin, carolTwin, malloryTwin, relayCTwin, daveTwin] = grid.twinIds as [number, number, number, number, number, number, number, number];
const chain = new ChainClient({ url: grid.url });
const phonebook = new ChainPhonebook(chain);
const relayErrors: Array<{ code: string; reference: string; from: number }> = [];
let relayA: Relay = await startRelay({ identity: ids.relayA, twinId: relayATwin, phonebook, port: portA });
const relayB: Relay = await startRelay({ identity: ids.relayB, twinId: relayBTwin, phonebook, port: portB });
const relayC: Relay = await startRelay({ identity: ids.relayC, twinId: relayCTwin, phonebook, port: portC });
const peerOptions = (twinId: number, port: number, session?: string) => ({ twinId, relays: [`ws://127.0.0.1:${port}`], chain: phonebook, session, onError: (e: { code: string; reference: string; from: number }) => relayErrors.push(e) });
const alice: Peer = await connect(ids.alice, peerOptions(aliceTwin, portA, 'alice1'));
let bob: Peer = await connect(ids.bob, peerOptions(bobTwin, portA, 'bob1'));
const carol: Peer = await connect(ids.carol, peerOptions(carolTwin, portB));
const dave: Peer = await connect(ids.dave, { ...peerOptions(daveTwin, portB), relays: [`ws://${nameB}`, `ws://${nameC}`] });
dave.handle('echo', (payload) => payload);
let bobCalls = 0;
function serveBob(peer: Peer): void {
  peer.handle('echo', (payload) => payload);
  peer.handle('count', () => Buffer.from(String(++bobCalls)));
  peer.handle('slow', async (payload) => {
    bobCalls++;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return payload;
  });
  peer.handle('fail', () => {
    throw new TfgridError('ZOS_NO_CAPACITY', 'node has no free SSD');
  });
  peer.handle('hang', () => new Promise<Uint8Array>(() => undefined));
}
serveBob(bob);
carol.handle('echo', (payload, context) => Buffer.concat([Buffer.from(`${context.source.twin}:`), payload]));

test.after(async () => {
  for (const peer of [alice, bob, carol, dave]) peer.close();
  phonebook.close();
  await relayA.close();
  await relayB.close();
  await relayC.close();
  await grid.stop();
});

function fields(overrides: Partial<Omit<EnvelopeFields, 'payload'>> = {}): Omit<EnvelopeFields, 'payload'> {
  return { uid: newUid(), timestampMs: Date.now(), ttlMs: 10_000, source: { twin: aliceTwin, session: 'alice1' }, destination: { twin: bobTwin, session: '' }, body: { type: 'request', command: 'count' }, ...overrides };
}

test('two twins on one relay: request/response, a handler that throws, unknown command, timeout', async () => {
  assert.equal(Buffer.from(await alice.request(bobTwin, 'echo', Buffer.from('hello'))).toString(), 'hello');
  const big = Buffer.alloc(1024 * 1024, 7);
  assert.ok(Buffer.from(await alice.request(bobTwin, 'echo', big)).equals(big));
  const failure = await alice.request(bobTwin, 'fail', Buffer.alloc(0)).then(() => assert.fail('no error'), (e: unknown) => e as TfgridError);
  assert.equal(failure.code, RmbError.REMOTE_ERROR);
  assert.deepEqual(failure.details, { code: 'ZOS_NO_CAPACITY', message: 'node has no free SSD' });
  assert.equal(await code(alice.request(bobTwin, 'nope', Buffer.alloc(0))), RmbError.UNKNOWN_COMMAND);
  assert.equal(await code(alice.request(bobTwin, 'hang', Buffer.alloc(0), { timeoutMs: 200 })), RmbError.TIMEOUT);
  assert.equal(await code(alice.request(999_999, 'echo', Buffer.alloc(0))), RmbError.UNKNOWN_TWIN);
});

test('a retry resends the same uid: the handler runs once and the answer arrives', async () => {
  const before = bobCalls;
  const answer = await alice.request(bobTwin, 'slow', Buffer.from('once'), { timeoutMs: 200, retries: 3 });
  assert.equal(Buffer.from(answer).toString(), 'once');
  assert.equal(bobCalls, before + 1);
});

test('bad input is refused with an error envelope to the sender; nothing reaches the handler', async () => {
  const before = bobCalls;
  const bob1 = (await phonebook.lookup(bobTwin))!;
  // tampered ciphertext: the box (the authenticator) no longer opens
  const tampered = Buffer.from(makeEnvelope(ids.alice, fields(), Buffer.from('x'), bob1.encryptionKey));
  tampered[tampered.length - 6] = tampered[tampered.length - 6]! ^ 1;
  // forged box: an envelope under alice's address boxed by mallory's key
  const forged = makeEnvelope(ids.mallory, fields(), Buffer.from('x'), bob1.encryptionKey);
  // forged signature (version 1): alice's envelope signed by mallory's key
  const forgedSig = makeEnvelope(ids.mallory, fields(), Buffer.from('x'), bob1.encryptionKey, 'sig');
  // forged source: claims to be bob, sent over alice's connection
  const spoofed = makeEnvelope(ids.bob, fields({ source: { twin: bobTwin, session: 'bob1' }, destination: { twin: aliceTwin, session: '' } }), Buffer.from('x'), bob1.encryptionKey);
  const expired = makeEnvelope(ids.alice, fields({ timestampMs: Date.now() - 20_000 }), Buffer.from('x'), bob1.encryptionKey);
  const unknown = makeEnvelope(ids.alice, fields({ destination: { twin: 888_888, session: '' } }), Buffer.from('x'), bob1.encryptionKey);
  relayErrors.length = 0;
  for (const frame of [tampered, forged, forgedSig, spoofed, expired, unknown]) alice.sendRaw(frame);
  await until(() => relayErrors.length === 6).catch((error: unknown) => assert.fail(`${String(error)}: ${JSON.stringify(relayErrors)}`));
  // The relay refuses what it can judge from addresses and the connection; authenticity is checked
  // only by the destination peer (bob), which answers with its own (boxed) error envelope.
  const by = (from: number): string[] => relayErrors.filter((e) => e.from === from).map((e) => e.code).sort();
  assert.deepEqual(by(relayATwin), [RmbError.EXPIRED, RmbError.FORGED_SOURCE, RmbError.UNKNOWN_TWIN].sort());
  assert.deepEqual(by(bobTwin), [RmbError.BAD_SIGNATURE, RmbError.NOT_AUTHENTIC, RmbError.NOT_AUTHENTIC]);
  // a version 1 (signed) request from alice is still served, answered in version 2
  assert.equal(bobCalls, before);
  alice.sendRaw(makeEnvelope(ids.alice, fields(), Buffer.from('x'), bob1.encryptionKey, 'sig'));
  await until(() => bobCalls === before + 1);
  // replayed uid: the same valid frame twice runs the handler once
  const valid = makeEnvelope(ids.alice, fields(), Buffer.from('x'), bob1.encryptionKey);
  alice.sendRaw(valid);
  alice.sendRaw(valid);
  await until(() => bobCalls === before + 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(bobCalls, before + 2);
  assert.ok(relayA.metrics().dropped >= 3);
});

test('an oversized frame closes the connection; the peer reconnects and works again', async () => {
  const token = makeToken(ids.mallory, { twin: malloryTwin, session: 'm1', issuedAtMs: Date.now(), expiresAtMs: Date.now() + 60_000 });
  const socket = new WebSocket(`ws://127.0.0.1:${portA}/?token=${token}`);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const closed = new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
  socket.send(Buffer.alloc(4 * 1024 * 1024 + 1));
  assert.equal(await closed, 1009);
  // and the sending peer refuses to make one
  assert.equal(await code(alice.request(bobTwin, 'echo', Buffer.alloc(envelopeBytesMax))), RmbError.TOO_LARGE);
  assert.equal(Buffer.from(await alice.request(bobTwin, 'echo', Buffer.from('still up'))).toString(), 'still up');
});

test('a token for another twin, an expired token and no token are refused with 401 RMB_UNAUTHORIZED', async () => {
  const now = Date.now();
  const refused = async (query: string): Promise<string> => {
    const socket = new WebSocket(`ws://127.0.0.1:${portA}/?${query}`);
    const [status, body] = await new Promise<[number, string]>((resolve, reject) => {
      socket.once('open', () => reject(new Error('accepted')));
      socket.once('unexpected-response', (_request, response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve([response.statusCode ?? 0, text]));
      });
    });
    socket.on('error', () => undefined);
    assert.equal(status, 401);
    return (JSON.parse(body) as { error: { code: string } }).error.code;
  };
  assert.equal(await refused(`token=${makeToken(ids.mallory, { twin: aliceTwin, session: 's', issuedAtMs: now, expiresAtMs: now + 60_000 })}`), RmbError.UNAUTHORIZED);
  assert.equal(await refused(`token=${makeToken(ids.alice, { twin: aliceTwin, session: 's', issuedAtMs: now - 120_000, expiresAtMs: now - 60_000 })}`), RmbError.UNAUTHORIZED);
  assert.equal(await refused(''), RmbError.UNAUTHORIZED);
  const health = (await (await fetch(`http://127.0.0.1:${portA}/health`)).json()) as { ok: boolean };
  assert.equal(health.ok, true);
  const metrics = (await (await fetch(`http://127.0.0.1:${portA}/metrics`)).json()) as { connectedTwins: number; messagesIn: number };
  assert.ok(metrics.connectedTwins >= 2 && metrics.messagesIn > 0);
});

test('two twins on two federated relays: alice on A asks carol on B', async () => {
  assert.equal(Buffer.from(await alice.request(carolTwin, 'echo', Buffer.from('hi'))).toString(), `${aliceTwin}:hi`);
  assert.ok(relayA.metrics().forwarded >= 1);
  const failure = await carol.request(bobTwin, 'fail', Buffer.alloc(0)).then(() => assert.fail('no error'), (e: unknown) => e as TfgridError);
  assert.equal(failure.code, RmbError.REMOTE_ERROR);
  // a forged box crosses both relays (neither authenticates) and is refused by carol herself
  const carolEntry = (await phonebook.lookup(carolTwin))!;
  const forged = makeEnvelope(ids.mallory, fields({ destination: { twin: carolTwin, session: '' }, body: { type: 'request', command: 'echo' } }), Buffer.from('x'), carolEntry.encryptionKey);
  relayErrors.length = 0;
  alice.sendRaw(forged);
  await until(() => relayErrors.length === 1);
  assert.deepEqual(relayErrors.map((e) => [e.code, e.from]), [[RmbError.NOT_AUTHENTIC, carolTwin]]);
});

test('queued for an offline twin until it reconnects; a relay restart: peers reconnect with fresh tokens and are served', async () => {
  bob.close();
  await until(() => relayA.metrics().connectedTwins === 1);
  const answer = alice.request(bobTwin, 'echo', Buffer.from('queued'), { timeoutMs: 8_000 });
  await until(() => relayA.metrics().queued === 1);
  bob = new Peer(ids.bob, peerOptions(bobTwin, portA, 'bob1')); // handlers before the queue drains
  serveBob(bob);
  assert.equal(Buffer.from(await answer).toString(), 'queued');

  await relayA.close();
  relayA = await startRelay({ identity: ids.relayA, twinId: relayATwin, phonebook, port: portA });
  await until(() => relayA.metrics().connectedTwins === 2, 'reconnected', 10_000); // both re-authenticated with fresh tokens
  assert.equal(Buffer.from(await alice.request(bobTwin, 'echo', Buffer.from('after restart'), { timeoutMs: 1_000, retries: 4 })).toString(), 'after restart');
});

test('a federated relay killed: it is demoted and the next relay in the destination twin\'s list carries the request', async () => {
  // dave lists relays B then C and is connected to B. B dies; dave moves to C by himself. A's next
  // forward fails once on B (B demoted: forwardFailures + 1) and goes to C; the request after that
  // goes to C first, with no new failure.
  assert.equal(Buffer.from(await alice.request(daveTwin, 'echo', Buffer.from('via B'))).toString(), 'via B');
  await relayB.close();
  await until(() => relayC.metrics().connectedTwins === 1, 'dave on relay C');
  const failures = relayA.metrics().forwardFailures;
  assert.equal(Buffer.from(await alice.request(daveTwin, 'echo', Buffer.from('via C'), { timeoutMs: 5_000 })).toString(), 'via C');
  assert.equal(relayA.metrics().forwardFailures, failures + 1, 'B failed once and was demoted');
  assert.equal(Buffer.from(await alice.request(daveTwin, 'echo', Buffer.from('C first'), { timeoutMs: 5_000 })).toString(), 'C first');
  assert.equal(relayA.metrics().forwardFailures, failures + 1, 'B was not tried first again');
});

test('the chain phonebook drops a cached entry when the twin is updated on the chain', async () => {
  // An hour-long cache, so only the TwinUpdated event can make the new relay list visible.
  const cached = new ChainPhonebook(chain, { cacheTtlMs: 3_600_000 });
  try {
    assert.deepEqual((await cached.lookup(malloryTwin))?.relays, [nameA]);
    await new ChainClient({ url: grid.url, identity: ids.mallory }).send('twin.update', { relays: [nameB] }, { wait: true, timeoutMs: 10_000 });
    await until(async () => (await cached.lookup(malloryTwin))?.relays[0] === nameB, 'the update seen through the cache');
  } finally {
    cached.close();
  }
});
