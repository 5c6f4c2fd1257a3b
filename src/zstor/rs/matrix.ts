// Matrices over GF(2^8), with the crate's exact algorithms: the encoding matrix is
// vandermonde(total, data) · inverse(its top data×data square), so its top is the identity (data
// shards are stored as is) and every data×data sub-matrix is invertible (any `data` shards rebuild).
import { gfDiv, gfExp, gfMul } from './gf256.ts';

/** Row-major rows × cols bytes. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

export function matrix(rows: number, cols: number, data = new Uint8Array(rows * cols)): Matrix {
  return { rows, cols, data };
}

export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows[0]?.length ?? 0;
  return matrix(rows.length, cols, Uint8Array.from(rows.flat()));
}

export function toRows(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
}

export function identity(size: number): Matrix {
  const m = matrix(size, size);
  for (let i = 0; i < size; i++) m.data[i * size + i] = 1;
  return m;
}

export function vandermonde(rows: number, cols: number): Matrix {
  const m = matrix(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m.data[r * cols + c] = gfExp(r, c);
  return m;
}

export function multiply(a: Matrix, b: Matrix): Matrix {
  const out = matrix(a.rows, b.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let c = 0; c < b.cols; c++) {
      let value = 0;
      for (let i = 0; i < a.cols; i++) value ^= gfMul(a.data[r * a.cols + i]!, b.data[i * b.cols + c]!);
      out.data[r * b.cols + c] = value;
    }
  }
  return out;
}

/** The given rows of `m`, in the given order. */
export function selectRows(m: Matrix, rows: readonly number[]): Matrix {
  const out = matrix(rows.length, m.cols);
  rows.forEach((r, i) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return out;
}

/** The inverse by Gauss–Jordan elimination on [m | I]; null when m is singular. */
export function invert(m: Matrix): Matrix | null {
  const n = m.rows;
  if (n !== m.cols) throw new Error('assertion failed: only square matrices are inverted');
  const w = 2 * n;
  const work = new Uint8Array(n * w);
  for (let r = 0; r < n; r++) {
    work.set(m.data.subarray(r * n, (r + 1) * n), r * w);
    work[r * w + n + r] = 1;
  }
  const at = (r: number, c: number): number => work[r * w + c]!;
  for (let r = 0; r < n; r++) {
    if (at(r, r) === 0) {
      for (let below = r + 1; below < n; below++) {
        if (at(below, r) !== 0) {
          const row = work.slice(r * w, (r + 1) * w);
          work.copyWithin(r * w, below * w, (below + 1) * w);
          work.set(row, below * w);
          break;
        }
      }
    }
    if (at(r, r) === 0) return null;
    if (at(r, r) !== 1) {
      const scale = gfDiv(1, at(r, r));
      for (let c = 0; c < w; c++) work[r * w + c] = gfMul(scale, at(r, c));
    }
    for (let other = 0; other < n; other++) {
      const factor = at(other, r);
      if (other === r || factor === 0) continue;
      for (let c = 0; c < w; c++) work[other * w + c] = at(other, c) ^ gfMul(factor, at(r, c));
    }
  }
  const out = matrix(n, n);
  for (let r = 0; r < n; r++) out.data.set(work.subarray(r * w + n, (r + 1) * w), r * n);
  return out;
}

/** The crate's encoding matrix: total × data, identity on top. */
export function encodingMatrix(dataShards: number, totalShards: number): Matrix {
  const v = vandermonde(totalShards, dataShards);
  const top = invert(selectRows(v, Array.from({ length: dataShards }, (_, i) => i)));
  if (top === null) throw new Error('assertion failed: a Vandermonde square with distinct rows is invertible');
  return multiply(v, top);
}
