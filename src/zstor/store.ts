// Storing a stream: cut into segments (never the whole file in memory), each sealed, split,
// erasure-coded and written with up to `segmentsInFlightMax` segments in flight (the next one
// sealed meanwhile); metadata is
// written only after every shard is acknowledged, so a crash leaves orphan shards at worst,
// never metadata that points at shards which do not exist.
import { BufferRecycler, TfgridError } from '../base/index.ts';
import { placementGroups, backendState, type PipelineContext } from './context.ts';
import { fileKey, keyCheck, newFileId, shardChecksumFor, type ShardChecksum } from './crypto.ts';
import { ZstorError } from './errors.ts';
import { inlineHash, type FileHash } from './hash-thread.ts';
import type { FileMeta, SegmentMeta, ShardRef } from './meta-codec.ts';
import { place } from './placement.ts';
import { sealSegment } from './segment.ts';
import { shardHeaderBytes, writeShardHeader } from './shard.ts';

/** Segments whose shards are being written at once (one more is sealed ahead): the raw reference in bench/zstor writes as many shards at once. */
export const segmentsInFlightMax = 3;
/** Attempts per segment: each failed backend is excluded and its shards placed elsewhere. */
const placementAttemptsMax = 4;
/** New files get GMAC shard checksums (metadata version 3; see crypto.ts). */
const shardChecksumAlgorithm = 'gmac';
export const fileKeyCheckDomain = 'tfgrid-zstor-file-key-check-v1';

export interface Progress {
  readonly bytes: number;
  readonly segments: number;
}

type BackendState = Map<string, { available: boolean; freeBytes: number }>;

/** Yields `segmentBytes` pieces of the stream (the last one shorter, none for an empty stream). */
export async function* segmentsOf(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, segmentBytes: number, allocate: (bytes: number) => Buffer = (bytes) => Buffer.allocUnsafe(bytes)): AsyncGenerator<Buffer> {
  let current = allocate(segmentBytes);
  let filled = 0;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(segmentBytes - filled, chunk.length - at);
      current.set(chunk.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === segmentBytes) {
        yield current;
        current = allocate(segmentBytes);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield current.subarray(0, filled);
}

export async function storeStream(ctx: PipelineContext, name: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: { onProgress?: (p: Progress) => void; segmentsMax: number }): Promise<FileMeta> {
  const { config } = ctx;
  const state = await backendState(ctx);
  const fileId = newFileId();
  const key = fileKey(config.masterKey, fileId);
  const checksum = shardChecksumFor(shardChecksumAlgorithm, config.masterKey, fileId);
  let hash: FileHash | null = null;
  // Enough for the segments in flight, the one sealed ahead, the one being read and their shards.
  const buffers = new BufferRecycler((segmentsInFlightMax + 2) * (config.dataShards + config.parityShards));
  const inFlight: Promise<SegmentMeta>[] = [];
  const segments: SegmentMeta[] = [];
  let sizeBytes = 0;
  let index = 0;
  const settle = async () => {
    segments.push(await inFlight.shift()!);
    options.onProgress?.({ bytes: segments.reduce((a, s) => a + s.plainBytes, 0), segments: segments.length });
  };
  try {
    for await (const plain of segmentsOf(source, config.segmentBytes, (bytes) => buffers.take(bytes))) {
      if (index >= options.segmentsMax) throw new TfgridError(ZstorError.TOO_LARGE, `${name}: more than ${options.segmentsMax} segments of ${config.segmentBytes} bytes do not fit in one metadata record`);
      // A first segment shorter than a whole one is the only one; a whole one may have more.
      hash ??= ctx.hashes.forFile(plain.length < config.segmentBytes ? plain.length : Infinity, config.segmentBytes);
      await hash.update(plain);
      sizeBytes += plain.length;
      // Sealed before waiting for a free slot, so that a slot is refilled at once: the servers
      // do not wait for this segment's hashing, encryption and coding (one more segment of
      // shards in memory; no more writes in flight).
      const shards = await sealShards(ctx, buffers, plain, { key, fileId, segment: index++ });
      if (inFlight.length >= segmentsInFlightMax) await settle();
      const work = writeSegment(ctx, state, buffers, shards, checksum);
      work.catch(() => undefined); // awaited in order by settle(); this keeps a later failure from being "unhandled" meanwhile
      inFlight.push(work);
    }
    while (inFlight.length > 0) await settle();
  } catch (error) {
    hash?.abort();
    await Promise.allSettled(inFlight);
    if (error instanceof TfgridError) throw error;
    throw new TfgridError(ZstorError.IO_FAILED, `${name}: reading the input failed: ${(error as Error).message}`, { cause: error });
  }
  return {
    name, fileId, sizeBytes, checksum: await (hash ?? inlineHash()).digest(), keyCheck: keyCheck(key, fileKeyCheckDomain),
    dataShards: config.dataShards, parityShards: config.parityShards, segmentBytes: config.segmentBytes,
    compression: config.compression.algorithm, createdMs: Date.now(), segments, shardChecksum: shardChecksumAlgorithm,
  };
}

interface SealedShards {
  readonly segment: number;
  readonly plainBytes: number;
  readonly blobBytes: number;
  readonly values: Buffer[];
}

/** The segment's shard values, ready to write. */
async function sealShards(ctx: PipelineContext, buffers: BufferRecycler, plain: Buffer, seg: { key: Buffer; fileId: Buffer; segment: number }): Promise<SealedShards> {
  const { config, rs } = ctx;
  // Shard values are laid out once, header room first: sealing and parity write into them in place.
  const take = (bytes: number) => buffers.take(bytes);
  const sealed = await sealSegment(plain, seg, config.compression, { dataShards: config.dataShards, headroom: shardHeaderBytes, take });
  buffers.give(plain);
  const parity = Array.from({ length: config.parityShards }, () => take(shardHeaderBytes + sealed.shardBytes));
  rs.encodeInto(sealed.parts.map((v) => v.subarray(shardHeaderBytes)), parity.map((v) => v.subarray(shardHeaderBytes)));
  const values = [...sealed.parts, ...parity].map((value, index) => writeShardHeader({ index, dataShards: config.dataShards, parityShards: config.parityShards, segment: seg.segment, fileId: seg.fileId }, value));
  return { segment: seg.segment, plainBytes: plain.length, blobBytes: sealed.blobBytes, values };
}

async function writeSegment(ctx: PipelineContext, state: BackendState, buffers: BufferRecycler, { segment, plainBytes, blobBytes, values }: SealedShards, checksum: ShardChecksum): Promise<SegmentMeta> {
  const refs = await writeShards(ctx, state, values, new Map(), (value, i) => checksum(value, segment, i));
  // Every value is acknowledged, so no socket holds one any more (a failed call's connection was
  // destroyed with its unsent bytes, or its server answered after reading them all).
  for (const value of values) buffers.give(value);
  return { plainBytes, blobBytes, shards: refs };
}

/**
 * Writes the shards at the indices not yet in `placed` (index → ref of a shard already stored),
 * choosing backends with place(); a backend that fails is marked unavailable and its shards go
 * elsewhere on the next attempt. Returns every shard's ref in index order.
 */
export async function writeShards(ctx: PipelineContext, state: BackendState, values: readonly Buffer[], placed: Map<number, ShardRef>, checksumOf: (value: Buffer, index: number) => Buffer): Promise<ShardRef[]> {
  const policy = { dataShards: ctx.config.dataShards, parityShards: ctx.config.parityShards, redundantGroups: ctx.config.redundantGroups, redundantNodes: ctx.config.redundantNodes };
  let lastError: unknown;
  for (let attempt = 0; attempt < placementAttemptsMax; attempt++) {
    const todo = values.flatMap((_, i) => (placed.has(i) ? [] : [i]));
    if (todo.length === 0) break;
    const shardBytes = values[todo[0]!]!.length;
    const fixed = [...placed.values()].map((r) => r.backend);
    const chosen = place({ groups: placementGroups(ctx.config, state), policy, shardCount: todo.length, shardBytes, fixed });
    for (const id of chosen) state.get(id)!.freeBytes -= shardBytes;
    const results = await Promise.allSettled(todo.map((i, j) => ctx.pool.use(ctx.backends.get(chosen[j]!)!, (c) => c.set(null, values[i]!))));
    results.forEach((result, j) => {
      const i = todo[j]!;
      const id = chosen[j]!;
      if (result.status === 'fulfilled' && result.value !== null && result.value.length === 8) {
        placed.set(i, { backend: id, key: result.value, checksum: checksumOf(values[i]!, i) });
        return;
      }
      lastError = result.status === 'rejected' ? result.reason : new Error(`${id} did not return a sequential id`);
      ctx.log?.warn('shard write failed: backend excluded', { backend: id, error: lastError });
      const entry = state.get(id)!;
      entry.available = false;
      entry.freeBytes += shardBytes;
    });
  }
  if (placed.size !== values.length) {
    throw new TfgridError(ZstorError.PLACEMENT_IMPOSSIBLE, `could not write ${values.length - placed.size} shard(s) after ${placementAttemptsMax} attempts: ${(lastError as Error | undefined)?.message ?? 'no backend'}`, { cause: lastError });
  }
  return values.map((_, i) => placed.get(i)!);
}
