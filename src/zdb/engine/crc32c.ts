// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) exactly as 0-db computes it: initial
// value 0 and NO final xor (0-db chains the SSE4.2 `crc32` instruction from 0). This is not the
// standard CRC-32C ("123456789" → 0x58e3fa20 here, 0xe3069283 in the standard). It covers only the
// value bytes of an entry. SET and GET compute it on every value, so it is slicing-by-16 over
// little-endian 32-bit words (one 16 KiB table, 16 bytes per step): ~1.8× slicing-by-8 with byte
// loads on 4 KiB values. The same loop in WebAssembly (crc32c-wasm.ts) is ~2× faster again, and
// runs every input from WASM_BYTES_MIN bytes on; shorter ones, or all where WebAssembly is
// missing, take the JavaScript loop.
import { createWasmCrc32c } from './crc32c-wasm.ts';

const POLYNOMIAL = 0x82f63b78;
const SLICES = 16;
/** Table t of the slicing scheme lives at [t * 256, t * 256 + 256): the CRC of a byte followed by t zero bytes. */
const TABLE = buildTable();

function buildTable(): Int32Array {
  const table = new Int32Array(256 * SLICES);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    table[n] = c;
  }
  for (let t = 1; t < SLICES; t++) {
    for (let n = 0; n < 256; n++) {
      const previous = table[(t - 1) * 256 + n]!;
      table[t * 256 + n] = (previous >>> 8) ^ table[previous & 0xff]!;
    }
  }
  return table;
}

/** Below this many bytes the call into WebAssembly and the copy cost more than they save. */
const WASM_BYTES_MIN = 32;
const wasmCrc32c = createWasmCrc32c(TABLE);

/** Which loop crc32c() runs from WASM_BYTES_MIN bytes on (tests compare the two). */
export const crc32cKernel: 'wasm' | 'js' = wasmCrc32c === null ? 'js' : 'wasm';

/**
 * 0-db's CRC of `bytes` (unsigned 32-bit). `start`/`end` select a range without copying.
 * `previous` continues a CRC over data that came before (with no final xor, the CRC of a ‖ b is
 * the CRC of b started from the CRC of a), so big data can be checked a piece at a time.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  if (wasmCrc32c !== null && end - start >= WASM_BYTES_MIN) return wasmCrc32c(bytes, start, end, previous);
  return crc32cJs(bytes, start, end, previous);
}

/** The JavaScript loop (any length; see crc32c()). */
export function crc32cJs(bytes: Uint8Array, start = 0, end = bytes.length, previous = 0): number {
  const T = TABLE;
  let crc = previous | 0;
  let i = start;
  if (end - start >= 16) {
    const words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const stop16 = end - 16;
    while (i <= stop16) {
      const a = words.getInt32(i, true) ^ crc;
      const b = words.getInt32(i + 4, true);
      const c = words.getInt32(i + 8, true);
      const d = words.getInt32(i + 12, true);
      crc =
        T[0xf00 + (a & 0xff)]! ^ T[0xe00 + ((a >>> 8) & 0xff)]! ^ T[0xd00 + ((a >>> 16) & 0xff)]! ^ T[0xc00 + (a >>> 24)]! ^
        T[0xb00 + (b & 0xff)]! ^ T[0xa00 + ((b >>> 8) & 0xff)]! ^ T[0x900 + ((b >>> 16) & 0xff)]! ^ T[0x800 + (b >>> 24)]! ^
        T[0x700 + (c & 0xff)]! ^ T[0x600 + ((c >>> 8) & 0xff)]! ^ T[0x500 + ((c >>> 16) & 0xff)]! ^ T[0x400 + (c >>> 24)]! ^
        T[0x300 + (d & 0xff)]! ^ T[0x200 + ((d >>> 8) & 0xff)]! ^ T[0x100 + ((d >>> 16) & 0xff)]! ^ T[d >>> 24]!;
      i += 16;
    }
  }
  while (i < end) crc = T[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}
