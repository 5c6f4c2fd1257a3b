// `tfgrid relay` end to end: the CLI runs as a real child process (spawned like the chain process
// in the other tests) with a keystore identity that owns a twin on a real `tfgrid chain`; two
// peers connect to it, exchange a request/response, see a forged envelope refused, read /health,
// and the process exits cleanly on SIGTERM. Only 127.0.0.1, free ports and a temp directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../base/testing.ts';
import { Identity, writeKeystore } from '../crypto/index.ts';
import { ChainClient } from '../chain/index.ts';
import { RmbError } from './errors.ts';
import { makeEnvelope, newUid } from './envelope.ts';
import { ChainPhonebook } from './phonebook.ts';
import { connect } from './peer.ts';
import { startGrid } from './testing.ts';

const main = join(import.meta.dirname, '..', 'cli', 'main.ts');

test('tfgrid relay as a process serves two peers and stops on SIGTERM', async (t) => {
  const ids = { relay: Identity.fromSeed('e1'.repeat(32)), alice: Identity.fromSeed('e2'.repeat(32)), bob: Identity.fromSeed('e3'.repeat(32)) };
  const port = await freePort();
  const name = `127.0.0.1:${port}`;
  const grid = await startGrid([{ identity: ids.relay, relays: [] }, { identity: ids.alice, relays: [name] }, { identity: ids.bob, relays: [name] }]);
  const [relayTwin, aliceTwin, bobTwin] = grid.twinIds as [number, number, number];
  const home = mkdtempSync(join(tmpdir(), 'tfgrid-relay-'));
  mkdirSync(join(home, 'identities'), { recursive: true });
  await writeKeystore(join(home, 'identities', 'relay.json'), ids.relay, 'test-pass');
  const child = spawn(process.execPath, [main, '--json', 'relay', '--chain', grid.url, '-n', 'relay', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: home, TFGRID_PASSPHRASE: 'test-pass', TFGRID_LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const chain = new ChainClient({ url: grid.url });
  const phonebook = new ChainPhonebook(chain);
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    phonebook.close();
    await grid.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const ready = await new Promise<{ url: string; twin: number; names: string[] }>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${stderr}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(stdout.split('\n')[0]!) as { url: string; twin: number; names: string[] });
      }
    });
    void exited.then((code) => reject(new Error(`relay exited with ${code}: ${stderr}`)));
  });
  assert.deepEqual(ready, { url: `ws://${name}`, twin: relayTwin, names: [name] });

  const errors: Array<{ code: string; from: number }> = [];
  const alice = await connect(ids.alice, { twinId: aliceTwin, relays: [ready.url], chain: phonebook, onError: (e) => errors.push(e) });
  const bob = await connect(ids.bob, { twinId: bobTwin, relays: [ready.url], chain: phonebook });
  try {
    bob.handle('echo', (payload, context) => Buffer.concat([Buffer.from(`${context.source.twin}:`), payload]));
    assert.equal(Buffer.from(await alice.request(bobTwin, 'echo', Buffer.from('hi'), { timeoutMs: 5_000 })).toString(), `${aliceTwin}:hi`);
    // an envelope under alice's address boxed by bob's key: passed by the relay, refused by bob
    const bobEntry = (await phonebook.lookup(bobTwin))!;
    alice.sendRaw(makeEnvelope(ids.bob, {
      uid: newUid(), timestampMs: Date.now(), ttlMs: 10_000, source: alice.address, destination: { twin: bobTwin, session: '' }, body: { type: 'request', command: 'echo' },
    }, Buffer.from('x'), bobEntry.encryptionKey));
    const deadline = Date.now() + 5_000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(errors.map((e) => [e.code, e.from]), [[RmbError.NOT_AUTHENTIC, bobTwin]]);
    const health = (await (await fetch(`http://${name}/health`)).json()) as { ok: boolean; names: string[] };
    assert.deepEqual(health, { ok: true, names: [name] });
    const metrics = (await (await fetch(`http://${name}/metrics`)).json()) as { connectedTwins: number };
    assert.equal(metrics.connectedTwins, 2);
  } finally {
    alice.close();
    bob.close();
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});
