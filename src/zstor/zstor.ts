// The library API (what the 3Bot and the CLI use): store and retrieve streams under a name,
// check, scrub/repair, rebuild, status. One Zstor holds the connections of one config.
import { Readable } from 'node:stream';
import { TfgridError, isTfgridError, type Logger } from '../base/index.ts';
import { BackendPool, type BackendHealth } from './backends.ts';
import { zdbValueBytesMax, type BackendConfig, type ZstorConfig } from './config.ts';
import type { PipelineContext } from './context.ts';
import { ZstorError } from './errors.ts';
import { HashThread } from './hash-thread.ts';
import type { FileMeta } from './meta-codec.ts';
import { metaCodeShape, metaShardHeaderBytes } from './meta-shard.ts';
import { MetaStore } from './meta-store.ts';
import { scrubFile, type ScrubReport } from './repair.ts';
import { keyFor, retrieveSegments } from './retrieve.ts';
import { ReedSolomon } from './rs/reed-solomon.ts';
import { storeStream, type Progress } from './store.ts';
import { checksumBytes } from './crypto.ts';

export interface FileInfo {
  readonly name: string;
  readonly sizeBytes: number;
  /** BLAKE2b-512 of the content, hex. */
  readonly checksum: string;
  readonly segments: number;
  readonly dataShards: number;
  readonly parityShards: number;
  readonly compression: 'zstd' | 'none';
  readonly createdMs: number;
}

export interface ZstorStatus {
  readonly data: readonly (BackendHealth & { group: number })[];
  readonly meta: readonly BackendHealth[];
}

function info(meta: FileMeta): FileInfo {
  const { name, sizeBytes, dataShards, parityShards, compression, createdMs } = meta;
  return { name, sizeBytes, checksum: meta.checksum.toString('hex'), segments: meta.segments.length, dataShards, parityShards, compression, createdMs };
}

export class Zstor {
  private readonly ctx: PipelineContext;
  private readonly pool: BackendPool;
  private closed = false;

  private constructor(ctx: PipelineContext, pool: BackendPool) {
    this.ctx = ctx;
    this.pool = pool;
  }

  static open(config: ZstorConfig, options: { log?: Logger } = {}): Zstor {
    const pool = new BackendPool({ timeoutMs: config.timeoutMs, ...(options.log === undefined ? {} : { log: options.log }) });
    const backends = new Map<string, BackendConfig>(config.groups.flat().map((b) => [b.id, b]));
    const ctx: PipelineContext = { config, pool, meta: new MetaStore(pool, config.meta), rs: new ReedSolomon(config.dataShards, config.parityShards), hashes: new HashThread(), backends, log: options.log };
    return new Zstor(ctx, pool);
  }

  get kernel(): string {
    return this.ctx.rs.kernel.name;
  }

  /** Stores the stream under `name` (replacing what was there once the new copy is complete). */
  async store(name: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: { onProgress?: (p: Progress) => void } = {}): Promise<FileInfo> {
    this.assertOpen();
    checkName(name);
    const previous = await this.ctx.meta.read(name).catch((error: unknown) => {
      // Storing anew does not need the old version; but its shards, if any, stay behind: say so.
      if (!isTfgridError(error, ZstorError.NOT_FOUND)) this.ctx.log?.warn('the previous version could not be read: its shards, if any, are left as orphans', { name, error });
      return null;
    });
    const meta = await storeStream(this.ctx, name, source, { segmentsMax: this.segmentsMax(), ...options });
    await this.ctx.meta.write(meta);
    if (previous !== null) await this.deleteShards(previous);
    return info(meta);
  }

  /**
   * The content as a stream. Metadata and key are checked before it is returned (ZSTOR_NOT_FOUND,
   * ZSTOR_WRONG_KEY, ZSTOR_META_QUORUM_LOST); a segment that cannot be read fails the stream.
   */
  async retrieve(name: string): Promise<Readable> {
    this.assertOpen();
    const meta = await this.ctx.meta.read(name);
    keyFor(this.ctx, meta);
    return Readable.from(retrieveSegments(this.ctx, meta), { objectMode: false });
  }

  /** What the metadata says of a stored file (0-stor's `check`: size and checksum, no data read). */
  async check(name: string): Promise<FileInfo> {
    this.assertOpen();
    return info(await this.ctx.meta.read(name));
  }

  /** Re-reads every shard of `name` (or of every file) and verifies it; with repair, rebuilds bad shards. */
  async scrub(name?: string, options: { repair?: boolean } = {}): Promise<ScrubReport[]> {
    this.assertOpen();
    const metas = name === undefined ? await this.all() : [await this.ctx.meta.read(name)];
    const reports: ScrubReport[] = [];
    for (const meta of metas) {
      keyFor(this.ctx, meta);
      reports.push((await scrubFile(this.ctx, meta, { repair: options.repair ?? true })).report);
    }
    return reports;
  }

  /** Moves `name`'s shards off bad or removed backends onto the current config's healthy ones. */
  async rebuild(name: string): Promise<ScrubReport> {
    const [report] = await this.scrub(name, { repair: true });
    return report!;
  }

  async list(): Promise<FileInfo[]> {
    this.assertOpen();
    return (await this.all()).map(info);
  }

  async status(): Promise<ZstorStatus> {
    this.assertOpen();
    const groups = this.ctx.config.groups;
    const data = await Promise.all(groups.flatMap((g, group) => g.map(async (b) => ({ ...(await this.pool.probe(b)), group }))));
    const meta = await Promise.all(this.ctx.config.meta.backends.map((b) => this.pool.probe(b)));
    return { data, meta };
  }

  close(): void {
    this.closed = true;
    this.pool.close();
    this.ctx.hashes.close();
  }

  private async all(): Promise<FileMeta[]> {
    const keys = await this.ctx.meta.keys();
    return Promise.all(keys.map((k) => this.ctx.meta.readKey(k)));
  }

  /** Old shards of a replaced version (best effort: an unreachable backend keeps an orphan). */
  private async deleteShards(meta: FileMeta): Promise<void> {
    await Promise.allSettled(meta.segments.flatMap((s) => s.shards.map((ref) => {
      const backend = this.ctx.backends.get(ref.backend);
      return backend === undefined ? Promise.resolve(false) : this.pool.use(backend, (c) => c.del(ref.key));
    })));
  }

  /** Segments one metadata record can describe: its shards must fit in a 0-db value. */
  private segmentsMax(): number {
    const { dataShards } = metaCodeShape(this.ctx.config.meta.backends.length);
    const perSegment = 8 + (this.ctx.config.dataShards + this.ctx.config.parityShards) * (2 + 8 + checksumBytes);
    const fixedBytes = 4096 + 4096 + 64 * 1024; // name, header fields, backend table (generous)
    return Math.floor(((zdbValueBytesMax - metaShardHeaderBytes) * dataShards - 28 - fixedBytes) / perSegment);
  }

  private assertOpen(): void {
    if (this.closed) throw new TfgridError(ZstorError.CLOSED, 'this Zstor was closed');
  }
}

function checkName(name: string): void {
  if (name === '' || Buffer.byteLength(name) > 4096) throw new TfgridError(ZstorError.INVALID_ARGUMENT, 'a name has 1 to 4096 bytes');
}
