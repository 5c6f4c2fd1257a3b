// `tfgrid relay` end to end: the CLI runs as a real child process (spawned like the chain process
// in the other tests) with a keystore identity that owns a twin on a real `tfgrid chain`. First:
// two peers exchange a request/response, see a forged envelope refused, read /health, and the
// process exits cleanly on SIGTERM. Second: a request queued for an offline twin survives kill -9
// of the relay (durable queue under $TFGRID_HOME/relay); after a restart the twin connects and
// gets it, and the answer reaches the asker. Only 127.0.0.1, one free port and temp directories.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from '../base/testing.ts';
import { Identity, writeKeystore } from '../crypto/index.ts';
import { ChainClient } from '../chain/index.ts';
import { RmbError } from './errors.ts';
import { makeEnvelope, newUid } from './envelope.ts';
import { ChainPhonebook } from './phonebook.ts';
import { connect, Peer } from './peer.ts';
import { startGrid } from './testing.ts';
import { queueFileName } from './relay/queue-file.ts';
import { queueFileHeaderBytes } from './relay/queue-format.ts';

const main = join(import.meta.dirname, '..', 'cli', 'main.ts');
const ids = { relay: Identity.fromSeed('e1'.repeat(32)), alice: Identity.fromSeed('e2'.repeat(32)), bob: Identity.fromSeed('e3'.repeat(32)) };
const port = await freePort();
const name = `127.0.0.1:${port}`;
const grid = await startGrid([{ identity: ids.relay, relays: [] }, { identity: ids.alice, relays: [name] }, { identity: ids.bob, relays: [name] }]);
const [relayTwin, aliceTwin, bobTwin] = grid.twinIds as [number, number, number];
const phonebook = new ChainPhonebook(new ChainClient({ url: grid.url }));
const homes: string[] = [];

test.after(async () => {
  phonebook.close();
  await grid.stop();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

interface RelayProcess {
  readonly child: ChildProcess;
  readonly ready: { url: string; twin: number; names: string[]; queueDir: string | null };
  readonly exited: Promise<number | null>;
  stderr(): string;
}

async function newHome(): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'tfgrid-relay-'));
  homes.push(home);
  mkdirSync(join(home, 'identities'), { recursive: true });
  await writeKeystore(join(home, 'identities', 'relay.json'), ids.relay, 'test-pass');
  return home;
}

/** Starts `tfgrid relay` on `port` with `home` as TFGRID_HOME; resolves with its ready line. */
async function startRelayProcess(home: string): Promise<RelayProcess> {
  const child = spawn(process.execPath, [main, '--json', 'relay', '--chain', grid.url, '-n', 'relay', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: home, TFGRID_PASSPHRASE: 'test-pass', TFGRID_LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<RelayProcess['ready']>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${stderr}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(stdout.split('\n')[0]!) as RelayProcess['ready']);
      }
    });
    void exited.then((code) => reject(new Error(`relay exited with ${code}: ${stderr}`)));
  });
  return { child, ready, exited, stderr: () => stderr };
}

/** When the test ends, kills the relay process `current()` names if it still runs. */
function killAfter(t: TestContext, current: () => RelayProcess): void {
  t.after(async () => {
    const relay = current();
    if (relay.child.exitCode === null && relay.child.signalCode === null) relay.child.kill('SIGKILL');
    await relay.exited;
  });
}

async function metrics(): Promise<{ connectedTwins: number; queued: number }> {
  return (await (await fetch(`http://${name}/metrics`)).json()) as { connectedTwins: number; queued: number };
}

test('tfgrid relay as a process serves two peers and stops on SIGTERM', async (t) => {
  const home = await newHome();
  const relay = await startRelayProcess(home);
  killAfter(t, () => relay);
  assert.deepEqual(relay.ready, { url: `ws://${name}`, twin: relayTwin, names: [name], queueDir: join(home, 'relay') });

  const errors: Array<{ code: string; from: number }> = [];
  const alice = await connect(ids.alice, { twinId: aliceTwin, relays: [relay.ready.url], chain: phonebook, onError: (e) => errors.push(e) });
  const bob = await connect(ids.bob, { twinId: bobTwin, relays: [relay.ready.url], chain: phonebook });
  try {
    bob.handle('echo', (payload, context) => Buffer.concat([Buffer.from(`${context.source.twin}:`), payload]));
    assert.equal(Buffer.from(await alice.request(bobTwin, 'echo', Buffer.from('hi'), { timeoutMs: 5_000 })).toString(), `${aliceTwin}:hi`);
    // an envelope under alice's address boxed by bob's key: passed by the relay, refused by bob
    const bobEntry = (await phonebook.lookup(bobTwin))!;
    alice.sendRaw(makeEnvelope(ids.bob, {
      uid: newUid(), timestampMs: Date.now(), ttlMs: 10_000, source: alice.address, destination: { twin: bobTwin, session: '' }, body: { type: 'request', command: 'echo' },
    }, Buffer.from('x'), bobEntry.encryptionKey));
    await until(() => errors.length > 0, 'refusal');
    assert.deepEqual(errors.map((e) => [e.code, e.from]), [[RmbError.NOT_AUTHENTIC, bobTwin]]);
    const health = (await (await fetch(`http://${name}/health`)).json()) as { ok: boolean; names: string[] };
    assert.deepEqual(health, { ok: true, names: [name] });
    assert.equal((await metrics()).connectedTwins, 2);
  } finally {
    alice.close();
    bob.close();
  }
  relay.child.kill('SIGTERM');
  assert.equal(await relay.exited, 0, relay.stderr());
});

test('kill -9 of tfgrid relay: a request queued for an offline twin is delivered after the restart', async (t) => {
  const home = await newHome();
  let relay = await startRelayProcess(home);
  killAfter(t, () => relay);
  const queueFile = join(relay.ready.queueDir!, queueFileName);
  const alice = await connect(ids.alice, { twinId: aliceTwin, relays: [relay.ready.url], chain: phonebook });
  let bob: Peer | undefined;
  try {
    const answer = alice.request(bobTwin, 'echo', Buffer.from('survives'), { timeoutMs: 30_000 });
    // Queued (bob is offline) and written past the header; kill -9 keeps written data (page cache).
    await until(async () => (await metrics()).queued === 1, 'queued');
    await until(() => existsSync(queueFile) && statSync(queueFile).size > queueFileHeaderBytes, 'queue record written');
    relay.child.kill('SIGKILL');
    assert.equal(await relay.exited, null, 'killed, not exited');

    relay = await startRelayProcess(home);
    assert.equal((await metrics()).queued, 1, 'reloaded from the queue file');
    const received: string[] = [];
    bob = new Peer(ids.bob, { twinId: bobTwin, relays: [relay.ready.url], chain: phonebook });
    bob.handle('echo', (payload) => {
      received.push(Buffer.from(payload).toString());
      return payload;
    });
    await until(() => received.length === 1, 'bob receives the queued request');
    assert.deepEqual(received, ['survives']);
    // alice reconnects by herself; bob's answer waits in the queue for her if she is not back yet
    assert.equal(Buffer.from(await answer).toString(), 'survives');
  } finally {
    alice.close();
    bob?.close();
  }
});
