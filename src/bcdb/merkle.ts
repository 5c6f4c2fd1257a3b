// The verifiable log under BCDB: an RFC 9162 (Certificate Transparency v2) Merkle tree over the
// stored records, with inclusion and consistency proofs and their verifiers. Pure: no I/O.
//
// Leaves hash as SHA-256(0x00 || record), nodes as SHA-256(0x01 || left || right); a tree of n
// leaves splits at the largest power of two below n. The tree keeps every complete (perfect)
// subtree hash, level by level, in flat buffers: 2 × 32 bytes per leaf, and any root or proof
// for any past size is O(log n) hashes, because complete subtrees never change.
import { createHash } from 'node:crypto';
import { TfgridError } from '../base/index.ts';
import { BcdbError } from './errors.ts';

export const merkleHashBytes = 32;

export function leafHash(record: Uint8Array): Buffer {
  return createHash('sha256').update(leafPrefix).update(record).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(nodePrefix).update(left).update(right).digest();
}

/** The root of the empty tree: SHA-256 of nothing. */
export const emptyRoot: Buffer = createHash('sha256').digest();

const leafPrefix = new Uint8Array([0]);
const nodePrefix = new Uint8Array([1]);

export class MerkleTree {
  /** levels[k] holds the hashes of the complete subtrees of 2^k leaves, left to right. */
  readonly #levels: GrowableHashes[] = [new GrowableHashes()];

  get size(): number {
    return this.#levels[0]!.count;
  }

  /** Appends a leaf by its hash (see leafHash); returns its index. */
  append(hash: Uint8Array): number {
    if (hash.length !== merkleHashBytes) throw new TfgridError(BcdbError.INVALID_PROOF, `a leaf hash has ${merkleHashBytes} bytes, not ${hash.length}`);
    const index = this.size;
    this.#levels[0]!.push(hash);
    // Every time a level gains an even count, a new complete parent exists one level up.
    for (let level = 0, count = index + 1; count % 2 === 0; level++, count /= 2) {
      const below = this.#levels[level]!;
      if (this.#levels[level + 1] === undefined) this.#levels.push(new GrowableHashes());
      this.#levels[level + 1]!.push(nodeHash(below.at(count - 2), below.at(count - 1)));
    }
    return index;
  }

  leaf(index: number): Buffer {
    this.#checkSize(index + 1);
    return this.#levels[0]!.at(index);
  }

  /** The root of the tree as it was at `size` leaves (default: now). */
  root(size = this.size): Buffer {
    this.#checkSize(size);
    return size === 0 ? emptyRoot : this.#range(0, size);
  }

  /** The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 2.1.3.1). */
  inclusionProof(index: number, size = this.size): Buffer[] {
    this.#checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new TfgridError(BcdbError.INVALID_PROOF, `leaf ${index} is not in a tree of ${size}`);
    const path: Buffer[] = [];
    this.#path(index, 0, size, path);
    return path;
  }

  /** The proof that the tree of `first` leaves is a prefix of the tree of `second` (RFC 9162 2.1.4.1). */
  consistencyProof(first: number, second = this.size): Buffer[] {
    this.#checkSize(second);
    if (!Number.isSafeInteger(first) || first < 0 || first > second) throw new TfgridError(BcdbError.INVALID_PROOF, `size ${first} is not within 0..${second}`);
    const proof: Buffer[] = [];
    if (first > 0 && first < second) this.#subproof(first, 0, second, true, proof);
    return proof;
  }

  #path(index: number, start: number, end: number, out: Buffer[]): void {
    const n = end - start;
    if (n === 1) return;
    const k = splitPoint(n);
    if (index < k) {
      this.#path(index, start, start + k, out);
      out.push(this.#range(start + k, end));
    } else {
      this.#path(index - k, start + k, end, out);
      out.push(this.#range(start, start + k));
    }
  }

  #subproof(m: number, start: number, end: number, whole: boolean, out: Buffer[]): void {
    const n = end - start;
    if (m === n) {
      if (!whole) out.push(this.#range(start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.#subproof(m, start, start + k, whole, out);
      out.push(this.#range(start + k, end));
    } else {
      this.#subproof(m - k, start + k, end, false, out);
      out.push(this.#range(start, start + k));
    }
  }

  /** MTH(D[start:end]). Left parts in the RFC recursion are aligned powers of two: cached. */
  #range(start: number, end: number): Buffer {
    const n = end - start;
    if ((n & (n - 1)) === 0 && start % n === 0) return this.#levels[Math.log2(n)]!.at(start / n);
    const k = splitPoint(n);
    return nodeHash(this.#range(start, start + k), this.#range(start + k, end));
  }

  #checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new TfgridError(BcdbError.INVALID_PROOF, `tree size ${size} is beyond the log (${this.size} records)`);
  }
}

/** Checks an audit path: does leaf `index` with `hash` belong to the tree of `size` with `root`? (RFC 9162 2.1.3.2) */
export function verifyInclusion(hash: Uint8Array, index: number, size: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = hash;
  for (const p of path) {
    if (p.length !== merkleHashBytes || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(r).equals(root);
}

/** Checks that the tree (`first`, `firstRoot`) is a prefix of (`second`, `secondRoot`). (RFC 9162 2.1.4.2) */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (proof.some((p) => p.length !== merkleHashBytes)) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  if (first === 0) return proof.length === 0 && Buffer.from(firstRoot).equals(emptyRoot);
  if (proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(fr).equals(firstRoot) && Buffer.from(sr).equals(secondRoot);
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** 32-byte hashes packed in one growing buffer: no object per hash for the GC to walk. */
class GrowableHashes {
  #bytes = Buffer.allocUnsafe(merkleHashBytes * 1024);
  count = 0;

  push(hash: Uint8Array): void {
    if ((this.count + 1) * merkleHashBytes > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(this.#bytes.length * 2);
      this.#bytes.copy(grown, 0, 0, this.count * merkleHashBytes);
      this.#bytes = grown;
    }
    this.#bytes.set(hash, this.count * merkleHashBytes);
    this.count++;
  }

  /** A copy: callers may keep it while the buffer grows. */
  at(index: number): Buffer {
    return Buffer.from(this.#bytes.subarray(index * merkleHashBytes, (index + 1) * merkleHashBytes));
  }
}
