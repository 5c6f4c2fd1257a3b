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
  out[0] = shardVersion;
  out[1] = header.index;
  out[2] = header.dataShards;
  out[3] = header.parityShards;
  out.writeUInt32LE(header.segment, 4);
  out.set(header.fileId, 8);
  out.writeUInt32LE(payload.length, 8 + fileIdBytes);
  out.set(payload, shardHeaderBytes);
  return out;
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
