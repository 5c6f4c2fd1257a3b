// The bytes of one data shard as stored in a sequential 0-db namespace: a 28-byte header that
// names the shard (so a shard returned for the wrong id, file or position is caught even before
// its checksum is compared), then the shard's bytes. Little-endian. Layout in README.md.
import { TfgridError } from '../base/index.ts';
import { ZstorError } from './errors.ts';
import { fileIdBytes } from './crypto.ts';

export const shardVersion = 1;
export const shardHeaderBytes = 28;

export interface ShardHeader {
  readonly index: number;
  readonly dataShards: number;
  readonly parityShards: number;
  readonly segment: number;
  readonly fileId: Uint8Array;
}

export function encodeShard(header: ShardHeader, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(shardHeaderBytes + payload.length);
  out.set(payload, shardHeaderBytes);
  return writeShardHeader(header, out);
}

/** Writes the header into the first shardHeaderBytes of `value`, whose rest is the payload already (no copy of it). */
export function writeShardHeader(header: ShardHeader, value: Buffer): Buffer {
  value[0] = shardVersion;
  value[1] = header.index;
  value[2] = header.dataShards;
  value[3] = header.parityShards;
  value.writeUInt32LE(header.segment, 4);
  value.set(header.fileId, 8);
  value.writeUInt32LE(value.length - shardHeaderBytes, 8 + fileIdBytes);
  return value;
}

export function decodeShard(value: Buffer): { header: ShardHeader; payload: Buffer } {
  if (value.length < shardHeaderBytes) throw new TfgridError(ZstorError.SHARD_INVALID, `a shard has at least ${shardHeaderBytes} bytes, got ${value.length}`);
  if (value[0] !== shardVersion) throw new TfgridError(ZstorError.SHARD_INVALID, `unknown shard version ${value[0]}`);
  const length = value.readUInt32LE(8 + fileIdBytes);
  if (length !== value.length - shardHeaderBytes) throw new TfgridError(ZstorError.SHARD_INVALID, `shard payload length ${length} != ${value.length - shardHeaderBytes}`);
  return {
    header: { index: value[1]!, dataShards: value[2]!, parityShards: value[3]!, segment: value.readUInt32LE(4), fileId: value.subarray(8, 8 + fileIdBytes) },
    payload: value.subarray(shardHeaderBytes),
  };
}
