// Reed–Solomon erasure coding over GF(2^8), byte-identical to the Rust `reed-solomon-erasure`
// crate (galois_8) that 0-stor uses: same field, same encoding matrix, so parity shards match
// and either side can rebuild the other's data. Pure: no I/O; the arithmetic is in a kernel.
import { TfgridError } from '../../base/index.ts';
import { ZstorError } from '../errors.ts';
import { tsKernel, type RsKernel } from './kernel.ts';
import { createWasmKernel } from './wasm-kernel.ts';
import { encodingMatrix, invert, selectRows, type Matrix } from './matrix.ts';

/** GF(2^8) has 256 elements: at most 256 shards in total (the crate's limit). */
export const totalShardsMax = 256;
const decodeCacheMax = 64;

let defaultKernel: RsKernel | undefined;

/** The SIMD kernel where WebAssembly SIMD works, else the TypeScript one; TFGRID_ZSTOR_KERNEL=ts forces the latter. */
export function bestKernel(): RsKernel {
  defaultKernel ??= process.env['TFGRID_ZSTOR_KERNEL'] === 'ts' ? tsKernel : (createWasmKernel() ?? tsKernel);
  return defaultKernel;
}

export class ReedSolomon {
  readonly dataShards: number;
  readonly parityShards: number;
  readonly kernel: RsKernel;
  private readonly matrix: Matrix;
  private readonly parityRows: Uint8Array;
  private readonly decodeCache = new Map<string, Matrix>();

  constructor(dataShards: number, parityShards: number, kernel: RsKernel = bestKernel()) {
    if (!Number.isInteger(dataShards) || !Number.isInteger(parityShards) || dataShards < 1 || parityShards < 1 || dataShards + parityShards > totalShardsMax) {
      throw new TfgridError(ZstorError.INVALID_ARGUMENT, `Reed–Solomon needs 1 ≤ data, 1 ≤ parity and data + parity ≤ ${totalShardsMax} (got ${dataShards} + ${parityShards})`);
    }
    this.dataShards = dataShards;
    this.parityShards = parityShards;
    this.kernel = kernel;
    this.matrix = encodingMatrix(dataShards, dataShards + parityShards);
    this.parityRows = this.matrix.data.slice(dataShards * dataShards);
  }

  get totalShards(): number {
    return this.dataShards + this.parityShards;
  }

  /** The parity shards of `data` (dataShards buffers of one length). */
  encode(data: readonly Uint8Array[]): Uint8Array[] {
    const length = this.checkLengths(data);
    const parity = Array.from({ length: this.parityShards }, () => new Uint8Array(length));
    this.kernel.code(this.parityRows, data, parity, length);
    return parity;
  }

  /** encode() into `parity` (parityShards buffers of the data's length, e.g. views into shard values: no copy afterwards). */
  encodeInto(data: readonly Uint8Array[], parity: readonly Uint8Array[]): void {
    const length = this.checkLengths(data);
    if (parity.length !== this.parityShards || parity.some((p) => p.length !== length)) {
      throw new TfgridError(ZstorError.INVALID_ARGUMENT, `expected ${this.parityShards} parity buffers of ${length} bytes`);
    }
    this.kernel.code(this.parityRows, data, parity, length);
  }

  /**
   * Fills in the missing (null) shards from any dataShards present ones, as the crate's
   * reconstruct() does (it uses the first dataShards present, in index order). Returns every
   * shard; throws ZSTOR_SHARDS_LOST when fewer than dataShards are present.
   */
  reconstruct(shards: readonly (Uint8Array | null)[]): Uint8Array[] {
    if (shards.length !== this.totalShards) throw new TfgridError(ZstorError.INVALID_ARGUMENT, `expected ${this.totalShards} shards, got ${shards.length}`);
    const present = shards.flatMap((s, i) => (s === null ? [] : [i]));
    if (present.length < this.dataShards) throw new TfgridError(ZstorError.SHARDS_LOST, `${present.length} of ${this.totalShards} shards present, ${this.dataShards} needed`);
    const length = this.checkLengths(present.map((i) => shards[i]!));
    const out = shards.slice();
    const missingData = out.slice(0, this.dataShards).flatMap((s, i) => (s === null ? [i] : []));
    if (missingData.length > 0) {
      const valid = present.slice(0, this.dataShards);
      const decode = this.decodeMatrix(valid);
      const rows = selectRows(decode, missingData).data;
      const rebuilt = missingData.map(() => new Uint8Array(length));
      this.kernel.code(rows, valid.map((i) => out[i]!), rebuilt, length);
      missingData.forEach((index, j) => (out[index] = rebuilt[j]!));
    }
    const missingParity = out.slice(this.dataShards).flatMap((s, i) => (s === null ? [i] : []));
    if (missingParity.length > 0) {
      const rows = selectRows(this.matrix, missingParity.map((p) => this.dataShards + p)).data;
      const rebuilt = missingParity.map(() => new Uint8Array(length));
      this.kernel.code(rows, out.slice(0, this.dataShards) as Uint8Array[], rebuilt, length);
      missingParity.forEach((p, j) => (out[this.dataShards + p] = rebuilt[j]!));
    }
    return out as Uint8Array[];
  }

  /** Whether the parity shards are those of the data shards. */
  verify(shards: readonly Uint8Array[]): boolean {
    const parity = this.encode(shards.slice(0, this.dataShards));
    return parity.every((p, i) => Buffer.compare(p, shards[this.dataShards + i]!) === 0);
  }

  private decodeMatrix(valid: readonly number[]): Matrix {
    const key = valid.join(',');
    let decode = this.decodeCache.get(key);
    if (decode === undefined) {
      const inverse = invert(selectRows(this.matrix, valid));
      if (inverse === null) throw new Error('assertion failed: every data×data sub-matrix of the encoding matrix is invertible');
      decode = inverse;
      if (this.decodeCache.size >= decodeCacheMax) this.decodeCache.delete(this.decodeCache.keys().next().value!);
      this.decodeCache.set(key, decode);
    }
    return decode;
  }

  private checkLengths(shards: readonly Uint8Array[]): number {
    const length = shards[0]?.length ?? 0;
    if (shards.length < this.dataShards || shards.some((s) => s.length !== length)) {
      throw new TfgridError(ZstorError.INVALID_ARGUMENT, 'shards must all have the same length');
    }
    return length;
  }
}
