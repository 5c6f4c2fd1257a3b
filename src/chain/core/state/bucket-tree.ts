// A binary Merkle tree over a table's 2^bits bucket hashes, kept in one flat array and updated
// only along the paths of dirty buckets. Convention that makes a fresh (all-zero) array valid with
// no set-up work: an empty bucket hashes to 32 zero bytes, and a node whose two children are
// both zero is zero; any other node is SHA-256(0x01 ‖ left ‖ right).
import { hash } from 'node:crypto';
import { assert } from '../../../base/index.ts';

const hashBytes = 32;
export const bucketBitsMax = 16;

export class BucketTree {
  readonly bits: number;
  // Node i (1 = root) lives at [32 i, 32 i + 32); leaves are nodes 2^bits … 2^(bits+1) − 1.
  readonly #nodes: Uint8Array;
  #dirty: number[] = [];
  /** 0x01 ‖ left ‖ right, reused for every node. */
  readonly #scratch = new Uint8Array(1 + 2 * hashBytes);

  constructor(bits: number) {
    assert(Number.isInteger(bits) && bits >= 0 && bits <= bucketBitsMax, 'bucket bits in 0..16');
    this.bits = bits;
    this.#nodes = new Uint8Array(hashBytes * 2 ** (bits + 1));
  }

  setLeaf(bucket: number, hash: Uint8Array): void {
    assert(hash.length === hashBytes, 'leaf hash is 32 bytes');
    const node = 2 ** this.bits + bucket;
    this.#nodes.set(hash, node * hashBytes);
    this.#dirty.push(node); // duplicates are skipped in root(), once sorted
  }

  /** Recomputes the parents of every leaf set since the last call; returns the root (a copy). */
  root(): Uint8Array {
    let level = this.#dirty.sort((a, b) => a - b);
    this.#dirty = [];
    while (level.length > 0 && level[0] !== 1) {
      const parents: number[] = [];
      let last = -1;
      for (const node of level) {
        const parent = node >>> 1;
        if (parent === last) continue;
        // Parents of a sorted level come out sorted, so a duplicate is always the previous one.
        last = parent;
        parents.push(parent);
        this.#hashNode(parent);
      }
      level = parents;
    }
    return this.#nodes.slice(hashBytes, 2 * hashBytes);
  }

  #hashNode(node: number): void {
    const left = this.#nodes.subarray(2 * node * hashBytes, (2 * node + 1) * hashBytes);
    const right = this.#nodes.subarray((2 * node + 1) * hashBytes, (2 * node + 2) * hashBytes);
    const target = node * hashBytes;
    if (isZero(left) && isZero(right)) {
      this.#nodes.fill(0, target, target + hashBytes);
      return;
    }
    this.#scratch[0] = 1;
    this.#scratch.set(left, 1);
    this.#scratch.set(right, 1 + hashBytes);
    this.#nodes.set(hash('sha256', this.#scratch, 'buffer'), target);
  }
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
