// Message bus benchmark: request/response through one relay on loopback with end-to-end
// encryption and signatures (relay and both peers in this process), beside a raw WebSocket
// echo as the baseline. Phonebook: a static one (the chain is not in the measured path).
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import WebSocket, { WebSocketServer } from 'ws';
import { Identity } from '../../src/crypto/index.ts';
import { StaticPhonebook, connect, startRelay } from '../../src/rmb/index.ts';

const sequentialCount = 3_000;
const window = 64;
const durationMs = 3_000;
const bigBytes = 1024 * 1024;
const bigCount = 40;

const phonebook = new StaticPhonebook();
const ids = [Identity.fromSeed('01'.repeat(32)), Identity.fromSeed('02'.repeat(32)), Identity.fromSeed('03'.repeat(32))];
ids.forEach((identity, i) => phonebook.entries.set(i + 1, { id: i + 1, signingKey: identity.publicKey, encryptionKey: identity.encryptionPublicKey, relays: [] }));
const relay = await startRelay({ identity: ids[0]!, twinId: 1, phonebook, port: 0 });
const options = (twinId: number) => ({ twinId, relays: [relay.url], chain: phonebook });
const client = await connect(ids[1]!, options(2));
const server = await connect(ids[2]!, options(3));
server.handle('echo', (payload) => payload);
const small = Buffer.alloc(64, 1);

const echo = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await new Promise((resolve) => echo.once('listening', resolve));
echo.on('connection', (socket) => socket.on('message', (data: Buffer) => socket.send(data)));
const raw = new WebSocket(`ws://127.0.0.1:${(echo.address() as { port: number }).port}`);
await new Promise((resolve) => raw.once('open', resolve));
const rawWaiters: Array<() => void> = [];
raw.on('message', () => rawWaiters.shift()?.());
const rawRequest = (payload: Uint8Array): Promise<void> => new Promise((resolve) => { rawWaiters.push(resolve); raw.send(payload); });
const rmbRequest = async (payload: Uint8Array): Promise<void> => { await client.request(3, 'echo', payload, { timeoutMs: 30_000 }); };

async function latency(fn: (p: Uint8Array) => Promise<void>): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < sequentialCount; i++) {
    const start = performance.now();
    await fn(small);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
}

async function rate(fn: (p: Uint8Array) => Promise<void>): Promise<number> {
  let done = 0;
  const end = performance.now() + durationMs;
  await Promise.all(Array.from({ length: window }, async () => {
    while (performance.now() < end) {
      await fn(small);
      done++;
    }
  }));
  return done / (durationMs / 1000);
}

async function throughput(fn: (p: Uint8Array) => Promise<void>): Promise<number> {
  const big = Buffer.alloc(bigBytes, 7);
  const start = performance.now();
  for (let i = 0; i < bigCount; i++) await fn(big);
  return (bigCount * bigBytes * 2) / 2 ** 20 / ((performance.now() - start) / 1000); // both directions
}

const rows: string[][] = [];
for (const [name, fn] of [['raw WebSocket echo', rawRequest], ['rmb via relay (signed, boxed)', rmbRequest]] as const) {
  await latency(fn); // warm-up
  const { p50, p99 } = await latency(fn);
  const perSec = await rate(fn);
  const mibPerSec = await throughput(fn);
  rows.push([name, p50.toFixed(3), p99.toFixed(3), Math.round(perSec).toLocaleString('en'), mibPerSec.toFixed(0)]);
}
console.log(`# rmb benchmark ${new Date().toISOString().slice(0, 10)} — ${cpus()[0]?.model ?? '?'} × ${cpus().length}, node ${process.version}; window ${window}, 64 B payloads, 1 MiB × ${bigCount}`);
console.log('| path | p50 ms | p99 ms | req/s | 1 MiB round trips, MiB/s (both ways) |');
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(`relay metrics: ${JSON.stringify(relay.metrics())}`);
client.close();
server.close();
raw.close();
echo.close();
await relay.close();
