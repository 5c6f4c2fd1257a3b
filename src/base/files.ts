// Durable file writes: a crash leaves either the old file or the new one, never a torn mix.
import { open, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, fsyncSync, closeSync } from 'node:fs';

export interface WriteFileAtomicOptions {
  /** File mode of the new file, e.g. 0o600 for secrets. */
  mode?: number;
  /** Mode for parent directories that must be created. */
  dirMode?: number;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<Uint8Array>, options: WriteFileAtomicOptions = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o755 });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  await fsyncDir(dir);
}

/** Makes a rename or a new file in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a new file and fsyncs it, synchronously (for callers on a synchronous path). */
export function writeFileSyncDurable(path: string, data: string | Uint8Array, mode = 0o644): void {
  const fd = openSync(path, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync(2) of a directory, so a file created, linked or renamed in it survives a power cut. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
