// Snapshots of the state, so a restart replays only the log after the newest one. A snapshot is
// `snapshot-<height, 12 digits>.bin` in the data directory, written atomically (temp, fsync,
// rename, fsync dir); format in the README. One that fails its CRC or whose root does not match
// the log is skipped with a warning, and an older one (or genesis) is used instead.
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { TfgridError, assert, writeFileAtomic, type Logger } from '../../base/index.ts';
import { fromHex, toHex } from '../../crypto/index.ts';
import { zdbCrc32c } from '../../zdb/index.ts';
import { ChainShellError } from './errors.ts';

export const snapshotMagic = 'TFCHSNAP';
export const snapshotVersion = 1;
export const snapshotHeaderBytes = 88;
/** Snapshots kept on disk; older ones are deleted after a new one is durable. */
export const snapshotsKeptMax = 2;
const namePattern = /^snapshot-(\d{12})\.bin$/;

export interface SnapshotMeta {
  readonly height: number;
  readonly blockHash: string;
  readonly stateRoot: string;
}

function snapshotHeader(meta: SnapshotMeta, stateBytes: number): Uint8Array {
  assert(stateBytes < 2 ** 32, 'state length fits the u32 field');
  const bytes = new Uint8Array(snapshotHeaderBytes);
  const view = new DataView(bytes.buffer);
  bytes.set(Buffer.from(snapshotMagic, 'ascii'), 0);
  view.setUint32(8, snapshotVersion);
  view.setBigUint64(12, BigInt(meta.height));
  bytes.set(fromHex(meta.blockHash, 32, 'blockHash'), 20);
  bytes.set(fromHex(meta.stateRoot, 32, 'stateRoot'), 52);
  view.setUint32(84, stateBytes);
  return bytes;
}

function crcTrailer(crc: number): Uint8Array {
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, crc);
  return trailer;
}

/**
 * The file's parts for a state given in parts (a sliced snapshot): the CRC is carried from part to
 * part with a turn of the event loop between them (16 MiB ≈ 10 ms each), so the sequencer goes on.
 */
async function encodeSnapshotParts(meta: SnapshotMeta, state: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const header = snapshotHeader(meta, state.reduce((sum, part) => sum + part.length, 0));
  let crc = zdbCrc32c(header);
  for (const part of state) {
    crc = zdbCrc32c(part, 0, part.length, crc);
    await setImmediate();
  }
  return [header, ...state, crcTrailer(crc)];
}

export function decodeSnapshot(bytes: Uint8Array, what: string): { meta: SnapshotMeta; state: Uint8Array } {
  const bad = (why: string): TfgridError => new TfgridError(ChainShellError.SNAPSHOT_CORRUPT, `${what}: ${why}`);
  if (bytes.length < snapshotHeaderBytes + 4) throw bad('truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== snapshotMagic) throw bad('bad magic');
  if (view.getUint32(8) !== snapshotVersion) throw bad(`unsupported version ${view.getUint32(8)}`);
  const length = view.getUint32(84);
  if (bytes.length !== snapshotHeaderBytes + length + 4) throw bad('length does not match the file size');
  if (view.getUint32(snapshotHeaderBytes + length) !== zdbCrc32c(bytes, 0, snapshotHeaderBytes + length)) throw bad('CRC mismatch');
  const meta = { height: Number(view.getBigUint64(12)), blockHash: toHex(bytes.subarray(20, 52)), stateRoot: toHex(bytes.subarray(52, 84)) };
  return { meta, state: bytes.subarray(snapshotHeaderBytes, snapshotHeaderBytes + length) };
}

export function snapshotName(height: number): string {
  return `snapshot-${String(height).padStart(12, '0')}.bin`;
}

/** Heights of the snapshots in `dir`, newest first. */
export async function listSnapshots(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
  return names.flatMap((name) => {
    const match = namePattern.exec(name);
    return match === null ? [] : [Number(match[1])];
  }).sort((a, b) => b - a);
}

export async function readSnapshot(dir: string, height: number): Promise<{ meta: SnapshotMeta; state: Uint8Array }> {
  const path = join(dir, snapshotName(height));
  const decoded = decodeSnapshot(new Uint8Array(await readFile(path)), path);
  if (decoded.meta.height !== height) throw new TfgridError(ChainShellError.SNAPSHOT_CORRUPT, `${path}: holds height ${decoded.meta.height}`);
  return decoded;
}

/** Writes a snapshot (the state's bytes in one or more parts) atomically, then drops old ones. */
export async function writeSnapshot(dir: string, meta: SnapshotMeta, state: readonly Uint8Array[], log?: Logger): Promise<void> {
  await writeFileAtomic(join(dir, snapshotName(meta.height)), await encodeSnapshotParts(meta, state));
  const heights = await listSnapshots(dir);
  for (const old of heights.slice(snapshotsKeptMax)) await unlink(join(dir, snapshotName(old))).catch(() => undefined);
  log?.info('snapshot written', { height: meta.height, stateRoot: meta.stateRoot, bytes: state.reduce((sum, part) => sum + part.length, 0) });
}
