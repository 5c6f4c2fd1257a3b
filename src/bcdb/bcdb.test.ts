// BCDB against a real `tfgrid zdb` process: version chains, conflicts, queries and their
// rebuild, proofs, tampering in 0-db, ACLs, encryption at rest, the index lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Identity } from '../crypto/index.ts';
import { ZdbClient, numberToSeqId } from '../zdb/index.ts';
import { startOurZdb, tempDir, type ZdbProcess } from '../zdb/server/testing.ts';
import { prng, rejectionCode, seedFromEnv } from '../base/testing.ts';
import { Bcdb, decodeRecord, encodeRecord, signObject, verifyHeadConsistency, verifyRecordProof, type BcdbOptions, type Json } from './index.ts';

const owner = Identity.fromSeed('11'.repeat(32));
const other = Identity.fromSeed('22'.repeat(32));
let server: ZdbProcess;
const clients: ZdbClient[] = [];
let namespaces = 0;

before(async () => {
  server = await startOurZdb();
});

after(async () => {
  for (const client of clients) client.destroy();
  await server.stop();
});

async function client(): Promise<ZdbClient> {
  const zdb = await ZdbClient.connect({ host: '127.0.0.1', port: server.port }, { timeoutMs: 10_000, reconnect: false });
  clients.push(zdb);
  return zdb;
}

async function fresh(options: Partial<BcdbOptions> = {}): Promise<{ db: Bcdb; dir: string; namespace: string; reopen: () => Promise<Bcdb> }> {
  const namespace = `t${++namespaces}`;
  const dir = tempDir('tfgrid-bcdb-');
  const open = async (): Promise<Bcdb> => Bcdb.open({ zdb: await client(), namespace, dir, identity: owner, twinId: 1, ...options });
  return { db: await open(), dir, namespace, reopen: open };
}

const people = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } }, required: ['name'] };

test('a version chain: create, update, delete; every version readable, linked by hash', async () => {
  const { db } = await fresh();
  await db.createCollection('people', { schema: people, indexes: { name: 'string', age: 'number' } });
  const v1 = await db.set('people', { name: 'ada', age: 36 }, { id: 'ada', tags: ['math'] });
  const v2 = await db.update('people', 'ada', { name: 'ada', age: 37 }, { expected: 1 });
  const v3 = await db.update('people', 'ada', { name: 'ada lovelace', age: 37 }, { expected: v2.hash, tags: ['math', 'poetry'] });
  assert.deepEqual([v1.version, v2.version, v3.version], [1, 2, 3]);
  const latest = await db.get('people', 'ada');
  assert.deepEqual(latest.body, { name: 'ada lovelace', age: 37 });
  assert.deepEqual(latest.tags, ['math', 'poetry']);
  assert.deepEqual((await db.get('people', 'ada', { version: 1 })).body, { name: 'ada', age: 36 });
  // Tags are kept by an update that does not name them.
  await db.update('people', 'ada', { name: 'ada lovelace', age: 38 });
  assert.deepEqual((await db.get('people', 'ada')).tags, ['math', 'poetry']);
  const gone = await db.delete('people', 'ada');
  assert.equal(gone.deleted, true);
  assert.equal((await db.get('people', 'ada')).body, null);
  assert.equal(await rejectionCode(db.update('people', 'ada', { name: 'x' })), 'BCDB_DELETED');
  const history = db.history('people', 'ada');
  assert.deepEqual(history.items.map((v) => v.version), [5, 4, 3, 2, 1]);
  // Each stored version names the hash of the one before.
  for (const item of history.items) {
    const header = decodeRecord(await db.record(item.position)).header;
    assert.equal(header.prev, history.items.find((v) => v.version === item.version - 1)?.hash ?? null);
  }
  const page = db.history('people', 'ada', { limit: 2 });
  assert.deepEqual(page.items.map((v) => v.version), [5, 4]);
  assert.deepEqual(db.history('people', 'ada', { limit: 2, cursor: page.cursor! }).items.map((v) => v.version), [3, 2]);
  assert.equal((await db.find('people')).items.length, 0, 'deleted objects are not found');
  await db.close();
});

test('bad writes are typed errors and leave neither a version nor an index entry behind', async () => {
  const { db } = await fresh();
  await db.createCollection('people', { schema: people, indexes: { name: 'string' } });
  await db.set('people', { name: 'bob' }, { id: 'bob' });
  const size = db.size;
  assert.equal(await rejectionCode(db.set('nobody', { name: 'x' })), 'BCDB_UNKNOWN_COLLECTION');
  assert.equal(await rejectionCode(db.set('people', { age: 3 })), 'BCDB_SCHEMA_VIOLATION');
  assert.equal(await rejectionCode(db.set('people', { name: 'x', age: -1 })), 'BCDB_SCHEMA_VIOLATION');
  assert.equal(await rejectionCode(db.set('people', [1, 2] as Json)), 'BCDB_SCHEMA_VIOLATION');
  assert.equal(await rejectionCode(db.set('people', { name: 'bob' }, { id: 'bob' })), 'BCDB_EXISTS');
  assert.equal(await rejectionCode(db.set('people', { name: 'x' }, { id: 'no spaces' })), 'BCDB_INVALID');
  assert.equal(await rejectionCode(db.update('people', 'bob', { name: 'b' }, { expected: 7 })), 'BCDB_CONFLICT');
  assert.equal(await rejectionCode(db.update('people', 'zed', { name: 'z' })), 'BCDB_NOT_FOUND');
  assert.equal(await rejectionCode(db.createCollection('people')), 'BCDB_COLLECTION_EXISTS');
  assert.equal(await rejectionCode(db.createCollection('Bad Name')), 'BCDB_INVALID');
  assert.equal(await rejectionCode(db.find('people', { where: { age: { gt: 1 } } })), 'BCDB_INVALID');
  assert.equal(await rejectionCode(db.find('people', { where: { name: { gt: 1 } } })), 'BCDB_INVALID');
  assert.equal(await rejectionCode(db.find('people', { cursor: 'garbage' })), 'BCDB_INVALID');
  assert.equal(await rejectionCode(db.set('people', { name: 'x'.repeat(2 * 1024 * 1024) })), 'BCDB_INVALID');
  assert.equal(db.size, size, 'nothing reached the log');
  assert.deepEqual((await db.find('people')).items.map((o) => o.id), ['bob']);
  assert.deepEqual((await db.verify()).problems, []);
  await db.close();
});

test('concurrent updates of one version: exactly one wins, the others get CONFLICT', async () => {
  const { db } = await fresh();
  await db.createCollection('counters');
  const v1 = await db.set('counters', { n: 0 }, { id: 'c' });
  const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => db.update('counters', 'c', { n: i + 1 }, { expected: v1.hash })));
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.equal(won.length, 1);
  for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'BCDB_CONFLICT');
  // Without `expected`, pipelined updates chain one after another.
  await Promise.all(Array.from({ length: 20 }, (_, i) => db.update('counters', 'c', { n: 100 + i })));
  const latest = await db.get('counters', 'c');
  assert.equal(latest.version, 22);
  assert.deepEqual(latest.body, { n: 119 });
  await db.close();
});

test('find by tags, equality, prefix and range pages through exactly the model answer; a rebuilt index answers the same', async () => {
  const seed = seedFromEnv();
  const random = prng(seed);
  const { db, dir, reopen } = await fresh();
  await db.createCollection('items', { indexes: { name: 'string', price: 'number', 'meta.kind': 'string' } });
  const model = new Map<string, { name: string; price: number; kind: string; tags: string[] }>();
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 300; i++) {
    const doc = { name: `n${Math.floor(random() * 50).toString().padStart(2, '0')}`, price: Math.floor(random() * 1000) / 10, kind: ['a', 'b', 'c'][i % 3]! };
    const tags = ['red', 'green', 'blue'].filter(() => random() < 0.4);
    const id = `item-${i.toString().padStart(3, '0')}`;
    model.set(id, { ...doc, tags });
    writes.push(db.set('items', { name: doc.name, price: doc.price, meta: { kind: doc.kind } }, { id, tags }));
  }
  await Promise.all(writes);
  for (let i = 0; i < 300; i += 7) {
    const id = `item-${i.toString().padStart(3, '0')}`;
    if (i % 2 === 0) {
      await db.delete('items', id);
      model.delete(id);
    } else {
      const entry = model.get(id)!;
      entry.price = 500;
      await db.update('items', id, { name: entry.name, price: 500, meta: { kind: entry.kind } }, { tags: ['red'] });
      entry.tags = ['red'];
    }
  }
  const queries: Array<{ query: Parameters<Bcdb['find']>[1]; match: (e: { name: string; price: number; kind: string; tags: string[] }) => boolean; sort?: 'name' | 'price' }> = [
    { query: {}, match: () => true },
    { query: { tags: ['red'] }, match: (e) => e.tags.includes('red') },
    { query: { tags: ['red', 'blue'] }, match: (e) => e.tags.includes('red') && e.tags.includes('blue') },
    { query: { where: { name: { eq: 'n07' } } }, match: (e) => e.name === 'n07', sort: 'name' },
    { query: { where: { name: { prefix: 'n1' } } }, match: (e) => e.name.startsWith('n1'), sort: 'name' },
    { query: { where: { price: { gte: 20, lt: 55.5 } } }, match: (e) => e.price >= 20 && e.price < 55.5, sort: 'price' },
    { query: { where: { 'meta.kind': { eq: 'b' }, price: { gt: 50 } }, tags: ['green'] }, match: (e) => e.kind === 'b' && e.price > 50 && e.tags.includes('green'), sort: 'price' },
    { query: { where: { price: { gte: 10, lte: 90 }, name: { prefix: 'n2' } } }, match: (e) => e.price >= 10 && e.price <= 90 && e.name.startsWith('n2'), sort: 'price' },
    { query: { where: { name: { eq: 'n11' }, price: { lt: 60 } }, tags: ['blue'] }, match: (e) => e.name === 'n11' && e.price < 60 && e.tags.includes('blue'), sort: 'price' },
  ];
  const answers = async (database: Bcdb): Promise<string[][]> => {
    const out: string[][] = [];
    for (const { query, match, sort } of queries) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await database.find('items', { ...query, limit: 17, ...(cursor === undefined ? {} : { cursor }) });
        ids.push(...page.items.map((item) => item.id));
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined);
      const expected = [...model.entries()].filter(([, e]) => match(e))
        .sort(([a, x], [b, y]) => (sort === undefined ? 0 : x[sort] < y[sort] ? -1 : x[sort] > y[sort] ? 1 : 0) || (a < b ? -1 : 1)).map(([id]) => id);
      assert.deepEqual(ids, expected, `seed ${seed}: ${JSON.stringify(query)}`);
      out.push(ids);
    }
    return out;
  };
  const before = await answers(db);
  const root = db.head().root;
  await db.close();
  rmSync(join(dir, 'index.sqlite'));
  const rebuilt = await reopen();
  assert.equal(rebuilt.head().root, root);
  assert.deepEqual(await answers(rebuilt), before);
  assert.deepEqual((await rebuilt.get('items', 'item-001')).body, (await rebuilt.find('items', { limit: 2 })).items[0]!.body);
  await rebuilt.close();
});

test('inclusion and consistency proofs verify with the owner key alone, and fail when anything is changed', async () => {
  const { db } = await fresh();
  await db.createCollection('notes');
  const first = await db.set('notes', { text: 'hello' }, { id: 'n1' });
  const early = db.head();
  for (let i = 0; i < 25; i++) await db.set('notes', { text: `note ${i}` });
  const second = await db.update('notes', 'n1', { text: 'hello again' });
  const head = db.head();
  for (const version of [first, second]) {
    const record = await db.record(version.position);
    const proof = db.proveInclusion(version.position);
    const stored = verifyRecordProof(record, proof, head, owner.publicKey);
    assert.equal(stored.header.version, version.version);
    // Changed bytes, path, head or key: refused.
    const changed = Buffer.from(record);
    changed[changed.indexOf('hello')] = 'j'.charCodeAt(0);
    assert.throws(() => verifyRecordProof(changed, proof, head, owner.publicKey), { code: 'BCDB_INVALID_PROOF' });
    assert.throws(() => verifyRecordProof(record, { ...proof, path: proof.path.slice(1) }, head, owner.publicKey), { code: 'BCDB_INVALID_PROOF' });
    assert.throws(() => verifyRecordProof(record, proof, { ...head, root: early.root }, owner.publicKey), { code: 'BCDB_INVALID_PROOF' });
    assert.throws(() => verifyRecordProof(record, proof, head, other.publicKey), { code: 'BCDB_INVALID_PROOF' });
    assert.throws(() => verifyRecordProof(record, { ...proof, path: ['zz'] }, head, owner.publicKey), { code: 'BCDB_INVALID_PROOF' });
  }
  verifyHeadConsistency(early, head, db.proveConsistency(early.size, head.size), owner.publicKey);
  assert.throws(() => verifyHeadConsistency(early, head, db.proveConsistency(early.size - 1 || 1, head.size), owner.publicKey), { code: 'BCDB_INVALID_PROOF' });
  // A forged record signed by someone else as twin 1 is refused before it reaches the log.
  const forged = signObject(other, 1, { collection: 'notes', id: 'n9', version: 1, prev: null, deleted: false, tags: [], body: { text: 'x' } });
  assert.equal(await rejectionCode(db.appendSigned({ header: { ...forged.header, authorKey: owner.publicKeyHex }, sig: forged.sig, body: { text: 'x' } })), 'BCDB_BAD_SIGNATURE');
  await db.close();
});

test('a record changed or reordered in 0-db is detected: on read, by verify, and when the index is rebuilt', async () => {
  const { db, dir, namespace, reopen } = await fresh({ headIntervalMs: 10 });
  await db.createCollection('ledger');
  for (let i = 0; i < 10; i++) await db.set('ledger', { amount: i }, { id: `e${i}` });
  const target = await db.get('ledger', 'e4');
  await db.close();
  // The farmer (0-db admin) lifts worm and rewrites record 5 with a validly encoded but different one.
  const admin = await client();
  await admin.select(namespace);
  await admin.nsset(namespace, 'worm', false);
  const original = (await admin.get(numberToSeqId(target.position)))!;
  const record = decodeRecord(original);
  const forged = encodeRecord({ ...record, body: { amount: 4000 } });
  await admin.set(numberToSeqId(target.position), forged);
  const opened = await reopen();
  assert.equal(await rejectionCode(opened.get('ledger', 'e4')), 'BCDB_TAMPERED');
  const report = await opened.verify();
  assert.deepEqual(report.problems.map((p) => [p.position, p.code]), [[target.position, 'BCDB_TAMPERED']]);
  await opened.close();
  // Rebuilding the index from the tampered log fails against the signed head.
  rmSync(join(dir, 'index.sqlite'));
  assert.equal(await rejectionCode(reopen()), 'BCDB_TAMPERED');
  // Put it back, then swap two whole records: every byte is genuine, the order is not.
  await admin.nsset(namespace, 'worm', false);
  await admin.set(numberToSeqId(target.position), original);
  const next = (await admin.get(numberToSeqId(target.position + 1)))!;
  await admin.set(numberToSeqId(target.position), next);
  await admin.set(numberToSeqId(target.position + 1), original);
  assert.equal(await rejectionCode(reopen()), 'BCDB_TAMPERED');
  await admin.nsset(namespace, 'worm', false);
  await admin.set(numberToSeqId(target.position), original);
  await admin.set(numberToSeqId(target.position + 1), next);
  const restored = await reopen();
  assert.deepEqual((await restored.get('ledger', 'e4')).body, { amount: 4 });
  await restored.close();
});

test('ACLs: other twins read and write only what they were granted; changes are versioned', async () => {
  const { db } = await fresh();
  await db.createCollection('docs', { indexes: { title: 'string' } });
  await db.set('docs', { title: 'plan' }, { id: 'plan' });
  assert.equal(await rejectionCode(db.get('docs', 'plan', { reader: 2 })), 'BCDB_DENIED');
  assert.equal((await db.find('docs', {}, { reader: 2 })).items.length, 0);
  await db.grant('docs', undefined, 2, ['read']);
  assert.deepEqual((await db.get('docs', 'plan', { reader: 2 })).body, { title: 'plan' });
  assert.equal((await db.find('docs', {}, { reader: 2 })).items.length, 1);
  // Twin 2 writes only with the write right, signing its own records.
  const draft = (version: number, prev: string | null, body: Json): ReturnType<typeof signObject> =>
    signObject(other, 2, { collection: 'docs', id: 'memo', version, prev, deleted: false, tags: [], body });
  assert.equal(await rejectionCode(db.appendSigned(draft(1, null, { title: 'memo' }))), 'BCDB_DENIED');
  await db.grant('docs', undefined, 2, ['write']);
  const memo = await db.appendSigned(draft(1, null, { title: 'memo' }));
  assert.equal(memo.author, 2);
  // The object's owner (twin 2) may restrict it: an object ACL replaces the collection's for it.
  await db.grant('docs', undefined, 3, ['read']);
  assert.equal((await db.get('docs', 'memo', { reader: 3 })).id, 'memo');
  await db.setAcl('docs', 'memo', { read: [], write: [], delete: [] }, { identity: other, twinId: 2 });
  assert.equal(await rejectionCode(db.get('docs', 'memo', { reader: 3 })), 'BCDB_DENIED');
  assert.equal((await db.get('docs', 'memo', { reader: 2 })).id, 'memo', 'the owner keeps every right');
  assert.equal(await rejectionCode(db.setAcl('docs', 'plan', { read: [2], write: [2], delete: [2] }, { identity: other, twinId: 2 })), 'BCDB_DENIED');
  await db.revoke('docs', undefined, 2, ['read', 'write']);
  assert.equal(await rejectionCode(db.get('docs', 'plan', { reader: 2 })), 'BCDB_DENIED');
  assert.equal((await db.appendSigned(draft(2, memo.hash, { title: 'memo 2' }))).version, 2, 'twin 2 owns memo: no collection right needed');
  assert.equal(await rejectionCode(db.appendSigned(signObject(other, 2, { collection: 'docs', id: 'plan', version: 2, prev: (await db.get('docs', 'plan')).hash, deleted: false, tags: [], body: { title: 'mine' } }))), 'BCDB_DENIED');
  assert.equal(db.acl('docs').version, 4);
  assert.equal(await db.grant('docs', undefined, 3, ['read']), null, 'no change, no version');
  // A collection created with an ACL: both records in one step.
  await db.createCollection('board', { acl: { read: [2, 3], write: [3], delete: [] } });
  assert.deepEqual(db.acl('board'), { acl: { read: [2, 3], write: [3], delete: [] }, version: 1, hash: db.acl('board').hash });
  await db.set('board', { pinned: true }, { id: 'p' });
  assert.deepEqual((await db.get('board', 'p', { reader: 3 })).body, { pinned: true });
  await db.close();
});

test('encrypted collections keep bodies sealed in 0-db and readable through the database', async () => {
  const { db, namespace, dir, reopen } = await fresh();
  await db.createCollection('secrets', { encrypted: true, indexes: { label: 'string' } });
  const v = await db.set('secrets', { label: 'vault', pin: 'swordfish-4242' }, { id: 's1' });
  const raw = await client();
  await raw.select(namespace);
  const stored = (await raw.get(numberToSeqId(v.position)))!;
  assert.ok(!stored.includes('swordfish'), 'no plaintext in 0-db');
  assert.ok(decodeRecord(stored).sealed !== undefined);
  assert.equal((await db.get('secrets', 's1')).body !== null, true);
  assert.deepEqual((await db.find('secrets', { where: { label: { eq: 'vault' } } })).items.map((i) => i.body), [{ label: 'vault', pin: 'swordfish-4242' }]);
  await db.close();
  // Another identity on the same log cannot read the bodies (and the signed head is not its own).
  rmSync(join(dir, 'head.json'));
  rmSync(join(dir, 'index.sqlite'));
  assert.equal(await rejectionCode(Bcdb.open({ zdb: await client(), namespace, dir, identity: other, twinId: 1 })), 'BCDB_ENCRYPTED');
  const back = await reopen();
  assert.deepEqual((await back.get('secrets', 's1')).body, { label: 'vault', pin: 'swordfish-4242' });
  await back.close();
});

test('one process holds an index; a second open gets LOCKED', async () => {
  const { db, dir, namespace } = await fresh();
  assert.equal(await rejectionCode(Bcdb.open({ zdb: await client(), namespace, dir, identity: owner, twinId: 1 })), 'BCDB_LOCKED');
  await db.close();
});

test('a namespace holding other data is refused as a log', async () => {
  const zdb = await client();
  await zdb.nsnew('plain');
  await zdb.select('plain');
  await zdb.set('k', 'v');
  assert.equal(await rejectionCode(Bcdb.open({ zdb, namespace: 'plain', dir: tempDir('tfgrid-bcdb-'), identity: owner, twinId: 1 })), 'BCDB_STORAGE');
});
