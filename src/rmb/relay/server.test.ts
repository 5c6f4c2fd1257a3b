// The relay's queue policy seen from a peer, with a static phonebook (no chain) on loopback: with
// failFast a request to an offline twin fails at once with RMB_UNREACHABLE; without it the
// per-twin maximum answers the envelope past it with RMB_QUEUE_FULL and /metrics counts the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../../crypto/index.ts';
import { RmbError } from '../errors.ts';
import { connect } from '../peer.ts';
import { StaticPhonebook } from '../phonebook.ts';
import { startRelay } from './server.ts';
import { rejectionCode as code } from '../../base/testing.ts';

const ids = [Identity.fromSeed('d1'.repeat(32)), Identity.fromSeed('d2'.repeat(32)), Identity.fromSeed('d3'.repeat(32))];
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
