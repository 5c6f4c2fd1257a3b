// A tiny WebAssembly binary writer and loader, for the few hot loops that run several times
// faster as WebAssembly (zstor's Reed–Solomon kernel, zdb's CRC-32C): one memory, i32/v128
// functions. Kernels are emitted at run time by code rather than shipped as opaque blobs, so
// they can be read, reviewed and specialised, and no toolchain is needed to build them.

export const I32 = 0x7f;
export const V128 = 0x7b;

export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function vector(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

/** Instruction helpers (opcodes from the core and SIMD specifications). */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  get: (index: number): number[] => [0x20, ...uleb(index)],
  set: (index: number): number[] => [0x21, ...uleb(index)],
  tee: (index: number): number[] => [0x22, ...uleb(index)],
  i32Const: (value: number): number[] => [0x41, ...sleb(value)],
  /** Loads carry an alignment hint (log2 bytes) and a constant offset added to the address. */
  i32Load: (offset: number): number[] => [0x28, 2, ...uleb(offset)],
  i32Load8U: (offset: number): number[] => [0x2d, 0, ...uleb(offset)],
  i32Eqz: [0x45],
  i32LtU: [0x49],
  i32LeU: [0x4d],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32And: [0x71],
  i32Xor: [0x73],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  v128Load: (offset: number): number[] => [0xfd, ...uleb(0x00), 4, ...uleb(offset)],
  v128Store: (offset: number): number[] => [0xfd, ...uleb(0x0b), 4, ...uleb(offset)],
  v128Const: (bytes: readonly number[]): number[] => [0xfd, ...uleb(0x0c), ...bytes],
  swizzle: [0xfd, ...uleb(0x0e)],
  /** Relaxed SIMD: pshufb on x64 without the ≥16 fix-up; our indices are always < 16. */
  relaxedSwizzle: [0xfd, ...uleb(0x100)],
  v128And: [0xfd, ...uleb(0x4e)],
  v128Xor: [0xfd, ...uleb(0x51)],
  i16x8ShrU: [0xfd, ...uleb(0x8d)],
};

export interface FunctionSpec {
  exportName: string;
  params: number[];
  /** Result types; none when absent. */
  results?: number[];
  /** [count, type] groups. */
  locals: [number, number][];
  body: number[];
}

/** A module with one exported, growable memory ("memory") and the given exported functions. */
export function emitModule(functions: readonly FunctionSpec[], memoryPagesMin: number): Uint8Array {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((p) => [p])), ...vector((f.results ?? []).map((r) => [r]))]);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const exports = [[...name('memory'), 0x02, 0], ...functions.map((f, i) => [...name(f.exportName), 0x00, ...uleb(i)])];
  const bodies = functions.map((f) => {
    const body = [...vector(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...op.end];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    ...header,
    ...section(1, vector(types)),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(5, vector([[0x00, ...uleb(memoryPagesMin)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

// The project's TypeScript lib (es2024, no DOM) has no WebAssembly types: the few calls used here.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => WasmInstance;
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** An instance of `bytes` (compiled synchronously: kernels are small), or null where
 *  WebAssembly, or a feature the module uses (SIMD, relaxed SIMD), is unavailable. */
export function instantiate(bytes: Uint8Array): WasmInstance | null {
  if (wasmApi === undefined || !wasmApi.validate(bytes)) return null;
  return new wasmApi.Instance(new wasmApi.Module(bytes));
}
