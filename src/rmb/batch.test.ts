// Unit tests of the per-turn write batching: frames written in one event-loop turn (also from its
// microtasks) reach the stream in one writev, in order; the next turn starts a new batch.
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { WriteBatch } from './batch.ts';

/** A duplex that records each write call it receives: one entry per writev or single write. */
function recorder(): { stream: Duplex; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) { calls.push([chunk.toString()]); done(); },
    writev(chunks, done) { calls.push(chunks.map(({ chunk }) => (chunk as Buffer).toString())); done(); },
  });
  return { stream, calls };
}

test('frames written in one turn leave in one write, in order; the next turn starts a new batch', async () => {
  const { stream, calls } = recorder();
  const batch = new WriteBatch(stream);
  for (const frame of ['a', 'b', 'c']) {
    batch.hold();
    stream.write(frame);
  }
  assert.deepEqual(calls, []);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(calls, [['a', 'b', 'c']]);
  batch.hold();
  stream.write('d');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
});

test('frames sent from microtasks of the same turn join the batch', async () => {
  const { stream, calls } = recorder();
  const batch = new WriteBatch(stream);
  batch.hold();
  stream.write('a');
  await Promise.resolve();
  batch.hold();
  stream.write('b');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(calls, [['a', 'b']]);
});
