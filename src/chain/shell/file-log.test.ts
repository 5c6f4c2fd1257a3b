// The block log keeps what was appended and refuses what was damaged: blocks written to a temp
// file are read back after reopening; a torn tail is cut to the last whole record; a flipped
// byte, a broken hash chain or a bad signature anywhere is refused with CHAIN_LOG_CORRUPT, and a
// well-signed block by another key than the pinned sequencer with CHAIN_WRONG_SEQUENCER.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TfgridError } from '../../base/index.ts';
import { Identity, digestOf, toHex, fromHex, verifyEd25519 } from '../../crypto/index.ts';
import { ChainError } from '../errors.ts';
import { checkBlock, signBlock } from '../core/block.ts';
import { blockDomain, type Block } from '../core/seam.ts';
import { openFileLog } from './file-log.ts';
import { encodeRecord, fileHeaderBytes, recordHeaderBytes } from './record.ts';
import type { BlockCheck } from './block-store.ts';
import { testGenesisHash } from './testing.ts';

const sequencer = Identity.fromSeed('11'.repeat(32));
const genesisHash = testGenesisHash;

/** A test block signed like the real ones: hash over the header, signature over the hash. */
function makeBlock(height: number, previousHash: string, sequencerId = sequencer): Block {
  const header = { version: 1 as const, height, previousHash, timestampMs: 1_000 * height, sequencer: sequencerId.publicKeyHex, txRoot: '00'.repeat(32), resultsRoot: '00'.repeat(32), stateRoot: toHex(digestOf('test/state', height)) };
  const hash = toHex(digestOf(blockDomain, header));
  return { ...header, transactions: [{ type: 'test', signer: 'ab'.repeat(32), nonce: height, payload: { n: height }, signature: 'cd'.repeat(64) }], results: [{ ok: true }], events: [], hash, signature: toHex(sequencerId.sign(fromHex(hash))) };
}

// These test blocks carry placeholder roots, so the check covers the hash, the key and the signature.
const check: BlockCheck = (block) => {
  const { transactions: _t, results: _r, events: _e, hash, signature, ...header } = block;
  if (block.sequencer !== sequencer.publicKeyHex) return new TfgridError(ChainError.WRONG_SEQUENCER, 'another key');
  if (toHex(digestOf(blockDomain, header)) !== hash) return new TfgridError(ChainError.BAD_BLOCK, 'hash mismatch');
  if (!verifyEd25519(fromHex(block.sequencer), fromHex(hash), fromHex(signature))) return new TfgridError(ChainError.BAD_BLOCK, 'bad sequencer signature');
  return undefined;
};

function chainOf(count: number): Block[] {
  const blocks: Block[] = [];
  for (let h = 1; h <= count; h++) blocks.push(makeBlock(h, blocks.at(-1)?.hash ?? genesisHash));
  return blocks;
}

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-chain-log-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

async function written(count: number): Promise<{ path: string; blocks: Block[] }> {
  const path = join(dir, `log-${++fileCount}.bin`);
  const log = await openFileLog({ path, genesisHash, check });
  const blocks = chainOf(count);
  for (const block of blocks) await log.append(block);
  await log.close();
  return { path, blocks };
}

test('appended blocks are read back after reopening, replayed in order, and subscribers see new ones', async () => {
  const { path, blocks } = await written(20);
  const replayed: number[] = [];
  const log = await openFileLog({ path, genesisHash, check, onReplay: (b) => replayed.push(b.height), recentBlocksMax: 4 });
  assert.equal(log.height, 20);
  assert.equal(log.lastHash, blocks[19]!.hash);
  assert.deepEqual(replayed, blocks.map((b) => b.height));
  assert.deepEqual(await log.readFrom(3, 5), blocks.slice(2, 7)); // from the file
  assert.deepEqual(await log.readFrom(18, 100), blocks.slice(17)); // from memory
  assert.deepEqual(await log.readFrom(21, 10), []);
  const seen: number[] = [];
  log.subscribe((b) => seen.push(b.height));
  await log.append(makeBlock(21, log.lastHash));
  assert.deepEqual(seen, [21]);
  await log.close();
});

test('a torn tail (crash mid-append) is truncated to the last whole record', async () => {
  const { path, blocks } = await written(5);
  const whole = statSync(path).size;
  for (const cut of [3, recordHeaderBytes + 10]) {
    const record = encodeRecord(makeBlock(6, blocks[4]!.hash));
    appendFileSync(path, record.subarray(0, cut));
    const log = await openFileLog({ path, genesisHash, check });
    assert.equal(log.height, 5);
    assert.equal(statSync(path).size, whole);
    await log.append(makeBlock(6, blocks[4]!.hash)); // appending continues where the whole records end
    await log.close();
    writeFileSync(path, readFileSync(path).subarray(0, whole));
  }
  // A zero-filled tail (a power loss after the file grew) is torn too.
  appendFileSync(path, Buffer.alloc(100));
  const log = await openFileLog({ path, genesisHash, check });
  assert.equal(log.height, 5);
  await log.close();
});

test('a byte flipped anywhere in the log is detected at open with CHAIN_LOG_CORRUPT', async () => {
  const { path } = await written(6);
  const original = readFileSync(path);
  const positions = [3, fileHeaderBytes + 2, fileHeaderBytes + 7, fileHeaderBytes + 11, Math.floor(original.length / 2), original.length - 40, original.length - 1];
  for (const position of positions) {
    const damaged = Buffer.from(original);
    damaged[position] = damaged[position]! ^ 0x10;
    writeFileSync(path, damaged);
    await assert.rejects(openFileLog({ path, genesisHash, check }), (error: { code?: string }) => {
      assert.ok(error.code === 'CHAIN_LOG_CORRUPT' || error.code === 'CHAIN_LOG_UNSUPPORTED_VERSION', `byte ${position}: ${String(error.code)}`);
      return true;
    });
    assert.equal(statSync(path).size, original.length, 'a corrupt log is never truncated');
  }
});

test('a record with a valid CRC but a broken chain or a forged signature is refused', async () => {
  for (const bad of ['chain', 'signature'] as const) {
    const path = join(dir, `log-${++fileCount}.bin`);
    const log = await openFileLog({ path, genesisHash, check, fsync: false });
    const blocks = chainOf(3);
    for (const block of blocks) await log.append(block);
    await log.close();
    // Append raw records with valid CRCs, as a buggy or malicious writer would.
    const forged = bad === 'chain' ? makeBlock(4, '77'.repeat(32)) : { ...makeBlock(4, blocks[2]!.hash, Identity.fromSeed('22'.repeat(32))), sequencer: sequencer.publicKeyHex };
    appendFileSync(path, encodeRecord(forged));
    await assert.rejects(openFileLog({ path, genesisHash, check }), (error: { code?: string; message: string }) => error.code === 'CHAIN_LOG_CORRUPT' && /block 4/.test(error.message));
  }
});

test('a well-formed block signed by another key than the pinned sequencer is refused at open (CHAIN_WRONG_SEQUENCER)', async () => {
  // Method: real blocks sealed by the core's signBlock; the log checks them with the core's
  // checkBlock pinned to `sequencer`. Block 4 is valid in every way but signed by `other`.
  const other = Identity.fromSeed('22'.repeat(32));
  const seal = (by: Identity, height: number, previousHash: string): Block => signBlock(by, { height, previousHash, timestampMs: 1_000 * height, transactions: [] }, { results: [], events: [], stateRoot: toHex(digestOf('test/state', height)) });
  const pinned: BlockCheck = (block) => checkBlock(block, sequencer.publicKeyHex);
  const path = join(dir, `log-${++fileCount}.bin`);
  const log = await openFileLog({ path, genesisHash, check: pinned, fsync: false });
  for (let h = 1; h <= 3; h++) await log.append(seal(sequencer, h, log.lastHash));
  const lastHash = log.lastHash;
  await log.close();
  const reopened = await openFileLog({ path, genesisHash, check: pinned });
  assert.equal(reopened.height, 3);
  await reopened.close();
  appendFileSync(path, encodeRecord(seal(other, 4, lastHash)));
  await assert.rejects(openFileLog({ path, genesisHash, check: pinned }), (error: { code?: string; message: string }) => error.code === ChainError.WRONG_SEQUENCER && /block 4/.test(error.message) && error.message.includes(other.publicKeyHex));
  // The same log opened by a reader that pins another key is refused at block 1.
  await assert.rejects(openFileLog({ path, genesisHash, check: (block) => checkBlock(block, other.publicKeyHex) }), (error: { code?: string; message: string }) => error.code === ChainError.WRONG_SEQUENCER && /block 1 /.test(error.message));
});

test('a file that is not a chain log is refused', async () => {
  const path = join(dir, 'not-a-log.bin');
  writeFileSync(path, 'hello world, this is not a log at all');
  await assert.rejects(openFileLog({ path, genesisHash, check }), { code: 'CHAIN_LOG_CORRUPT' });
});
