// Crash safety and determinism with real processes: `tfgrid chain` is killed with SIGKILL under a
// transfer load; after restart every acknowledged (included and announced) transaction is in the
// log and the state root equals a replay from genesis; two replicas fed the log agree at every
// height; a byte flipped in the log stops the next start with CHAIN_LOG_CORRUPT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, cpSync, readdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../../crypto/index.ts';
import { buildTx, txHash } from '../core/tx/envelope.ts';
import { ChainMachine } from '../core/machine.ts';
import type { Block } from '../core/seam.ts';
import { chainCore } from './chain-core.ts';
import { openChain } from './node.ts';
import { failingChainProcess, startChainProcess } from './process-testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-chain-crash-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const senders = Array.from({ length: 16 }, (_, i) => Identity.fromSeed((i + 16).toString(16).padStart(2, '0').repeat(32)));
const home = join(dir, 'home');
const dataDir = join(dir, 'data');

async function post(url: string, body: unknown): Promise<{ status: number; json: { hash?: string; height?: number } }> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: response.status, json: (await response.json()) as { hash?: string; height?: number } };
}

/** Each sender submits transfers one after another with ?wait=true until stopped; returns the acknowledged hashes. */
async function load(url: string, until: () => boolean): Promise<Set<string>> {
  const acknowledged = new Set<string>();
  await Promise.all(senders.map(async (sender, s) => {
    for (let nonce = 1; !until(); nonce++) {
      const tx = buildTx(sender, 'transfer', { to: senders[(s + 1) % senders.length]!.publicKeyHex, amount: String(nonce) }, nonce);
      try {
        const { status, json } = await post(`${url}/v1/tx?wait=true&timeoutMs=5000`, tx);
        if (status === 200 && json.hash === txHash(tx)) acknowledged.add(json.hash);
        else return;
      } catch {
        return; // the chain died under us: this one was not acknowledged
      }
    }
  }));
  return acknowledged;
}

async function allBlocks(url: string): Promise<Block[]> {
  const blocks: Block[] = [];
  for (;;) {
    const response = (await (await fetch(`${url}/v1/blocks?from=${blocks.length + 1}&limit=100`)).json()) as { blocks: Block[]; height: number };
    blocks.push(...response.blocks);
    if (response.blocks.length === 0 || blocks.length >= response.height) return blocks;
  }
}

test('kill -9 under load loses nothing acknowledged; restart state equals a replay from genesis; replicas agree', async () => {
  const fund = senders.flatMap((id) => ['--fund', id.publicKeyHex]);
  const args = ['--block-interval', '20', '--snapshot-interval', '7'];
  const first = await startChainProcess({ home, dataDir, args: [...args, ...fund] });
  let killed = false;
  const acknowledgedPromise = load(first.url, () => killed);
  await new Promise((r) => setTimeout(r, 1_500));
  await first.stop({ kill9: true });
  killed = true;
  const acknowledged = await acknowledgedPromise;
  assert.ok(acknowledged.size > 50, `load made progress (${acknowledged.size} acknowledged)`);

  const second = await startChainProcess({ home, dataDir, args });
  const blocks = await allBlocks(second.url);
  await second.stop();
  const logged = new Set(blocks.flatMap((b) => b.transactions.map(txHash)));
  const lost = [...acknowledged].filter((hash) => !logged.has(hash));
  assert.deepEqual(lost, [], 'every acknowledged transaction survives the crash');
  assert.equal(blocks.at(-1)?.stateRoot ?? second.ready.stateRoot, second.ready.stateRoot);

  // Replay from genesis (snapshots removed from a copy) gives the restarted chain's root.
  const genesis = JSON.parse(readFileSync(join(dataDir, 'genesis.json'), 'utf8')) as unknown;
  const copy = join(dir, 'replay');
  cpSync(dataDir, copy, { recursive: true });
  const snapshots = readdirSync(copy).filter((f) => f.startsWith('snapshot-'));
  assert.ok(snapshots.length > 0, 'snapshots were written during the run');
  for (const name of snapshots) unlinkSync(join(copy, name));
  const core = chainCore({ genesis }); // a reader: checks blocks by the genesis's sequencer key, seals none
  const replayed = await openChain({ dataDir: copy, core });
  assert.equal(replayed.snapshotHeight, 0);
  assert.equal(replayed.machine.stateRoot(), second.ready.stateRoot);
  await replayed.store.close();

  // Two replicas fed the same log agree with each other and with the block at every height.
  const [a, b] = [ChainMachine.fromGenesis(genesis), ChainMachine.fromGenesis(genesis)];
  for (const block of blocks) {
    const input = { height: block.height, timestampMs: block.timestampMs, transactions: block.transactions };
    const [rootA, rootB] = [a.apply(input).stateRoot, b.apply(input).stateRoot];
    assert.equal(rootA, rootB, `replicas agree at height ${block.height}`);
    assert.equal(rootA, block.stateRoot, `replica matches the block at height ${block.height}`);
  }
});

test('a byte flipped in the middle of the log is detected at startup (CHAIN_LOG_CORRUPT, exit 1)', async () => {
  const path = join(dataDir, 'blocks.log');
  const bytes = readFileSync(path);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = bytes[middle]! ^ 0x01;
  writeFileSync(path, bytes);
  const failed = await failingChainProcess({ home, dataDir, args: ['--block-interval', '20'] });
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /CHAIN_LOG_CORRUPT/);
});
