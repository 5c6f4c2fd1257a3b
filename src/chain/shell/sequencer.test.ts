// The sequencer orders, limits and announces correctly: driven in-process with a toy state
// machine, a temp-file log and a real worker pool, it keeps one signer's nonces in submission
// order, refuses bad signatures, bad nonces, duplicates and a full mempool with stable codes,
// cuts a block early when full, and resolves waiters only after the block is durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../../crypto/index.ts';
import { openFileLog } from './file-log.ts';
import { Sequencer } from './sequencer.ts';
import { VerifyPool } from './verify-pool.ts';
import { ToyMachine, sealWith, signedAdd, testGenesisHash, toyCheck } from './testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-sequencer-'));
const pool = new VerifyPool({ workers: 2, batchTxsMax: 16 });
test.after(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});
const sequencerId = Identity.fromSeed('33'.repeat(32));
const alice = Identity.fromSeed('44'.repeat(32));
const bob = Identity.fromSeed('55'.repeat(32));
let logs = 0;

async function setup(options: { blockIntervalMs?: number; txsPerBlockMax?: number; mempoolTxsMax?: number; signerTxsMax?: number } = {}) {
  const machine = new ToyMachine();
  const store = await openFileLog({ path: join(dir, `log-${++logs}.bin`), genesisHash: testGenesisHash, check: toyCheck(sequencerId.publicKeyHex) });
  const sequencer = new Sequencer({ machine, store, pool, seal: sealWith(sequencerId), blockIntervalMs: options.blockIntervalMs ?? 20, ...options });
  return { machine, store, sequencer };
}

test('consecutive nonces of one signer submitted one by one are admitted in order and included', async () => {
  const { machine, store, sequencer } = await setup();
  const txs = Array.from({ length: 40 }, (_, i) => signedAdd(alice, i + 1, i));
  const admissions = await Promise.all(txs.map((tx) => sequencer.submit([tx])));
  assert.deepEqual(admissions.flat().map((a) => a.error?.code), txs.map(() => undefined));
  sequencer.start();
  const inclusions = await Promise.all(admissions.flat().map((a) => sequencer.waitForInclusion(a.hash!, 5_000)));
  assert.ok(inclusions.every((i) => i.result.ok));
  assert.equal(machine.nonces.get(alice.publicKeyHex), 40);
  assert.equal(machine.total, (39 * 40) / 2);
  const blocks = await store.readFrom(1, 100);
  assert.deepEqual(blocks.flatMap((b) => b.transactions.map((t) => t.nonce)), txs.map((t) => t.nonce));
  await sequencer.stop();
  await store.close();
});

test('bad signature, bad nonce and duplicates are refused with stable codes; state untouched', async () => {
  const { machine, store, sequencer } = await setup();
  const good = signedAdd(alice, 1);
  const forged = { ...signedAdd(bob, 1), signer: alice.publicKeyHex };
  const [a, b, c, d] = await sequencer.submit([good, forged, good, signedAdd(bob, 3)]);
  assert.equal(a!.error, undefined);
  assert.equal(b!.error?.code, 'CHAIN_BAD_SIGNATURE');
  assert.equal(c!.error?.code, 'CHAIN_DUPLICATE_TX');
  assert.equal(d!.error?.code, 'CHAIN_BAD_NONCE');
  assert.equal(sequencer.mempool.size, 1);
  assert.equal(machine.height, 0);
  await sequencer.stop();
  await store.close();
});

test('a full mempool and a full signer share are refused; a block is cut early when a block is waiting', async () => {
  const { store, sequencer } = await setup({ blockIntervalMs: 60_000, txsPerBlockMax: 1_000, mempoolTxsMax: 10, signerTxsMax: 4 });
  const aliceTxs = Array.from({ length: 5 }, (_, i) => signedAdd(alice, i + 1));
  const admitted = await sequencer.submit(aliceTxs);
  assert.deepEqual(admitted.map((a) => a.error?.code), [undefined, undefined, undefined, undefined, 'CHAIN_SIGNER_PENDING_FULL']);
  const others = Array.from({ length: 7 }, () => Identity.fromSeed(Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')));
  const more = await sequencer.submit(others.map((id) => signedAdd(id, 1)));
  assert.deepEqual(more.map((a) => a.error?.code), [undefined, undefined, undefined, undefined, undefined, undefined, 'CHAIN_MEMPOOL_FULL']);
  await sequencer.stop();
  await store.close();

  const small = await setup({ blockIntervalMs: 60_000, txsPerBlockMax: 3 });
  small.sequencer.start();
  const [first] = await small.sequencer.submit([signedAdd(bob, 1), signedAdd(bob, 2), signedAdd(bob, 3)]);
  const inclusion = await small.sequencer.waitForInclusion(first!.hash!, 2_000); // long before the 60 s interval
  assert.equal(inclusion.height, 1);
  assert.equal((await small.store.readFrom(1, 1))[0]!.transactions.length, 3);
  await small.sequencer.stop();
  await small.store.close();
});

test('waiters resolve after the block is durable; a late waiter resolves at once; a lost one times out', async () => {
  const { store, sequencer } = await setup();
  let durableHeight = 0;
  store.subscribe((b) => (durableHeight = b.height));
  sequencer.start();
  const [admission] = await sequencer.submit([signedAdd(alice, 1)]);
  const inclusion = await sequencer.waitForInclusion(admission!.hash!, 2_000);
  assert.equal(durableHeight, inclusion.height);
  assert.deepEqual(await sequencer.waitForInclusion(admission!.hash!, 1), inclusion);
  await assert.rejects(sequencer.waitForInclusion('ab'.repeat(32), 30), { code: 'CHAIN_WAIT_TIMEOUT' });
  await sequencer.stop();
  await store.close();
});
