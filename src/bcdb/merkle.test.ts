import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MerkleTree, emptyRoot, leafHash, nodeHash, verifyConsistency, verifyInclusion } from './merkle.ts';

// The eight leaves of the RFC 6962 reference test vectors (certificate-transparency merkle tests).
const vectorLeaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((hex) => Buffer.from(hex, 'hex'));
const vectorRoots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** MTH straight from the RFC's recursive definition: the model the tree is checked against. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leafHash(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

function treeOf(leaves: readonly Buffer[]): MerkleTree {
  const tree = new MerkleTree();
  for (const leaf of leaves) tree.append(leafHash(leaf));
  return tree;
}

test('roots match the RFC 6962 test vectors at every size', () => {
  const tree = new MerkleTree();
  assert.equal(tree.root().toString('hex'), emptyRoot.toString('hex'));
  vectorLeaves.forEach((leaf, i) => {
    tree.append(leafHash(leaf));
    assert.equal(tree.root().toString('hex'), vectorRoots[i], `size ${i + 1}`);
  });
  // Past sizes from the same tree.
  vectorRoots.forEach((root, i) => assert.equal(tree.root(i + 1).toString('hex'), root));
});

test('roots at every past size equal the recursive definition (up to 130 leaves)', () => {
  const leaves = Array.from({ length: 130 }, (_, i) => Buffer.from(`leaf ${i}`));
  const tree = treeOf(leaves);
  for (let size = 0; size <= leaves.length; size++) {
    assert.deepEqual(tree.root(size), referenceRoot(leaves.slice(0, size)), `size ${size}`);
  }
});

test('every inclusion proof verifies, and fails for another leaf, index, size or root', () => {
  const leaves = Array.from({ length: 40 }, (_, i) => Buffer.from(`record ${i}`));
  const tree = treeOf(leaves);
  for (let size = 1; size <= leaves.length; size++) {
    const root = tree.root(size);
    for (let index = 0; index < size; index++) {
      const path = tree.inclusionProof(index, size);
      assert.ok(verifyInclusion(leafHash(leaves[index]!), index, size, path, root), `${index} in ${size}`);
      assert.ok(!verifyInclusion(leafHash(Buffer.from('forged')), index, size, path, root));
      if (size > 1) assert.ok(!verifyInclusion(leafHash(leaves[index]!), (index + 1) % size, size, path, root));
      if (size < leaves.length) assert.ok(!verifyInclusion(leafHash(leaves[index]!), index, size + 1, path, tree.root(size + 1)));
      if (path.length > 0) {
        const bent = path.map((p, i) => (i === path.length - 1 ? Buffer.from(p).fill(7, 0, 1) : p));
        assert.ok(!verifyInclusion(leafHash(leaves[index]!), index, size, bent, root));
        assert.ok(!verifyInclusion(leafHash(leaves[index]!), index, size, path.slice(0, -1), root));
      }
    }
  }
});

test('every consistency proof verifies, and fails for a rewritten history', () => {
  const leaves = Array.from({ length: 34 }, (_, i) => Buffer.from(`entry ${i}`));
  const tree = treeOf(leaves);
  const rewritten = treeOf(leaves.map((leaf, i) => (i === 5 ? Buffer.from('rewritten') : leaf)));
  for (let second = 0; second <= leaves.length; second++) {
    for (let first = 0; first <= second; first++) {
      const proof = tree.consistencyProof(first, second);
      assert.ok(verifyConsistency(first, second, tree.root(first), tree.root(second), proof), `${first} → ${second}`);
      if (first > 5 && first < second) {
        // A log that changed entry 5 cannot prove it extends the honest one, nor the reverse.
        assert.ok(!verifyConsistency(first, second, tree.root(first), rewritten.root(second), proof));
        assert.ok(!verifyConsistency(first, second, rewritten.root(first), tree.root(second), rewritten.consistencyProof(first, second)));
      }
      if (first > 0 && first < second) {
        assert.ok(!verifyConsistency(first, second, tree.root(first), tree.root(second), proof.slice(1)));
        assert.ok(!verifyConsistency(first - 1, second, tree.root(first), tree.root(second), proof));
      }
    }
  }
});

test('bad sizes and indexes are typed errors, not crashes', () => {
  const tree = treeOf([Buffer.from('a'), Buffer.from('b')]);
  assert.throws(() => tree.root(3), { code: 'BCDB_INVALID_PROOF' });
  assert.throws(() => tree.inclusionProof(2, 2), { code: 'BCDB_INVALID_PROOF' });
  assert.throws(() => tree.consistencyProof(3, 2), { code: 'BCDB_INVALID_PROOF' });
  assert.throws(() => tree.append(new Uint8Array(31)), { code: 'BCDB_INVALID_PROOF' });
  assert.ok(!verifyInclusion(leafHash(Buffer.from('a')), -1, 2, [], tree.root()));
  assert.ok(!verifyInclusion(leafHash(Buffer.from('a')), 0, 2, [new Uint8Array(5)], tree.root()));
  assert.ok(!verifyConsistency(1, 2, tree.root(1), tree.root(2), [new Uint8Array(3)]));
});
