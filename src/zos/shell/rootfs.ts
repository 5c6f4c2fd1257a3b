// A container's rootfs: its flist (a local file, or downloaded once per URL into the node's flist
// cache) unpacked through the node's shared block cache, so a second container of the same image
// reads every block locally. A marker file says the unpack completed; anything else is redone.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TfgridError, isTfgridError, type Logger } from '../../base/index.ts';
import { Flist, downloadFlist, unpack, type BlockCache } from '../../flist/index.ts';
import { ZosError } from '../errors.ts';

export interface RootfsOptions {
  readonly cache: BlockCache;
  /** Downloaded flists, by SHA-256 of their URL. */
  readonly flistDir: string;
  readonly log: Logger;
}

const doneMarker = '.tfgrid-unpacked';

function coded(flist: string, error: unknown): TfgridError {
  const detail = isTfgridError(error) ? `${error.code}: ${error.detail}` : String((error as Error)?.message ?? error);
  return new TfgridError(ZosError.FLIST, `flist ${flist}: ${detail}`, { cause: error });
}

/** The local path of `flist` (downloading a URL the first time). */
export async function localFlist(flist: string, options: RootfsOptions): Promise<string> {
  if (!/^https?:\/\//.test(flist)) {
    if (!existsSync(flist)) throw new TfgridError(ZosError.FLIST, `flist ${flist}: no such file on this node`);
    return flist;
  }
  const path = join(options.flistDir, `${createHash('sha256').update(flist).digest('hex')}.fl`);
  if (existsSync(path)) return path;
  await mkdir(options.flistDir, { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await downloadFlist(flist, temp);
    const { rename } = await import('node:fs/promises');
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw coded(flist, error);
  }
  return path;
}

/** The flist's `entrypoint` tag, or ''. */
export function flistEntrypoint(path: string): string {
  const opened = Flist.open(path);
  try {
    return opened.tags()['entrypoint'] ?? '';
  } finally {
    opened.close();
  }
}

/** Unpacks `flistPath` into `target` unless a completed unpack is there already. */
export async function prepareRootfs(flist: string, flistPath: string, target: string, options: RootfsOptions): Promise<void> {
  if (existsSync(join(target, doneMarker))) return;
  await rm(target, { recursive: true, force: true });
  try {
    await unpack(flistPath, target, { cache: options.cache, logger: options.log });
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    throw coded(flist, error);
  }
  await writeFile(join(target, doneMarker), '');
}
