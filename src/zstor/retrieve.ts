// Reading a file back, segment by segment with a little read-ahead: the data shards first (no
// decoding needed when they are intact), parity shards only for those that are missing, corrupt
// or unreachable. Every shard is checked against its checksum before use and every segment
// authenticates before it is yielded, so the stream never carries wrong bytes: it fails instead.
import { TfgridError } from '../base/index.ts';
import { readShard, type PipelineContext, type ShardRead } from './context.ts';
import { fileKey, keyCheck, shardChecksumFor, type ShardChecksum } from './crypto.ts';
import { ZstorError } from './errors.ts';
import type { FileMeta, SegmentMeta } from './meta-codec.ts';
import { ReedSolomon } from './rs/reed-solomon.ts';
import { joinBlob, openSegment } from './segment.ts';
import { fileKeyCheckDomain } from './store.ts';

const readAheadSegments = 2;

/** The file key, or ZSTOR_WRONG_KEY when the config's master key is not the one it was stored with. */
export function keyFor(ctx: PipelineContext, meta: FileMeta): Buffer {
  const key = fileKey(ctx.config.masterKey, meta.fileId);
  if (!keyCheck(key, fileKeyCheckDomain).equals(meta.keyCheck)) throw new TfgridError(ZstorError.WRONG_KEY, `${meta.name} was stored with another master key`);
  return key;
}

export function codecFor(ctx: PipelineContext, meta: FileMeta): ReedSolomon {
  const { rs } = ctx;
  return rs.dataShards === meta.dataShards && rs.parityShards === meta.parityShards ? rs : new ReedSolomon(meta.dataShards, meta.parityShards, rs.kernel);
}

export async function* retrieveSegments(ctx: PipelineContext, meta: FileMeta): AsyncGenerator<Buffer> {
  const key = keyFor(ctx, meta);
  const rs = codecFor(ctx, meta);
  const checksum = shardChecksumFor(meta.shardChecksum, ctx.config.masterKey, meta.fileId);
  const hash = ctx.hashes.forFile(meta.sizeBytes, meta.segmentBytes);
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  let complete = false;
  const schedule = () => {
    while (pending.length < readAheadSegments && next < meta.segments.length) {
      const work = readSegment(ctx, rs, meta, next++, key, checksum);
      work.catch(() => undefined); // awaited in order below
      pending.push(work);
    }
  };
  try {
    schedule();
    while (pending.length > 0) {
      const plain = await pending.shift()!;
      schedule();
      await hash.update(plain);
      yield plain;
    }
    complete = true;
  } finally {
    if (!complete) hash.abort(); // a segment failed, or the consumer stopped early
    await Promise.allSettled(pending);
  }
  if (!(await hash.digest()).equals(meta.checksum)) throw new TfgridError(ZstorError.CORRUPT, `${meta.name}: the file checksum does not match`);
}

async function readSegment(ctx: PipelineContext, rs: ReedSolomon, meta: FileMeta, index: number, key: Buffer, checksum: ShardChecksum): Promise<Buffer> {
  const segment = meta.segments[index]!;
  const payloads = await gatherShards(ctx, meta, segment, index, checksum);
  const data = payloads.slice(0, meta.dataShards).every((p) => p !== null) ? (payloads.slice(0, meta.dataShards) as Buffer[]) : rs.reconstruct(payloads).slice(0, meta.dataShards);
  return openSegment(joinBlob(data, segment.blobBytes), { key, fileId: meta.fileId, segment: index }, segment.plainBytes);
}

/** At least dataShards verified payloads (others null), fetching parity only as needed; else ZSTOR_SHARDS_LOST. */
async function gatherShards(ctx: PipelineContext, meta: FileMeta, segment: SegmentMeta, index: number, checksum: ShardChecksum): Promise<(Uint8Array | null)[]> {
  const total = meta.dataShards + meta.parityShards;
  const payloads: (Uint8Array | null)[] = new Array<Uint8Array | null>(total).fill(null);
  const problems: string[] = [];
  const read = (i: number) => readShard(ctx, segment.shards[i]!, { index: i, segment: index, fileId: meta.fileId, checksum });
  let good = 0;
  let nextParity = meta.dataShards;
  let batch = Array.from({ length: meta.dataShards }, (_, i) => i);
  while (batch.length > 0) {
    const results: ShardRead[] = await Promise.all(batch.map(read));
    results.forEach((r, j) => {
      if (r.kind === 'ok') {
        payloads[batch[j]!] = r.payload;
        good++;
      } else problems.push(`shard ${batch[j]}: ${r.kind} (${r.detail})`);
    });
    const want = Math.min(meta.dataShards - good, total - nextParity);
    batch = Array.from({ length: Math.max(0, want) }, (_, j) => nextParity + j);
    nextParity += batch.length;
  }
  if (good < meta.dataShards) {
    throw new TfgridError(ZstorError.SHARDS_LOST, `${meta.name} segment ${index}: ${good} intact shard(s), ${meta.dataShards} needed: ${problems.join('; ')}`, { details: { segment: index, intact: good, needed: meta.dataShards } });
  }
  if (problems.length > 0) ctx.log?.warn('segment read around bad shards', { name: meta.name, segment: index, problems });
  return payloads;
}
