// Metadata dispersal, pure: encrypted metadata is erasure-coded over the n metadata backends
// (k = ceil(n/2) data shards, so 4 backends give 0-stor's 2+2) and decoded from whatever shards
// come back. Each shard carries its own checksum and the id of the write it belongs to, so
// shards of different writes (a crash between backends) are never mixed: the newest write with
// a quorum wins. Layout of a shard in README.md.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TfgridError } from '../base/index.ts';
import { ZstorError } from './errors.ts';
import { keyCheck, shortChecksum } from './crypto.ts';
import { ReedSolomon } from './rs/reed-solomon.ts';
import { joinBlob, splitBlob } from './segment.ts';

export const metaShardVersion = 1;
export const metaShardHeaderBytes = 56;
const writeIdBytes = 16;
const keyCheckDomain = 'tfgrid-zstor-meta-key-check-v1';

export function metaCodeShape(backends: number): { dataShards: number; parityShards: number } {
  const dataShards = Math.ceil(backends / 2);
  return { dataShards, parityShards: backends - dataShards };
}

interface MetaShard {
  readonly index: number;
  readonly dataShards: number;
  readonly parityShards: number;
  readonly writeId: string;
  readonly writtenMs: number;
  readonly blobBytes: number;
  readonly keyCheck: Buffer;
  readonly payload: Buffer;
}

function aad(key: string): Buffer {
  return Buffer.from(`tfgrid-zstor-meta-v1\n${key}`, 'utf8');
}

/** One value per metadata backend, in backend order. `key` is the 0-db key the values go under. */
export function encodeMetaShards(plain: Uint8Array, options: { key: string; metaKey: Uint8Array; backends: number; writtenMs: number }): Buffer[] {
  const { dataShards, parityShards } = metaCodeShape(options.backends);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', options.metaKey, nonce).setAAD(aad(options.key));
  const blob = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  const data = splitBlob(blob, dataShards);
  const shards = [...data, ...new ReedSolomon(dataShards, parityShards).encode(data)];
  const writeId = randomBytes(writeIdBytes);
  const check = keyCheck(options.metaKey, keyCheckDomain).subarray(0, 8);
  return shards.map((payload, index) => {
    const header = Buffer.alloc(metaShardHeaderBytes);
    header[0] = metaShardVersion;
    header[1] = index;
    header[2] = dataShards;
    header[3] = parityShards;
    header.set(writeId, 4);
    header.writeBigUInt64LE(BigInt(options.writtenMs), 20);
    header.writeUInt32LE(blob.length, 28);
    header.set(check, 32);
    header.set(shortChecksum(header.subarray(0, 40), payload), 40);
    return Buffer.concat([header, payload]);
  });
}

/** The shard, or null when it is damaged or not a metadata shard (treated as missing). */
function parseMetaShard(value: Buffer): MetaShard | null {
  if (value.length < metaShardHeaderBytes || value[0] !== metaShardVersion) return null;
  const payload = value.subarray(metaShardHeaderBytes);
  if (!shortChecksum(value.subarray(0, 40), payload).equals(value.subarray(40, 56))) return null;
  return {
    index: value[1]!, dataShards: value[2]!, parityShards: value[3]!,
    writeId: value.subarray(4, 20).toString('hex'), writtenMs: Number(value.readBigUInt64LE(20)),
    blobBytes: value.readUInt32LE(28), keyCheck: value.subarray(32, 40), payload,
  };
}

/**
 * The metadata from the values read (null: the backend answered "no such key"; undefined: it did
 * not answer). Throws ZSTOR_NOT_FOUND when a quorum says there is nothing, ZSTOR_WRONG_KEY when
 * intact shards were sealed under another metadata key, ZSTOR_META_QUORUM_LOST otherwise.
 */
export function decodeMetaShards(values: readonly (Buffer | null | undefined)[], options: { key: string; metaKey: Uint8Array }): Buffer {
  const { dataShards } = metaCodeShape(values.length);
  const shards = values.map((v) => (v === null || v === undefined ? null : parseMetaShard(v)));
  const intact = shards.filter((s): s is MetaShard => s !== null && s.index < values.length && s.dataShards + s.parityShards === values.length);
  const check = keyCheck(options.metaKey, keyCheckDomain).subarray(0, 8);
  if (intact.length > 0 && intact.every((s) => !s.keyCheck.equals(check))) {
    throw new TfgridError(ZstorError.WRONG_KEY, `metadata ${options.key} was sealed with another metadata key`);
  }
  const writes = new Map<string, MetaShard[]>();
  for (const shard of intact.filter((s) => s.keyCheck.equals(check))) writes.set(shard.writeId, [...(writes.get(shard.writeId) ?? []), shard]);
  const candidates = [...writes.values()].filter((group) => group.length >= group[0]!.dataShards).sort((a, b) => b[0]!.writtenMs - a[0]!.writtenMs);
  for (const group of candidates) {
    const plain = decodeWrite(group, values.length, options);
    if (plain !== null) return plain;
  }
  const absent = values.filter((v) => v === null).length;
  if (candidates.length === 0 && absent >= dataShards) throw new TfgridError(ZstorError.NOT_FOUND, `no metadata for ${options.key}`);
  const answered = values.filter((v) => v !== undefined).length;
  throw new TfgridError(ZstorError.META_QUORUM_LOST, `metadata ${options.key}: ${intact.length} intact shard(s) from ${answered} of ${values.length} backends, ${dataShards} of one write needed`, {
    details: { intact: intact.length, answered, needed: dataShards },
  });
}

/** Tries k-subsets of one write's shards until one decrypts: a backend that forges a shard with a valid checksum costs a retry, never wrong metadata. */
function decodeWrite(group: readonly MetaShard[], total: number, options: { key: string; metaKey: Uint8Array }): Buffer | null {
  const first = group[0]!;
  const rs = new ReedSolomon(first.dataShards, first.parityShards);
  for (const subset of subsets(group.length, first.dataShards)) {
    const slots: (Uint8Array | null)[] = new Array<Uint8Array | null>(total).fill(null);
    for (const i of subset) slots[group[i]!.index] = group[i]!.payload;
    let blob: Buffer;
    try {
      blob = joinBlob(rs.reconstruct(slots).slice(0, first.dataShards), first.blobBytes);
    } catch {
      continue;
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', options.metaKey, blob.subarray(0, 12)).setAAD(aad(options.key));
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
    } catch {
      continue;
    }
  }
  return null;
}

function* subsets(n: number, k: number): Generator<number[]> {
  const pick = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield pick.slice();
    let i = k - 1;
    while (i >= 0 && pick[i] === n - k + i) i--;
    if (i < 0) return;
    pick[i]!++;
    for (let j = i + 1; j < k; j++) pick[j] = pick[j - 1]! + 1;
  }
}
