// The Reed–Solomon kernel in WebAssembly SIMD. GF(2^8) multiplication by a constant c is a
// table lookup per nibble: c·x = L[x & 15] ^ H[x >> 4], with L and H 16-byte tables, so one
// i8x16.swizzle (pshufb on x64) multiplies 16 bytes at once. One function per output count R
// (1..4) keeps the R×2 accumulators in locals (registers): each input vector is loaded and split
// into nibbles once and feeds every output, and each output is written once.
import { MUL } from './gf256.ts';
import type { RsKernel } from './kernel.ts';
import { emitModule, I32, instantiate, op, V128, type FunctionSpec, type WasmInstance, type WasmMemory } from '../../base/wasm.ts';

/** Outputs per call: R accumulators × 2 vectors + 7 temporaries fit x64's 16 vector registers. */
export const outputsPerCallMax = 4;
/** Bytes per loop iteration: two vectors per input. Buffers are padded to it. */
const stepBytes = 32;
const pageBytes = 65536;

/** L then H, 32 bytes per coefficient c. */
const nibbleTables = new Uint8Array(256 * 32);
for (let c = 0; c < 256; c++) {
  for (let x = 0; x < 16; x++) {
    nibbleTables[c * 32 + x] = MUL[c * 256 + x]!;
    nibbleTables[c * 32 + 16 + x] = MUL[c * 256 + (x << 4)]!;
  }
}

// Parameters: tables, inPtrs, nInputs, outPtrs, length (a multiple of stepBytes).
const [pTables, pInPtrs, pInputs, pOutPtrs, pLength] = [0, 1, 2, 3, 4];
// Locals after the parameters.
const [lPos, lI, lT, lIp, lBase] = [5, 6, 7, 8, 9];
const [lMask, lLo0, lHi0, lLo1, lHi1, lV0, lV1, lTl, lTh] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
const lAcc = 19;

function codeFunction(outputs: number, swizzle: number[]): FunctionSpec {
  const acc = (r: number, u: number) => lAcc + r * 2 + u;
  const nibbles = (v: number, lo: number, hi: number) => [
    ...op.get(v), ...op.get(lMask), ...op.v128And, ...op.set(lo),
    ...op.get(v), ...op.i32Const(4), ...op.i16x8ShrU, ...op.get(lMask), ...op.v128And, ...op.set(hi),
  ];
  const multiplyAdd = (r: number, u: number, lo: number, hi: number) => [
    ...op.get(acc(r, u)), ...op.get(lTl), ...op.get(lo), ...swizzle, ...op.v128Xor,
    ...op.get(lTh), ...op.get(hi), ...swizzle, ...op.v128Xor, ...op.set(acc(r, u)),
  ];
  const perOutput = (fn: (r: number) => number[]) => Array.from({ length: outputs }, (_, r) => fn(r)).flat();
  const body = [
    ...op.v128Const(new Array<number>(16).fill(0x0f)), ...op.set(lMask),
    ...op.i32Const(0), ...op.set(lPos),
    ...op.block, ...op.loop,
    ...op.get(lPos), ...op.get(pLength), ...op.i32GeU, ...op.brIf(1),
    ...perOutput((r) => [...op.v128Const(new Array<number>(16).fill(0)), ...op.set(acc(r, 0)), ...op.get(acc(r, 0)), ...op.set(acc(r, 1))]),
    ...op.get(pTables), ...op.set(lT), ...op.get(pInPtrs), ...op.set(lIp), ...op.get(pInputs), ...op.set(lI),
    ...op.block, ...op.loop,
    ...op.get(lI), ...op.i32Eqz, ...op.brIf(1),
    ...op.get(lIp), ...op.i32Load(0), ...op.get(lPos), ...op.i32Add, ...op.set(lBase),
    ...op.get(lBase), ...op.v128Load(0), ...op.set(lV0), ...op.get(lBase), ...op.v128Load(16), ...op.set(lV1),
    ...nibbles(lV0, lLo0, lHi0), ...nibbles(lV1, lLo1, lHi1),
    ...perOutput((r) => [
      ...op.get(lT), ...op.v128Load(r * 32), ...op.set(lTl), ...op.get(lT), ...op.v128Load(r * 32 + 16), ...op.set(lTh),
      ...multiplyAdd(r, 0, lLo0, lHi0), ...multiplyAdd(r, 1, lLo1, lHi1),
    ]),
    ...op.get(lT), ...op.i32Const(32 * outputs), ...op.i32Add, ...op.set(lT),
    ...op.get(lIp), ...op.i32Const(4), ...op.i32Add, ...op.set(lIp),
    ...op.get(lI), ...op.i32Const(1), ...op.i32Sub, ...op.set(lI),
    ...op.br(0), ...op.end, ...op.end,
    ...perOutput((r) => [
      ...op.get(pOutPtrs), ...op.i32Load(r * 4), ...op.get(lPos), ...op.i32Add, ...op.set(lBase),
      ...op.get(lBase), ...op.get(acc(r, 0)), ...op.v128Store(0), ...op.get(lBase), ...op.get(acc(r, 1)), ...op.v128Store(16),
    ]),
    ...op.get(lPos), ...op.i32Const(stepBytes), ...op.i32Add, ...op.set(lPos),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return { exportName: `code${outputs}`, params: [I32, I32, I32, I32, I32], locals: [[5, I32], [9 + outputs * 2, V128]], body };
}

/** The module's bytes; `relaxed` uses i8x16.relaxed_swizzle (one instruction on x64). */
export function kernelModuleBytes(relaxed: boolean): Uint8Array {
  const swizzle = relaxed ? op.relaxedSwizzle : op.swizzle;
  return emitModule(Array.from({ length: outputsPerCallMax }, (_, i) => codeFunction(i + 1, swizzle)), 1);
}

type CodeFn = (tables: number, inPtrs: number, inputs: number, outPtrs: number, length: number) => void;

/** The SIMD kernel, or null where WebAssembly SIMD is unavailable (callers fall back to tsKernel). */
export function createWasmKernel(options: { relaxed?: boolean } = {}): RsKernel | null {
  const candidates = options.relaxed === false ? [false] : [true, false];
  for (const relaxed of candidates) {
    const instance = instantiate(kernelModuleBytes(relaxed));
    if (instance !== null) return wasmKernel(instance, relaxed ? 'wasm-simd-relaxed' : 'wasm-simd');
  }
  return null;
}

function wasmKernel(instance: WasmInstance, name: string): RsKernel {
  const memory = instance.exports['memory'] as WasmMemory;
  const fns = Array.from({ length: outputsPerCallMax }, (_, i) => instance.exports[`code${i + 1}`] as CodeFn);
  const align = (n: number) => Math.ceil(n / stepBytes) * stepBytes;
  return {
    name,
    code(coefficients, inputs, outputs, length) {
      if (outputs.length === 0) return;
      const n = inputs.length;
      const padded = align(length);
      // Layout: tables | input pointers | output pointers | inputs | outputs.
      const tablesAt = 0;
      const inPtrsAt = align(tablesAt + n * outputsPerCallMax * 32);
      const outPtrsAt = align(inPtrsAt + 4 * n);
      const inputsAt = align(outPtrsAt + 4 * outputsPerCallMax);
      const outputsAt = inputsAt + n * padded;
      const end = outputsAt + outputsPerCallMax * padded;
      if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / pageBytes));
      const bytes = new Uint8Array(memory.buffer);
      const words = new Uint32Array(memory.buffer);
      inputs.forEach((input, i) => {
        const at = inputsAt + i * padded;
        bytes.set(input.subarray(0, length), at);
        bytes.fill(0, at + length, at + padded);
        words[(inPtrsAt >> 2) + i] = at;
      });
      for (let r = 0; r < outputsPerCallMax; r++) words[(outPtrsAt >> 2) + r] = outputsAt + r * padded;
      for (let first = 0; first < outputs.length; first += outputsPerCallMax) {
        const count = Math.min(outputsPerCallMax, outputs.length - first);
        for (let i = 0; i < n; i++) {
          for (let r = 0; r < count; r++) {
            const c = coefficients[(first + r) * n + i]!;
            bytes.set(nibbleTables.subarray(c * 32, c * 32 + 32), tablesAt + (i * count + r) * 32);
          }
        }
        fns[count - 1]!(tablesAt, inPtrsAt, n, outPtrsAt, padded);
        for (let r = 0; r < count; r++) outputs[first + r]!.set(bytes.subarray(outputsAt + r * padded, outputsAt + r * padded + length));
      }
    },
  };
}
