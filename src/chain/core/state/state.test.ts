import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, Identity } from '../../../crypto/index.ts';
import { ChainError } from '../../errors.ts';
import { checkBlock, signBlock, verifyBlock } from '../block.ts';
import { genesisHash } from '../genesis.ts';
import { ChainMachine } from '../machine.ts';
import { restoreState } from '../snapshot.ts';
import { Harness, admin, identity, makeFarmAndNode, makeTwin, prng, testGenesis, tft, testSeed } from '../testing.ts';
import { BucketTree } from './bucket-tree.ts';
import { DueQueue } from './due-queue.ts';
import { ChainState, tableNames } from './state.ts';

/** A small world with every kind of entity, IPs reserved and a contract in grace. */
function world(): Harness {
  const h = new Harness();
  const { farmId, nodeId } = makeFarmAndNode(h, identity(1), identity(2));
  h.ok(identity(1), 'farm.ip.add', { farmId, ip: '185.206.122.33/24', gateway: '185.206.122.1' });
  makeTwin(h, identity(3), 1n);
  h.ok(identity(3), 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32), deploymentData: 'd\u00e9ploiement "x"\n', publicIps: 1, resources: { cru: 1, mru: 2 ** 30, sru: 0, hru: 0 } });
  h.ok(identity(3), 'contract.name.create', { name: 'name-1' });
  h.block([], h.nowMs + 3_600_000);
  return h;
}

test('fast entity encoders give exactly canonical JSON', () => {
  // Goal: the state root's hot-path encoders are RFC 8785. Method: compare with canonicalJson for every entity of a small world.
  const h = world();
  const state = h.machine.state;
  let compared = 0;
  for (const name of tableNames) {
    const table = state.table(name);
    for (const value of table.values()) {
      assert.equal(table.encodeValue(value), canonicalJson(value), `${name} entry`);
      compared++;
    }
  }
  assert.ok(compared >= 12);
  const common = { twinId: 1, state: 'GracePeriod', createdMs: 1, lastBilledMs: 2, nextBillMs: 3, graceStartMs: 2, debt: 12345678901234567890n } as const;
  for (const contract of [
    { ...common, id: 7, kind: 'rent', nodeId: 4 },
    { ...common, id: 8, kind: 'name', name: 'a-b_c' },
    { ...common, id: 9, kind: 'node', nodeId: 4, deploymentHash: 'ab'.repeat(32), deploymentData: '\u0001"\\\u2028é😀', publicIps: 2, publicIpList: ['1.2.3.4/24', '5.6.7.8/24'], resources: { cru: 1, mru: 2, sru: 3, hru: 2 ** 52 } },
  ] as const) {
    assert.equal(state.contracts.encodeValue(contract), canonicalJson(contract), contract.kind);
  }
  const twin = { id: 3, account: 'ab'.repeat(32), encryptionKey: 'cd'.repeat(32), relays: ['a.b', 'c"d'], createdMs: 5 };
  assert.equal(state.twins.encodeValue(twin), canonicalJson(twin));
  assert.equal(h.machine.query.contract(1)!.state, 'GracePeriod');
});

test('the state root depends on content only, not on write order or history', () => {
  // Goal: two replicas with the same entries have the same root. Method: write the same accounts in opposite orders, with an undone write in one.
  const random = prng(testSeed());
  const entries = Array.from({ length: 500 }, (_, i) => ({ address: i.toString(16).padStart(64, '0'), balance: BigInt(Math.floor(random() * 1e12)), nonce: i }));
  const base = new Harness().machine.state;
  const a = restoreState(new ChainMachine(base).snapshot());
  const b = restoreState(new ChainMachine(base).snapshot());
  for (const entry of entries) a.accounts.set(entry.address, entry);
  assert.throws(() => b.atomically(() => {
    b.accounts.set('ff'.repeat(32), { address: 'ff'.repeat(32), balance: 1n, nonce: 0 });
    throw new Error('undo me');
  }));
  for (const entry of [...entries].reverse()) b.accounts.set(entry.address, entry);
  assert.equal(a.root(), b.root());
  b.accounts.set(entries[7]!.address, { ...entries[7]!, balance: entries[7]!.balance + 1n });
  assert.notEqual(a.root(), b.root());
});

test('bucket tree: zero leaves give a zero root; one leaf changes the root; setting it back restores it', () => {
  // Goal: the Merkle convention of bucket-tree.ts. Method: small trees.
  const tree = new BucketTree(4);
  assert.deepEqual(tree.root(), new Uint8Array(32));
  tree.setLeaf(3, new Uint8Array(32).fill(7));
  const one = tree.root();
  assert.notDeepEqual(one, new Uint8Array(32));
  tree.setLeaf(3, new Uint8Array(32));
  assert.deepEqual(tree.root(), new Uint8Array(32));
  assert.equal(new BucketTree(0).root().length, 32);
});

test('due queue: pops every id due up to now, keeps later ones, survives long gaps', () => {
  // Goal: the billing queue never misses a due id. Method: push ids at various times, pop at several nows.
  const queue = new DueQueue(0);
  queue.push(500, 1);
  queue.push(1500, 2);
  queue.push(10_000_000, 3);
  queue.push(0, 4);
  assert.deepEqual(queue.popUpTo(999).sort(), [1, 4]);
  assert.deepEqual(queue.popUpTo(1200), [2], 'same slot, the caller checks the exact time');
  queue.push(1500, 2);
  assert.deepEqual(queue.popUpTo(1500), [2]);
  assert.deepEqual(queue.popUpTo(50_000_000), [3]);
  assert.equal(queue.length, 0);
});

test('snapshot: restore gives the same root and lookups; corruption and unknown versions are refused with codes', () => {
  // Goal: snapshot() / restoreState round trip and bounded decoding. Method: round trip, then flip bytes, truncate, change the version.
  const h = world();
  const bytes = h.machine.snapshot();
  const restored = ChainMachine.restore(bytes);
  assert.equal(restored.stateRoot(), h.machine.stateRoot());
  assert.deepEqual(restored.query.contractByNodeHash(1, 'ab'.repeat(32)), h.machine.query.contractByNodeHash(1, 'ab'.repeat(32)));
  assert.deepEqual(restored.query.twinByAccount(identity(3).publicKeyHex), h.machine.query.twinByAccount(identity(3).publicKeyHex));
  const version = bytes.slice();
  version[5] = 9;
  assert.throws(() => restoreState(version), { code: ChainError.SNAPSHOT_UNSUPPORTED_VERSION });
  assert.throws(() => restoreState(bytes.subarray(0, bytes.length - 3)), { code: ChainError.SNAPSHOT_INVALID });
  assert.throws(() => restoreState(new Uint8Array(3)), { code: ChainError.SNAPSHOT_INVALID });
  const seed = testSeed();
  const random = prng(seed);
  for (let i = 0; i < 200; i++) {
    const flipped = bytes.slice();
    flipped[39 + Math.floor(random() * (bytes.length - 39))]! ^= 1 << Math.floor(random() * 8);
    assert.throws(() => restoreState(flipped), (error: { code?: string }) => error.code === ChainError.SNAPSHOT_INVALID, `flip ${i} (SEED=${seed})`);
  }
});

test('blocks: signed by the sequencer, any change to a field, transaction or result is detected', () => {
  // Goal: signBlock/verifyBlock per the seam. Method: seal an applied block, then tamper with each part.
  const h = new Harness();
  const sequencer = Identity.fromSeed('11'.repeat(32));
  const tx = h.tx(admin, 'transfer', { to: identity(5).publicKeyHex, amount: tft.toString() });
  const input = { height: 1, timestampMs: 1_001_000, transactions: [tx], previousHash: '00'.repeat(32) };
  const block = signBlock(sequencer, input, h.machine.apply(input));
  assert.equal(verifyBlock(block), undefined);
  assert.match(verifyBlock({ ...block, stateRoot: '11'.repeat(32) }) ?? '', /hash/);
  assert.match(verifyBlock({ ...block, transactions: [] }) ?? '', /txRoot/);
  assert.match(verifyBlock({ ...block, events: [] }) ?? '', /resultsRoot/);
  assert.match(verifyBlock({ ...block, signature: '00'.repeat(64) }) ?? '', /signature/);
  assert.match(verifyBlock({ ...block, signature: 'zz' }) ?? '', /malformed/);
});

test('checkBlock pins the sequencer: a valid block by another key is CHAIN_WRONG_SEQUENCER, a damaged one CHAIN_BAD_BLOCK', () => {
  // Goal: the check every reader uses refuses other keys with a code. Method: two sequencers seal the same block.
  const h = new Harness();
  const [pinned, other] = [Identity.fromSeed('11'.repeat(32)), Identity.fromSeed('12'.repeat(32))];
  const input = { height: 1, timestampMs: 1_001_000, transactions: [], previousHash: genesisHash(testGenesis()) };
  const applied = h.machine.apply(input);
  assert.equal(checkBlock(signBlock(pinned, input, applied), pinned.publicKeyHex), undefined);
  const foreign = signBlock(other, input, applied);
  assert.equal(verifyBlock(foreign), undefined, 'well-formed: only the key is wrong');
  assert.equal(checkBlock(foreign, pinned.publicKeyHex)?.code, ChainError.WRONG_SEQUENCER);
  // Relabelling a foreign block with the pinned key breaks its hash (the key is in the header).
  assert.equal(checkBlock({ ...foreign, sequencer: pinned.publicKeyHex }, pinned.publicKeyHex)?.code, ChainError.BAD_BLOCK);
});

test('the genesis hash is the digest of the genesis document and changes with the sequencer key', () => {
  // Goal: block 1's previousHash binds the pinned key. Method: hash two genesis files differing only in it.
  const genesis = testGenesis();
  assert.match(genesisHash(genesis), /^[0-9a-f]{64}$/);
  assert.equal(genesisHash(genesis), genesisHash(structuredClone(genesis)));
  assert.notEqual(genesisHash(genesis), genesisHash({ ...genesis, sequencer: identity(9).publicKeyHex }));
  assert.throws(() => ChainMachine.fromGenesis({ ...genesis, sequencer: undefined }), { code: ChainError.INVALID_GENESIS });
});

test('a new state is valid for queries before any block', () => {
  // Goal: ChainState's meta/params exist from genesis. Method: read them from a fresh harness.
  const h = new Harness();
  assert.equal(h.machine.height, 0);
  assert.ok(h.machine.state instanceof ChainState);
  assert.equal(h.machine.query.list('twins').items.length, 0);
});
