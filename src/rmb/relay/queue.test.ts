// The relay's durable queue against a real file in a temp directory: what is queued and not
// delivered comes back after a reopen (expired envelopes do not), a torn tail and damaged records
// cost only themselves, an unreadable file is moved aside, compaction keeps exactly the live
// entries, the README's golden queue file is what the code writes, and a seeded sweep of truncations and byte flips never makes loading throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goldenHex, prng, seedFromEnv } from '../../base/testing.ts';
import { Identity } from '../../crypto/index.ts';
import { decodeEnvelope, makeEnvelope, newUid, uidHex, type Envelope } from '../envelope.ts';
import { RelayQueue, type RelayQueueOptions } from './queue.ts';
import { loadQueueFile, queueFileName } from './queue-file.ts';
import { encodeDone, encodeFileHeader, encodePut, queueFileHeaderBytes, scanRecords } from './queue-format.ts';

const alice = Identity.fromSeed('71'.repeat(32));
const bob = Identity.fromSeed('72'.repeat(32));
const limits = { queuedPerTwinMax: 100, queuedTotalMax: 1_000, queuedBytesMax: 1 << 20 };

function envelope(destinationTwin: number, text: string, ttlMs = 60_000, timestampMs = Date.now()): Envelope {
  return decodeEnvelope(makeEnvelope(alice, {
    uid: newUid(), timestampMs, ttlMs, source: { twin: 1, session: 'a' }, destination: { twin: destinationTwin, session: '' }, body: { type: 'request', command: 'echo' },
  }, Buffer.from(text), bob.encryptionPublicKey));
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tfgrid-rmbq-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const open = (dir: string, extra: Partial<RelayQueueOptions> = {}): Promise<RelayQueue> => RelayQueue.open({ ...limits, dir, ...extra }, Date.now());
const uids = (frames: Uint8Array[]): string[] => frames.map((frame) => uidHex(decodeEnvelope(frame).uid));

test('golden queue file: the README\'s header, put and done records are exactly what the code writes', async () => {
  // A file holding the README's golden envelope under seq 1, then its done record; loading it yields nothing.
  const readme = (name: string): string => goldenHex(join(import.meta.dirname, '..', 'README.md'), name);
  const envelopeBytes = Buffer.from(readme('envelope'), 'hex');
  const written = Buffer.concat([encodeFileHeader(), encodePut(1, envelopeBytes), ...encodeDone([1])]).toString('hex');
  assert.equal(written, readme('queue-file'));
  assert.deepEqual(scanRecords(Buffer.from(written, 'hex'), queueFileHeaderBytes).records.map((r) => r.kind), ['put', 'done']);
  await withDir(async (dir) => {
    writeFileSync(join(dir, queueFileName), Buffer.from(written, 'hex'));
    assert.deepEqual((await loadQueueFile(dir)).entries, []);
  });
});

test('queued and not delivered survives a reopen, in order; delivered and expired do not', async () => {
  // Queue four envelopes for two twins, deliver one twin's, let one expire, reopen from the file.
  await withDir(async (dir) => {
    const queue = await open(dir);
    const forTwo = [envelope(2, 'a'), envelope(2, 'b')];
    const forThree = envelope(3, 'c');
    const expiring = envelope(2, 'gone', 1, Date.now() - 5);
    for (const e of [forTwo[0]!, forThree, expiring, forTwo[1]!]) assert.equal(queue.tryPush(e), true);
    assert.deepEqual(uids(queue.take(3, 's', Date.now())), [uidHex(forThree.uid)]);
    await queue.close();

    const reopened = await open(dir);
    assert.equal(reopened.count, 2);
    assert.deepEqual(uids(reopened.take(2, 's', Date.now())), forTwo.map((e) => uidHex(e.uid)));
    assert.deepEqual(reopened.take(3, 's', Date.now()), []);
    // what is queued after a reopen gets a new sequence number and survives the next one
    const later = envelope(4, 'later');
    assert.equal(reopened.tryPush(later), true);
    await reopened.close();
    const third = await open(dir);
    assert.deepEqual(uids(third.take(4, '', Date.now())), [uidHex(later.uid)]);
    assert.equal(third.count, 0);
    await third.close();
  });
});

test('a torn tail and a damaged record in the middle cost only themselves; the file is rewritten clean', async () => {
  // Three puts; cut the file inside the third, flip a byte inside the second: the first loads.
  await withDir(async (dir) => {
    const path = join(dir, queueFileName);
    const frames = [envelope(2, 'one'), envelope(2, 'two'), envelope(2, 'three'), envelope(2, 'four')];
    const records = frames.map((e, i) => encodePut(i + 1, e.bytes));
    writeFileSync(path, Buffer.concat([encodeFileHeader(), ...records]));
    const start = (i: number): number => queueFileHeaderBytes + records.slice(0, i).reduce((sum, r) => sum + r.length, 0);
    truncateSync(path, start(3) + 20); // torn inside the fourth
    const bytes = readFileSync(path);
    bytes[start(1) + 40] = bytes[start(1) + 40]! ^ 0xff; // inside the second
    writeFileSync(path, bytes);

    const loaded = await loadQueueFile(dir);
    assert.deepEqual(loaded.entries.map((e) => e.seq), [1, 3]);
    assert.equal(loaded.skippedBytes, records[1]!.length + 20);
    const queue = await open(dir);
    assert.deepEqual(uids(queue.take(2, '', Date.now())), [uidHex(frames[0]!.uid), uidHex(frames[2]!.uid)]);
    await queue.close();
    assert.equal((await loadQueueFile(dir)).skippedBytes, 0, 'rewritten without the damage');
  });
});

test('an unreadable file (bad header) is moved aside and the relay starts with an empty queue', async () => {
  await withDir(async (dir) => {
    writeFileSync(join(dir, queueFileName), Buffer.from('not a queue file at all'));
    const queue = await open(dir);
    assert.equal(queue.count, 0);
    assert.equal(queue.tryPush(envelope(2, 'x')), true);
    await queue.close();
    assert.equal(readdirSync(dir).filter((name) => name.startsWith(`${queueFileName}.unreadable-`)).length, 1);
    assert.equal((await loadQueueFile(dir)).entries.length, 1);
  });
});

test('bounds hold when loading: entries past queuedPerTwinMax are dropped', async () => {
  await withDir(async (dir) => {
    const queue = await open(dir);
    for (let i = 0; i < 5; i++) assert.equal(queue.tryPush(envelope(2, `m${i}`)), true);
    await queue.close();
    const smaller = await open(dir, { queuedPerTwinMax: 3 });
    assert.equal(smaller.count, 3);
    await smaller.close();
    assert.equal((await loadQueueFile(dir)).entries.length, 3, 'the rewrite keeps what was loaded');
  });
});

test('run-time compaction: once dead records outweigh live ones the file is rewritten with the live ones', async () => {
  // A tiny compaction threshold; queue and deliver in rounds and keep one envelope queued.
  await withDir(async (dir) => {
    const path = join(dir, queueFileName);
    const queue = await open(dir, { compactBytesMin: 4_096 });
    const kept = envelope(9, 'kept');
    queue.tryPush(kept);
    let largest = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 5; i++) queue.tryPush(envelope(2, `r${round}-${i}`));
      assert.equal(queue.take(2, '', Date.now()).length, 5);
      await queue.sync();
      largest = Math.max(largest, statSync(path).size);
    }
    assert.ok(largest < 3 * 4_096, `file stays near the threshold (largest ${largest} bytes)`);
    await queue.close();
    const loaded = await loadQueueFile(dir);
    assert.deepEqual(loaded.entries.map((e) => uidHex(decodeEnvelope(e.envelope).uid)), [uidHex(kept.uid)]);
  });
});

test('fuzz: any truncation or byte flips of a queue file load what is whole and never throw', async (t) => {
  const seed = seedFromEnv();
  t.diagnostic(`SEED=${seed}`);
  const random = prng(seed);
  const file = Buffer.concat([encodeFileHeader(), encodePut(1, envelope(2, 'x').bytes), ...encodeDone([1]), encodePut(2, envelope(3, 'y').bytes), encodePut(3, envelope(3, 'z').bytes)]);
  for (let length = 0; length <= file.length; length++) {
    const scan = scanRecords(file.subarray(0, length), Math.min(length, queueFileHeaderBytes));
    assert.ok(scan.records.length <= 4);
  }
  await withDir(async (dir) => {
    try {
      for (let i = 0; i < 200; i++) {
        const bytes = Buffer.from(file.subarray(0, Math.floor(random() * (file.length + 1))));
        for (let flips = Math.floor(random() * 4); flips > 0 && bytes.length > 0; flips--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        writeFileSync(join(dir, queueFileName), bytes);
        const queue = await open(dir, { fsync: false });
        assert.ok(queue.count <= 2);
        await queue.close();
      }
    } catch (error) {
      t.diagnostic(`failed with SEED=${seed}`);
      throw error;
    }
  });
});

test('one relay per queue directory: a second open is RMB_QUEUE_LOCKED until the first closes', async () => {
  await withDir(async (dir) => {
    const first = await open(dir);
    await assert.rejects(open(dir), { code: 'RMB_QUEUE_LOCKED' });
    await first.close();
    await (await open(dir)).close();
  });
});
