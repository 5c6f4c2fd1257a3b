// What the store, retrieve and repair pipelines share: the config, connections, metadata, the
// codec, and shard reads with verification (used by retrieve and scrub alike).
import type { Logger } from '../base/index.ts';
import type { BackendPool } from './backends.ts';
import type { BackendConfig, ZstorConfig } from './config.ts';
import type { ShardChecksum } from './crypto.ts';
import type { HashThread } from './hash-thread.ts';
import type { ShardRef } from './meta-codec.ts';
import type { MetaStore } from './meta-store.ts';
import type { PlacementBackend } from './placement.ts';
import type { ReedSolomon } from './rs/reed-solomon.ts';
import { decodeShard } from './shard.ts';

export interface PipelineContext {
  readonly config: ZstorConfig;
  readonly pool: BackendPool;
  readonly meta: MetaStore;
  readonly rs: ReedSolomon;
  /** The whole-file BLAKE2b of large files, off the pipeline's thread. */
  readonly hashes: HashThread;
  readonly backends: ReadonlyMap<string, BackendConfig>;
  readonly log: Logger | undefined;
}

/** What a read of one shard found. */
export type ShardRead =
  | { readonly kind: 'ok'; readonly payload: Buffer }
  | { readonly kind: 'missing' | 'corrupt' | 'unreachable' | 'unknown-backend'; readonly detail: string };

/** Reads one shard and checks it against its metadata: checksum, then header (index, segment, file). */
export async function readShard(ctx: PipelineContext, ref: ShardRef, expect: { index: number; segment: number; fileId: Buffer; checksum: ShardChecksum }): Promise<ShardRead> {
  const backend = ctx.backends.get(ref.backend);
  if (backend === undefined) return { kind: 'unknown-backend', detail: `${ref.backend} is not in the config` };
  let value: Buffer | null;
  try {
    value = await ctx.pool.use(backend, (c) => c.get(ref.key));
  } catch (error) {
    return { kind: 'unreachable', detail: (error as Error).message };
  }
  if (value === null) return { kind: 'missing', detail: `${ref.backend} has no key ${ref.key.toString('hex')}` };
  if (!expect.checksum(value, expect.segment, expect.index).equals(ref.checksum)) return { kind: 'corrupt', detail: `checksum mismatch on ${ref.backend}` };
  try {
    const { header, payload } = decodeShard(value);
    if (header.index !== expect.index || header.segment !== expect.segment || !expect.fileId.equals(header.fileId)) {
      return { kind: 'corrupt', detail: `header names another shard on ${ref.backend}` };
    }
    return { kind: 'ok', payload };
  } catch (error) {
    return { kind: 'corrupt', detail: (error as Error).message };
  }
}

/** Placement input from the config's groups and what is known of each backend now. */
export function placementGroups(config: ZstorConfig, state: ReadonlyMap<string, { available: boolean; freeBytes: number }>): PlacementBackend[][] {
  return config.groups.map((group) => group.map((b) => ({ id: b.id, available: state.get(b.id)?.available ?? false, freeBytes: state.get(b.id)?.freeBytes ?? 0 })));
}

/** Probes every data backend: reachable, sequential mode, free space. */
export async function backendState(ctx: PipelineContext): Promise<Map<string, { available: boolean; freeBytes: number }>> {
  const all = ctx.config.groups.flat();
  const health = await Promise.all(all.map((b) => ctx.pool.probe(b)));
  return new Map(health.map((h) => [h.id, { available: h.reachable && h.mode === 'sequential', freeBytes: h.freeBytes }]));
}
