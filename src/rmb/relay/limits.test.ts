// Unit tests of the relay's bounded structures, driven with explicit clock values (no timers):
// the offline queues' per-twin, total and byte maxima, session matching and expiry, and the
// per-twin token bucket's burst, refill and independence between twins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfflineQueues, RateLimiter, type Queued } from './limits.ts';

const item = (bytes: number, expiresAtMs: number, session = ''): Queued => ({ bytes: new Uint8Array(bytes), expiresAtMs, session });
const limits = { queuedPerTwinMax: 3, queuedTotalMax: 5, queuedBytesMax: 1_000 };

test('queues: the per-twin maximum refuses the next envelope for that twin only', () => {
  // Fill twin 1 to its maximum, then check twin 1 is refused while twin 2 is still accepted.
  const queues = new OfflineQueues(limits);
  for (let i = 0; i < 3; i++) assert.equal(queues.tryPush(1, item(10, 100)), true);
  assert.equal(queues.tryPush(1, item(10, 100)), false);
  assert.equal(queues.tryPush(2, item(10, 100)), true);
  assert.equal(queues.count, 4);
  assert.equal(queues.bytes, 40);
});

test('queues: the total count and byte maxima hold across twins; taking frees room', () => {
  // Spread envelopes over twins until the totals refuse, then drain one twin and push again.
  const queues = new OfflineQueues(limits);
  for (let twin = 1; twin <= 5; twin++) assert.equal(queues.tryPush(twin, item(10, 100)), true);
  assert.equal(queues.tryPush(6, item(10, 100)), false, 'total count');
  assert.equal(queues.take(1, 's', 0).length, 1);
  assert.equal(queues.tryPush(6, item(10, 100)), true);
  const bytes = new OfflineQueues(limits);
  assert.equal(bytes.tryPush(1, item(900, 100)), true);
  assert.equal(bytes.tryPush(2, item(101, 100)), false, 'total bytes');
  assert.equal(bytes.tryPush(2, item(100, 100)), true, 'exactly at the byte maximum');
  assert.equal(bytes.bytes, 1_000);
});

test('queues: take hands over unexpired envelopes for the session (or any) and keeps the others', () => {
  // Queue for a named session, another session and any session; take as one session at a time.
  const queues = new OfflineQueues(limits);
  queues.tryPush(1, item(1, 100, 'a'));
  queues.tryPush(1, item(2, 100, 'b'));
  queues.tryPush(1, item(3, 100, ''));
  assert.deepEqual(queues.take(1, 'a', 50).map((q) => q.bytes.length), [1, 3]);
  assert.equal(queues.count, 1);
  assert.deepEqual(queues.take(1, 'a', 50), []);
  assert.deepEqual(queues.take(1, 'b', 50).map((q) => q.bytes.length), [2]);
  assert.equal(queues.count, 0);
  assert.equal(queues.bytes, 0);
});

test('queues: expired envelopes are dropped by sweep and never handed over by take', () => {
  // Mix expiry times, sweep at a time between them, then take after the rest expired.
  const queues = new OfflineQueues(limits);
  queues.tryPush(1, item(10, 100));
  queues.tryPush(1, item(10, 200));
  queues.tryPush(2, item(10, 100));
  assert.equal(queues.sweep(100), 0, 'expiresAtMs is still valid at that instant');
  assert.equal(queues.sweep(150), 2);
  assert.equal(queues.count, 1);
  assert.deepEqual(queues.take(1, 's', 201), []);
  assert.equal(queues.count, 0);
  assert.equal(queues.bytes, 0);
});

test('rate limiter: burst, then refill at the rate, per twin', () => {
  // A burst of 3 at 10/s: take 3 at t=0, be refused, refill one token in 100 ms; another twin is unaffected.
  const rate = new RateLimiter(10, 3);
  for (let i = 0; i < 3; i++) assert.equal(rate.tryTake(1, 0), true);
  assert.equal(rate.tryTake(1, 0), false);
  assert.equal(rate.tryTake(2, 0), true);
  assert.equal(rate.tryTake(1, 50), false, 'half a token');
  assert.equal(rate.tryTake(1, 100), true);
  assert.equal(rate.tryTake(1, 100), false);
  assert.equal(rate.tryTake(1, 60_000), true, 'a long pause refills to the burst');
  assert.equal(rate.tryTake(1, 60_000), true);
  assert.equal(rate.tryTake(1, 60_000), true);
  assert.equal(rate.tryTake(1, 60_000), false, 'never above the burst');
  assert.throws(() => new RateLimiter(0, 1));
});
