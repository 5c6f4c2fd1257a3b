// The peer's own bound on what a relay sends it: a plain WebSocket server stands in for a hostile
// relay (no tfgrid relay would send this) and pushes a frame one byte over envelopeBytesMax; the
// peer's socket refuses it (close 1009) and the peer reconnects instead of crashing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type WebSocket } from 'ws';
import { until } from '../base/testing.ts';
import { Identity } from '../crypto/index.ts';
import { envelopeBytesMax } from './envelope.ts';
import { connect } from './peer.ts';
import { StaticPhonebook } from './phonebook.ts';

test('a frame over envelopeBytesMax from the relay closes the peer\'s connection (1009); the peer reconnects', async () => {
  const hostile = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 2 * envelopeBytesMax });
  await new Promise((resolve) => hostile.once('listening', resolve));
  const closeCodes: number[] = [];
  const sockets: WebSocket[] = [];
  hostile.on('connection', (socket) => {
    sockets.push(socket);
    socket.once('close', (closeCode) => closeCodes.push(closeCode));
    if (sockets.length === 1) socket.send(Buffer.alloc(envelopeBytesMax + 1));
  });
  const identity = Identity.fromSeed('91'.repeat(32));
  const peer = await connect(identity, { twinId: 1, relays: [`ws://127.0.0.1:${(hostile.address() as { port: number }).port}`], chain: new StaticPhonebook() });
  try {
    await until(() => sockets.length === 2, 'reconnected');
    assert.deepEqual(closeCodes, [1009]);
  } finally {
    peer.close();
    for (const socket of sockets) socket.terminate();
    hostile.close();
  }
});
