// GF(2^8) arithmetic exactly as the Rust `reed-solomon-erasure` crate builds it (build.rs):
// generating polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d, "29" once the x^8 bit is dropped),
// generator 2. Parity is only byte-identical to 0-stor's if these tables are.

const fieldSize = 256;
const generatingPolynomial = 29;

/** LOG[a] for a != 0 (LOG[0] is unused and 0, as in the crate). */
export const LOG = new Uint8Array(fieldSize);
/** EXP[i] = 2^i, doubled in length so that EXP[LOG[a] + LOG[b]] needs no reduction. */
export const EXP = new Uint8Array(fieldSize * 2 - 2);
/** MUL[a * 256 + b] = a·b. 64 KiB: the pure-TypeScript kernel indexes it directly. */
export const MUL = new Uint8Array(fieldSize * fieldSize);

{
  let b = 1;
  for (let log = 0; log < fieldSize - 1; log++) {
    LOG[b] = log;
    b <<= 1;
    if (b >= fieldSize) b = (b - fieldSize) ^ generatingPolynomial;
  }
  for (let i = 1; i < fieldSize; i++) {
    EXP[LOG[i]!] = i;
    EXP[LOG[i]! + fieldSize - 1] = i;
  }
  for (let a = 1; a < fieldSize; a++) {
    for (let c = 1; c < fieldSize; c++) MUL[a * fieldSize + c] = EXP[LOG[a]! + LOG[c]!]!;
  }
}

export function gfMul(a: number, b: number): number {
  return MUL[a * fieldSize + b]!;
}

export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new Error('assertion failed: GF(2^8) division by zero');
  if (a === 0) return 0;
  let log = LOG[a]! - LOG[b]!;
  if (log < 0) log += 255;
  return EXP[log]!;
}

/** a^n, with a^0 = 1 (also for a = 0), as the crate defines it for the Vandermonde matrix. */
export function gfExp(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return EXP[(LOG[a]! * n) % 255]!;
}
