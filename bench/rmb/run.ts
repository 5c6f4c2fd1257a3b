// Message bus benchmark: request/response through one relay on loopback with end-to-end
// encryption that also authenticates (envelope version 2: the box, no signature), beside a raw
// WebSocket echo as the baseline. Three processes, as in a deployment: the relay (this file with
// `relay`), the serving twins (`servers`) and the asking twins (this process, which measures).
// `clientTwins` twins ask `serverTwins` twins, `window` requests in flight in all. Phonebook: a
// static one from fixed seeds (the chain is not in the measured path). Run with `npm run bench:rmb`.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import WebSocket, { WebSocketServer } from 'ws';
import { Identity } from '../../src/crypto/index.ts';
import { StaticPhonebook, connect, startRelay, type Peer } from '../../src/rmb/index.ts';
import { cpuMs } from '../lib/measure.ts';

const sequentialCount = 3_000;
const window = 64;
const durationMs = 4_000;
const bigBytes = 1024 * 1024;
const bigCount = 40;
const clientTwins = 4;
const serverTwins = 4;
const relayTwin = 1;
const firstServerTwin = 2;
const firstClientTwin = firstServerTwin + serverTwins;

const phonebook = new StaticPhonebook();
const identityOf = (twin: number): Identity => Identity.fromSeed(twin.toString(16).padStart(2, '0').repeat(32));
for (let twin = relayTwin; twin < firstClientTwin + clientTwins; twin++) {
  const identity = identityOf(twin);
  phonebook.entries.set(twin, { id: twin, signingKey: identity.publicKey, encryptionKey: identity.encryptionPublicKey, relays: [] });
}
const peerOptions = (twinId: number, url: string) => ({ twinId, relays: [url], chain: phonebook });

const role = process.argv[2];
if (role === 'relay') {
  const relay = await startRelay({ identity: identityOf(relayTwin), twinId: relayTwin, phonebook, port: 0 });
  console.log(JSON.stringify({ url: relay.url }));
  process.stdin.on('end', () => { console.error(`relay metrics: ${JSON.stringify(relay.metrics())}`); void relay.close().then(() => process.exit(0)); });
  process.stdin.resume();
} else if (role === 'servers') {
  const url = process.argv[3]!;
  const servers = await Promise.all(Array.from({ length: serverTwins }, (_, i) => connect(identityOf(firstServerTwin + i), peerOptions(firstServerTwin + i, url))));
  for (const server of servers) server.handle('echo', (payload) => payload);
  console.log(JSON.stringify({ ready: true }));
  process.stdin.on('end', () => { for (const server of servers) server.close(); process.exit(0); });
  process.stdin.resume();
} else {
  await measure();
}

/** Starts this file in `childRole` and returns it with the first JSON line it prints. */
async function child(childRole: string, args: string[]): Promise<{ process: ChildProcess; ready: Record<string, unknown> }> {
  const started = spawn(process.execPath, [import.meta.filename, childRole, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let text = '';
    started.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]!) as Record<string, unknown>);
    });
    started.once('exit', (code) => reject(new Error(`${childRole} exited with ${code}`)));
  });
  return { process: started, ready };
}

async function stop(started: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => started.once('exit', resolve));
  started.stdin?.end(); // the child closes itself when its stdin ends
  await exited;
}

interface Stats { p50: number; p99: number }
function stats(samples: number[]): Stats {
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
}

type Send = (lane: number, payload: Uint8Array) => Promise<void>;

async function latency(send: Send, payload: Uint8Array): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < sequentialCount; i++) {
    const start = performance.now();
    await send(0, payload);
    samples.push(performance.now() - start);
  }
  return stats(samples);
}

/** `window` lanes (spread over the asking twins) keep one request each in flight. */
async function rate(send: Send, payload: Uint8Array, pids: readonly number[]): Promise<Stats & { perSec: number; cpuUsPerRequest: number }> {
  const samples: number[] = [];
  const cpuStart = cpuMs(pids);
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(Array.from({ length: window }, async (_, lane) => {
    while (performance.now() < end) {
      const sent = performance.now();
      await send(lane, payload);
      samples.push(performance.now() - sent);
    }
  }));
  const perSec = samples.length / ((performance.now() - start) / 1000);
  return { ...stats(samples.slice()), perSec, cpuUsPerRequest: ((cpuMs(pids) - cpuStart) * 1000) / samples.length };
}

async function throughput(send: Send): Promise<number> {
  const big = Buffer.alloc(bigBytes, 7);
  const start = performance.now();
  for (let i = 0; i < bigCount; i++) await send(0, big);
  return (bigCount * bigBytes * 2) / 2 ** 20 / ((performance.now() - start) / 1000); // both directions
}

async function rawEcho(): Promise<{ send: Send; close(): void }> {
  const echo = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => echo.once('listening', resolve));
  echo.on('connection', (socket) => socket.on('message', (data: Buffer) => socket.send(data)));
  const sockets = await Promise.all(Array.from({ length: clientTwins }, async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${(echo.address() as { port: number }).port}`);
    await new Promise((resolve) => socket.once('open', resolve));
    const waiters: Array<() => void> = [];
    socket.on('message', () => waiters.shift()?.());
    return { socket, waiters };
  }));
  const send: Send = (lane, payload) => new Promise((resolve) => {
    const link = sockets[lane % clientTwins]!;
    link.waiters.push(resolve);
    link.socket.send(payload);
  });
  return { send, close: () => { for (const link of sockets) link.socket.close(); echo.close(); } };
}

async function measure(): Promise<void> {
  const relay = await child('relay', []);
  const url = relay.ready['url'] as string;
  const servers = await child('servers', [url]);
  const clients: Peer[] = await Promise.all(Array.from({ length: clientTwins }, (_, i) => connect(identityOf(firstClientTwin + i), peerOptions(firstClientTwin + i, url))));
  const rmbSend: Send = async (lane, payload) => {
    await clients[lane % clientTwins]!.request(firstServerTwin + (lane % serverTwins), 'echo', payload, { timeoutMs: 30_000 });
  };
  const raw = await rawEcho();
  const small = Buffer.alloc(64, 1);
  const rows: string[][] = [];
  const paths = [['raw WebSocket echo', raw.send, [process.pid]], ['rmb via relay (box-authenticated, v2)', rmbSend, [process.pid, relay.process.pid!, servers.process.pid!]]] as const;
  for (const [name, send, pids] of paths) {
    await latency(send, small); // warm-up
    const idle = await latency(send, small);
    const loaded = await rate(send, small, pids);
    const mibPerSec = await throughput(send);
    rows.push([name, idle.p50.toFixed(3), idle.p99.toFixed(3), Math.round(loaded.perSec).toLocaleString('en'), loaded.cpuUsPerRequest.toFixed(0), loaded.p50.toFixed(3), loaded.p99.toFixed(3), mibPerSec.toFixed(0)]);
  }
  console.log(`# rmb benchmark ${new Date().toISOString().slice(0, 10)} — ${cpus()[0]?.model ?? '?'} × ${cpus().length}, node ${process.version}`);
  console.log(`# relay, ${serverTwins} serving twins and ${clientTwins} asking twins in 3 processes; ${window} requests in flight; 64 B payloads; 1 MiB × ${bigCount} sequential`);
  console.log('| path | idle p50 ms | idle p99 ms | req/s | CPU µs/req (all processes) | loaded p50 ms | loaded p99 ms | 1 MiB round trips, MiB/s (both ways) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  for (const client of clients) client.close();
  raw.close();
  await stop(servers.process);
  await stop(relay.process);
}
