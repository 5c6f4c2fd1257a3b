// The client checks blocks against the pinned sequencer key: a real chain node (real core, temp
// data directory, 127.0.0.1 on a free port) serves blocks; a client pinned to the genesis's key
// takes them, one pinned to another key refuses them with CHAIN_WRONG_SEQUENCER (reads and feed).
// A node cannot be started with another identity than the genesis names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTfgridError } from '../base/index.ts';
import { Identity } from '../crypto/index.ts';
import { ChainClient } from './client.ts';
import type { Block } from './core/seam.ts';
import { ChainError } from './errors.ts';
import { chainCore, devnetGenesis } from './shell/chain-core.ts';
import { startChainNode, type ChainNode } from './shell/node.ts';

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-chain-client-'));
const sequencer = Identity.fromSeed('b1'.repeat(32));
const other = Identity.fromSeed('b2'.repeat(32));
const genesis = devnetGenesis({ admin: Identity.fromSeed('b3'.repeat(32)).publicKeyHex, sequencer: sequencer.publicKeyHex, funded: [], timestampMs: 1_000_000 });
let node: ChainNode | undefined;
test.after(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a node refuses to seal with another identity than the genesis names', () => {
  assert.throws(() => chainCore({ genesis, sequencer: other }), (error) => isTfgridError(error, ChainError.WRONG_SEQUENCER) && error.message.includes(sequencer.publicKeyHex) && error.message.includes(other.publicKeyHex));
});

test('blocks from a chain are accepted by a client pinned to its sequencer and refused by one pinned to another key', async () => {
  node = await startChainNode({ dataDir: join(dir, 'data'), core: chainCore({ genesis, sequencer }), host: '127.0.0.1', port: 0, blockIntervalMs: 10, idleBlockIntervalMs: 10, verifyWorkers: 0, fsync: false });
  const good = new ChainClient({ url: node.rpc.url, sequencer: sequencer.publicKeyHex });
  const wrong = new ChainClient({ url: node.rpc.url, sequencer: other.publicKeyHex });
  const params = await good.params();
  assert.equal(params.sequencer, sequencer.publicKeyHex);
  for (let i = 0; i < 200 && (await good.health()).height < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal((await good.block(1))?.sequencer, sequencer.publicKeyHex);
  await assert.rejects(wrong.block(1), { code: ChainError.WRONG_SEQUENCER });
  await assert.rejects(wrong.latestBlock(), { code: ChainError.WRONG_SEQUENCER });

  // The feed: the pinned client gets blocks; the other gets no block, one error, and is closed.
  const seen: Block[] = [];
  const goodFeed = good.subscribe((block) => seen.push(block), { fromHeight: 1 });
  const errors: unknown[] = [];
  const delivered: Block[] = [];
  const wrongFeed = wrong.subscribe((block) => delivered.push(block), { fromHeight: 1, onError: (error) => errors.push(error) });
  for (let i = 0; i < 300 && (seen.length < 2 || errors.length === 0); i++) await new Promise((r) => setTimeout(r, 10));
  goodFeed.close();
  wrongFeed.close();
  assert.ok(seen.length >= 2 && seen[0]!.height === 1);
  assert.deepEqual(delivered, []);
  assert.equal(errors.length, 1);
  assert.ok(isTfgridError(errors[0], ChainError.WRONG_SEQUENCER));
});
