// Unit test of federation's failure ranking: against a plain WebSocket server standing in for a
// live relay and a free port standing in for a dead one, a failed relay is demoted behind the
// others for demoteMs (checked with explicit clock values through rank) and links are reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { freePort } from '../../base/testing.ts';
import { Identity } from '../../crypto/index.ts';
import { Federation } from './federation.ts';

test('a relay that fails is tried last until demoteMs has passed; a live link is reused', async () => {
  const live = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => live.once('listening', resolve));
  const received: Buffer[] = [];
  let connections = 0;
  live.on('connection', (socket) => {
    connections++;
    socket.on('message', (data: Buffer) => received.push(data));
  });
  const liveName = `127.0.0.1:${(live.address() as { port: number }).port}`;
  const deadName = `127.0.0.1:${await freePort()}`;
  const deadToo = `127.0.0.1:${await freePort()}`;
  const demoteMs = 30_000;
  const federation = new Federation({ identity: Identity.fromSeed('f1'.repeat(32)), twinId: 1, demoteMs, onFrame: () => undefined });
  try {
    assert.deepEqual(federation.rank([deadName, liveName, deadToo], Date.now()), [deadName, liveName, deadToo], 'listed order at first');
    const before = Date.now();
    assert.equal(await federation.forward([deadName, liveName, deadToo], Buffer.from('one')), liveName);
    // deadName failed and is now last; deadToo was never tried, so it keeps its place
    assert.deepEqual(federation.rank([deadName, liveName, deadToo], Date.now()), [liveName, deadToo, deadName]);
    assert.equal(await federation.forward([deadName, liveName, deadToo], Buffer.from('two')), liveName);
    assert.deepEqual(federation.rank([deadName, liveName, deadToo], before + demoteMs + 1_000), [deadName, liveName, deadToo], 'restored after demoteMs');
    // every relay down: each is tried once and demoted, in listed order; nothing is taken
    assert.equal(await federation.forward([deadToo], Buffer.from('three')), undefined);
    assert.deepEqual(federation.rank([deadName, deadToo, liveName], Date.now()), [liveName, deadName, deadToo], 'demoted relays keep their listed order among themselves');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(received.map(String), ['one', 'two']);
    assert.equal(connections, 1, 'the link to the live relay is reused');
  } finally {
    federation.close();
    live.close();
  }
});
