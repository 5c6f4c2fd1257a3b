// The hot loop of Reed–Solomon: outputs[r] = Σ_i c[r][i] · inputs[i] over GF(2^8), byte by byte.
// Two implementations with one contract (kernel.test.ts runs both on the same inputs): a pure
// TypeScript one (portable, ~0.2 GB/s) and a WebAssembly SIMD one (wasm-kernel.ts).
import { MUL } from './gf256.ts';

export interface RsKernel {
  readonly name: string;
  /**
   * Writes outputs[r][0..length) = Σ_i coefficients[r * inputs.length + i] · inputs[i][p].
   * Every input and output holds at least `length` bytes; outputs never alias inputs.
   */
  code(coefficients: Uint8Array, inputs: readonly Uint8Array[], outputs: readonly Uint8Array[], length: number): void;
}

export const tsKernel: RsKernel = {
  name: 'ts',
  code(coefficients, inputs, outputs, length) {
    const n = inputs.length;
    outputs.forEach((out, r) => {
      let written = false;
      for (let i = 0; i < n; i++) {
        const c = coefficients[r * n + i]!;
        if (c === 0) continue;
        const input = inputs[i]!;
        // One 256-byte row of the product table per coefficient: a lookup per byte.
        const row = MUL.subarray(c * 256, c * 256 + 256);
        if (!written) for (let p = 0; p < length; p++) out[p] = row[input[p]!]!;
        else for (let p = 0; p < length; p++) out[p]! ^= row[input[p]!]!;
        written = true;
      }
      if (!written) out.fill(0, 0, length);
    });
  },
};
