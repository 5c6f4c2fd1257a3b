// Scrub and repair: re-read every shard of a file and check it; rebuild those that are missing,
// corrupt, unreachable or on a backend no longer in the config from the intact ones, write them
// to healthy backends chosen by place() (the segment's other shards stay where they are), and
// write the updated metadata once per file. 0-stor repairs only when a backend is down and never
// re-reads shards; this finds bit rot and lying backends too.
import { readShard, backendState, type PipelineContext } from './context.ts';
import { shardChecksumFor } from './crypto.ts';
import type { FileMeta, SegmentMeta, ShardRef } from './meta-codec.ts';
import { codecFor } from './retrieve.ts';
import { encodeShard } from './shard.ts';
import { writeShards } from './store.ts';

export interface ScrubReport {
  readonly name: string;
  readonly segments: number;
  readonly shardsChecked: number;
  /** Shards found missing, corrupt, unreachable or on a backend not in the config. */
  readonly shardsBad: number;
  readonly shardsRepaired: number;
  /** Segments with fewer than dataShards intact shards: unreadable until backends come back. */
  readonly segmentsLost: number;
  readonly problems: readonly string[];
}

export async function scrubFile(ctx: PipelineContext, meta: FileMeta, options: { repair: boolean }): Promise<{ report: ScrubReport; updated: FileMeta | null }> {
  const rs = codecFor(ctx, meta);
  const checksum = shardChecksumFor(meta.shardChecksum, ctx.config.masterKey, meta.fileId);
  const total = meta.dataShards + meta.parityShards;
  const state = options.repair ? await backendState(ctx) : new Map<string, { available: boolean; freeBytes: number }>();
  const problems: string[] = [];
  let shardsBad = 0;
  let shardsRepaired = 0;
  let segmentsLost = 0;
  let changed = false;
  const segments: SegmentMeta[] = [];
  for (const [index, segment] of meta.segments.entries()) {
    const reads = await Promise.all(segment.shards.map((ref, i) => readShard(ctx, ref, { index: i, segment: index, fileId: meta.fileId, checksum })));
    const bad = reads.flatMap((r, i) => (r.kind === 'ok' ? [] : [i]));
    for (const i of bad) problems.push(`segment ${index} shard ${i}: ${reads[i]!.kind} (${(reads[i] as { detail: string }).detail})`);
    shardsBad += bad.length;
    if (bad.length === 0 || !options.repair) {
      segments.push(segment);
      continue;
    }
    if (total - bad.length < meta.dataShards) {
      segmentsLost++;
      segments.push(segment);
      continue;
    }
    const payloads = rs.reconstruct(reads.map((r) => (r.kind === 'ok' ? r.payload : null)));
    const values = payloads.map((payload, i) => encodeShard({ index: i, dataShards: meta.dataShards, parityShards: meta.parityShards, segment: index, fileId: meta.fileId }, payload));
    const kept = new Map<number, ShardRef>(segment.shards.flatMap((ref, i) => (bad.includes(i) ? [] : [[i, ref] as [number, ShardRef]])));
    try {
      const refs = await writeShards(ctx, state, values, kept, (value, i) => checksum(value, index, i));
      refs.forEach((ref, i) => {
        if (!bad.includes(i)) return;
        if (!ref.checksum.equals(checksum(values[i]!, index, i))) throw new Error('assertion failed: a rebuilt shard has its own checksum');
      });
      await deleteBad(ctx, segment, bad, reads.map((r) => r.kind));
      segments.push({ ...segment, shards: refs });
      shardsRepaired += bad.length;
      changed = true;
    } catch (error) {
      problems.push(`segment ${index}: repair failed: ${(error as Error).message}`);
      segments.push(segment);
    }
  }
  const report = { name: meta.name, segments: meta.segments.length, shardsChecked: meta.segments.length * total, shardsBad, shardsRepaired, segmentsLost, problems };
  if (!changed) return { report, updated: null };
  const updated = { ...meta, segments };
  await ctx.meta.write(updated);
  return { report, updated };
}

/** Corrupt shards are deleted (best effort) once replaced, so a later read cannot meet them. */
async function deleteBad(ctx: PipelineContext, segment: SegmentMeta, bad: readonly number[], kinds: readonly string[]): Promise<void> {
  await Promise.allSettled(bad.filter((i) => kinds[i] === 'corrupt').map((i) => {
    const ref = segment.shards[i]!;
    const backend = ctx.backends.get(ref.backend);
    return backend === undefined ? Promise.resolve(false) : ctx.pool.use(backend, (c) => c.del(ref.key));
  }));
}
