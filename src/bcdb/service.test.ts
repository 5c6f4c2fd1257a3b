// BCDB served over the message bus: a real chain process (phonebook), a relay, the owner's 3Bot
// serving its database, and other twins reading and writing through BcdbRemote, checked
// against the ACLs as the authenticated calling twin.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, rejectionCode } from '../base/testing.ts';
import { Identity } from '../crypto/index.ts';
import { ChainClient } from '../chain/index.ts';
import { ChainPhonebook, connect, startRelay } from '../rmb/index.ts';
import { startGrid } from '../rmb/testing.ts';
import { ZdbClient } from '../zdb/index.ts';
import { startOurZdb, tempDir } from '../zdb/server/testing.ts';
import { Bcdb, BcdbRemote, serveBcdb } from './index.ts';

const ids = { relay: Identity.fromSeed('a9'.repeat(32)), owner: Identity.fromSeed('d1'.repeat(32)), friend: Identity.fromSeed('d2'.repeat(32)), stranger: Identity.fromSeed('d3'.repeat(32)) };
const port = await freePort();
const relayUrl = `ws://127.0.0.1:${port}`;
const grid = await startGrid([{ identity: ids.relay, relays: [] }, ...[ids.owner, ids.friend, ids.stranger].map((identity) => ({ identity, relays: [`127.0.0.1:${port}`] }))]);
const [relayTwin, ownerTwin, friendTwin, strangerTwin] = grid.twinIds as [number, number, number, number];
const phonebook = new ChainPhonebook(new ChainClient({ url: grid.url }));
const relay = await startRelay({ identity: ids.relay, twinId: relayTwin, phonebook, port });
const zdbServer = await startOurZdb();
const zdb = await ZdbClient.connect({ host: '127.0.0.1', port: zdbServer.port }, { timeoutMs: 10_000, reconnect: false });
const db = await Bcdb.open({ zdb, dir: tempDir('tfgrid-bcdb-svc-'), identity: ids.owner, twinId: ownerTwin });
const peer = (identity: Identity, twinId: number) => connect(identity, { twinId, relays: [relayUrl], chain: phonebook });
const ownerPeer = await peer(ids.owner, ownerTwin);
serveBcdb(ownerPeer, db, phonebook);
const friendPeer = await peer(ids.friend, friendTwin);
const strangerPeer = await peer(ids.stranger, strangerTwin);
const friend = new BcdbRemote(friendPeer, { db: ownerTwin });
const stranger = new BcdbRemote(strangerPeer, { db: ownerTwin });

after(async () => {
  for (const p of [ownerPeer, friendPeer, strangerPeer]) p.close();
  await db.close();
  zdb.destroy();
  await zdbServer.stop();
  await relay.close();
  phonebook.close();
  await grid.stop();
});

test('other twins read and write over the bus only as far as the ACLs let them', async () => {
  await db.createCollection('shared', { indexes: { topic: 'string' } });
  await db.set('shared', { topic: 'welcome', text: 'hi' }, { id: 'hello' });
  assert.equal(await rejectionCode(friend.get('shared', 'hello')), 'BCDB_DENIED');
  await db.grant('shared', undefined, friendTwin, ['read', 'write']);
  assert.deepEqual((await friend.get('shared', 'hello')).body, { topic: 'welcome', text: 'hi' });
  assert.equal((await friend.find('shared', { where: { topic: { prefix: 'wel' } } })).items.length, 1);
  assert.equal(await rejectionCode(stranger.get('shared', 'hello')), 'BCDB_DENIED');
  assert.equal((await stranger.find('shared')).items.length, 0);

  // The friend writes records it signs itself; the stranger cannot.
  const note = await friend.set('shared', { topic: 'note', text: 'from friend' }, { id: 'note' });
  assert.equal(note.author, friendTwin);
  assert.equal(await rejectionCode(stranger.set('shared', { topic: 'spam' }, { id: 'spam' })), 'BCDB_DENIED');
  // Optimistic concurrency over the bus: two writers from the same version, one wins.
  const base = await friend.get('shared', 'note');
  await friend.update('shared', 'note', { topic: 'note', text: 'edit 1' }, base);
  assert.equal(await rejectionCode(friend.update('shared', 'note', { topic: 'note', text: 'edit 2' }, base)), 'BCDB_CONFLICT');
  assert.deepEqual((await friend.history('shared', 'note')).items.map((v) => v.version), [2, 1]);

  // The friend owns 'note' and shares it with the stranger through an object ACL.
  await friend.grant('shared', 'note', strangerTwin, ['read']);
  assert.equal((await stranger.get('shared', 'note')).body !== null, true);
  assert.equal(await rejectionCode(stranger.get('shared', 'hello')), 'BCDB_DENIED');
  assert.equal(await rejectionCode(stranger.grant('shared', 'note', strangerTwin, ['write'])), 'BCDB_DENIED');
  await friend.revoke('shared', 'note', strangerTwin, ['read']);
  assert.equal(await rejectionCode(stranger.get('shared', 'note')), 'BCDB_DENIED');
});

test('verified reads: the version comes with proofs that check against the owner key alone', async () => {
  const first = await friend.getVerified('shared', 'hello', ids.owner.publicKey);
  await db.update('shared', 'hello', { topic: 'welcome', text: 'hi again' });
  const later = await friend.getVerified('shared', 'hello', ids.owner.publicKey, { since: first.head });
  assert.equal(later.version.version, 2);
  assert.deepEqual(later.version.body, { topic: 'welcome', text: 'hi again' });
  assert.ok(later.head.size > first.head.size);
  assert.equal(await rejectionCode(friend.getVerified('shared', 'hello', ids.stranger.publicKey)), 'BCDB_INVALID_PROOF');
});

test('a record authored as someone else, or malformed requests, are refused with codes', async () => {
  // The stranger signs a record naming the friend as author: the source twin gives it away.
  const { signObject } = await import('./index.ts');
  const forged = signObject(ids.stranger, friendTwin, { collection: 'shared', id: 'forged', version: 1, prev: null, deleted: false, tags: [], body: { topic: 'x' } });
  const send = (payload: { header: unknown; sig?: string; body?: unknown }) => strangerPeer.request(ownerTwin, 'bcdb.append', Buffer.from(JSON.stringify({ header: payload.header, sig: payload.sig, body: payload.body })), { timeoutMs: 5000 });
  const codeOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => null, (e: { details?: { code?: string } }) => e);
    return error?.details?.code ?? 'none';
  };
  assert.equal(await codeOf(send(forged)), 'BCDB_DENIED');
  // Authored as itself but with another key than its phonebook key.
  const wrongKey = signObject(ids.friend, strangerTwin, { collection: 'shared', id: 'forged', version: 1, prev: null, deleted: false, tags: [], body: { topic: 'x' } });
  assert.equal(await codeOf(send(wrongKey)), 'BCDB_BAD_SIGNATURE');
  assert.equal(await codeOf(send({ header: { kind: 'nonsense' } })), 'BCDB_INVALID');
  assert.equal(await codeOf(strangerPeer.request(ownerTwin, 'bcdb.get', Buffer.from('not json'), { timeoutMs: 5000 })), 'BCDB_INVALID');
});
