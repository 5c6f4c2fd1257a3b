// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) exactly as 0-db computes it: initial
// value 0 and NO final xor (0-db chains the SSE4.2 `crc32` instruction from 0). This is not the
// standard CRC-32C ("123456789" → 0x58e3fa20 here, 0xe3069283 in the standard). It covers only the
// value bytes of an entry. Slicing-by-8 because SET and GET compute it on every value.

const POLYNOMIAL = 0x82f63b78;
const TABLES = buildTables();

function buildTables(): Int32Array[] {
  const tables: Int32Array[] = [];
  const first = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    first[n] = c;
  }
  tables.push(first);
  for (let t = 1; t < 8; t++) {
    const previous = tables[t - 1]!;
    const table = new Int32Array(256);
    for (let n = 0; n < 256; n++) table[n] = (previous[n]! >>> 8) ^ first[previous[n]! & 0xff]!;
    tables.push(table);
  }
  return tables;
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];

/** 0-db's CRC of `bytes` (unsigned 32-bit). `start`/`end` select a range without copying. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  let i = start;
  const stop8 = end - 8;
  while (i <= stop8) {
    const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ crc;
    crc =
      T7[a & 0xff]! ^ T6[(a >>> 8) & 0xff]! ^ T5[(a >>> 16) & 0xff]! ^ T4[a >>> 24]! ^
      T3[bytes[i + 4]!]! ^ T2[bytes[i + 5]!]! ^ T1[bytes[i + 6]!]! ^ T0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = T0[(crc ^ bytes[i++]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}
