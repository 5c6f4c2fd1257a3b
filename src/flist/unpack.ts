// Unpacking (materializing) an flist into a directory: the rootfs a container runs from. Blocks
// come from the node's cache when it has them (plain, checked when cached), else from the
// flist's routes (checked against their ids, decrypted, then cached), many files at a time. Nothing is ever written outside the target:
// every entry name is a plain name, every parent is a directory this run created, files are
// created exclusively (a symlink in the way fails rather than being followed), and symlink
// targets are stored as they are, never resolved.
//
// Local file system work is synchronous: on a warm cache each step is a page-cache copy, and a
// thread-pool round trip per block, file and chmod costs more than the work (unpacking would be
// several times slower than `tar x`). Blocks fetched from stores are awaited, many at a time.
import { execFile } from 'node:child_process';
import { chmodSync, closeSync, lchownSync, linkSync, lutimesSync, mkdirSync, openSync, readdirSync, symlinkSync, utimesSync, writeSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TfgridError, createLogger, type Logger } from '../base/index.ts';
import { openBlock } from './blocks.ts';
import type { BlockCache } from './cache.ts';
import { FlistError } from './errors.ts';
import { Flist, rootIno, type FlistInode, type Route } from './format.ts';
import { runPool } from './pack.ts';
import { BlockRouter } from './stores.ts';
import { typeOfMode, type BlockRef } from './tree.ts';

export interface UnpackOptions {
  /** The node's block cache; none: every block comes from the stores. */
  readonly cache?: BlockCache;
  /** Routes to use instead of the flist's (e.g. with a namespace password, or a nearer replica). */
  readonly routes?: readonly Route[];
  /** Files fetched at once. Default 8. */
  readonly concurrency?: number;
  /** Device files: create them (root only), or skip them. Default: create, and fail without root. */
  readonly devices?: 'create' | 'skip';
  readonly logger?: Logger;
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface UnpackResult {
  files: number;
  directories: number;
  symlinks: number;
  hardLinks: number;
  special: number;
  bytes: number;
  blocksFetched: number;
  blocksFromCache: number;
  /** Whether owners were restored (root) or left as the unpacking user. */
  ownership: 'restored' | 'kept';
}

interface Placed {
  readonly path: string;
  readonly inode: FlistInode;
}

/** Materializes `flistPath` into `target` (absent or empty). */
export async function unpack(flistPath: string, target: string, options: UnpackOptions = {}): Promise<UnpackResult> {
  const logger = options.logger ?? createLogger({ component: 'flist' });
  const flist = Flist.open(flistPath);
  try {
    const inodes = flist.inodes();
    const placed = placeEntries(flist, inodes, target);
    const privileged = process.getuid?.() === 0;
    const devices = placed.filter((p) => { const t = typeOfMode(p.inode.mode); return t === 'char' || t === 'block'; });
    if (devices.length > 0 && !privileged && options.devices !== 'skip') {
      throw new TfgridError(FlistError.PRIVILEGED, `${devices.length} device file(s) (e.g. /${devices[0]!.path.slice(target.length + 1)}) need root; unpack as root or skip devices`);
    }
    prepareTarget(target);
    const result: UnpackResult = { files: 0, directories: 0, symlinks: 0, hardLinks: 0, special: 0, bytes: 0, blocksFetched: 0, blocksFromCache: 0, ownership: privileged ? 'restored' : 'kept' };
    // Directories first (writable by us until the end), then everything else.
    const firstPathOf = new Map<number, string>();
    const files: Placed[] = [];
    const later: Array<() => void> = [];
    for (const item of placed) {
      const type = typeOfMode(item.inode.mode);
      const first = firstPathOf.get(item.inode.ino);
      if (type === 'directory') {
        mkdirSync(item.path, { mode: 0o700 });
        result.directories++;
      } else if (first !== undefined) {
        later.push(() => linkSync(first, item.path));
        result.hardLinks++;
        continue;
      } else if (type === 'file') {
        files.push(item);
      } else if (type === 'symlink') {
        symlinkSync(item.inode.target, item.path);
        result.symlinks++;
      } else if (type === 'fifo' || type === 'char' || type === 'block') {
        if (type !== 'fifo' && options.devices === 'skip') continue;
        await makeNode(item.path, type, item.inode.rdev);
        result.special++;
      } else {
        logger.warn('sockets are not recreated', { path: item.path });
        continue;
      }
      firstPathOf.set(item.inode.ino, item.path);
    }
    const total = files.reduce((sum, file) => sum + file.inode.size, 0);
    const router = await BlockRouter.open(options.routes ?? flist.routes(), { logger });
    try {
      await runPool(files, options.concurrency ?? 8, async (file) => {
        await writeFileFromBlocks(file, flist.blocks(file.inode.ino), router, options.cache, result);
        result.files++;
        options.onProgress?.(result.bytes, total);
      });
    } finally {
      await router.close();
    }
    for (const step of later) step();
    await restoreXattrs(placed, flist.xattrs(), privileged, logger);
    // Owners, then modes (chown clears set-id bits), then times, deepest directories last.
    for (const item of [...placed].reverse()) {
      if (!firstPathOf.has(item.inode.ino) || firstPathOf.get(item.inode.ino) !== item.path) continue;
      const type = typeOfMode(item.inode.mode);
      if (privileged) lchownSync(item.path, item.inode.uid, item.inode.gid);
      if (type !== 'symlink') chmodSync(item.path, item.inode.mode & 0o7777);
      const seconds = Number(item.inode.mtimeNs) / 1e9;
      if (type === 'symlink') lutimesSync(item.path, seconds, seconds);
      else utimesSync(item.path, seconds, seconds);
    }
    const root = inodes.get(rootIno)!;
    if (privileged) lchownSync(target, root.uid, root.gid);
    chmodSync(target, root.mode & 0o7777);
    utimesSync(target, Number(root.mtimeNs) / 1e9, Number(root.mtimeNs) / 1e9);
    return result;
  } finally {
    flist.close();
  }
}

/** Paths for every entry, parents first; refuses entries under non-directories and directory cycles. */
function placeEntries(flist: Flist, inodes: Map<number, FlistInode>, target: string): Placed[] {
  const children = new Map<number, Array<{ name: string; ino: number }>>();
  for (const entry of flist.entries()) {
    let list = children.get(entry.parent);
    if (list === undefined) children.set(entry.parent, (list = []));
    list.push({ name: entry.name, ino: entry.ino });
  }
  const out: Placed[] = [];
  const placedDirs = new Set<number>([rootIno]);
  const queue: Array<{ ino: number; path: string }> = [{ ino: rootIno, path: target }];
  for (let at = 0; at < queue.length; at++) {
    const { ino, path } = queue[at]!;
    for (const child of children.get(ino) ?? []) {
      const inode = inodes.get(child.ino);
      if (inode === undefined) throw new TfgridError(FlistError.CORRUPT, `${flist.path}: entry ${child.name} names a missing inode ${child.ino}`);
      const childPath = join(path, child.name);
      if (typeOfMode(inode.mode) === 'directory') {
        // A directory reachable twice would let a tree loop or escape: each has exactly one entry.
        if (placedDirs.has(child.ino)) throw new TfgridError(FlistError.UNSAFE_PATH, `${flist.path}: directory inode ${child.ino} appears twice`);
        placedDirs.add(child.ino);
        queue.push({ ino: child.ino, path: childPath });
      }
      out.push({ path: childPath, inode });
    }
  }
  for (const parent of children.keys()) {
    if (!placedDirs.has(parent)) throw new TfgridError(FlistError.UNSAFE_PATH, `${flist.path}: entries under inode ${parent}, which is not a reachable directory`);
  }
  return out;
}

function prepareTarget(target: string): void {
  try {
    const names = readdirSync(target);
    if (names.length > 0) throw new TfgridError(FlistError.TARGET_NOT_EMPTY, `${target} is not empty: unpack into a new or empty directory`);
  } catch (error) {
    if (error instanceof TfgridError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new TfgridError(FlistError.INVALID, `${target}: ${(error as Error).message}`, { cause: error });
    mkdirSync(target, { recursive: true, mode: 0o700 });
  }
}

async function writeFileFromBlocks(file: Placed, blocks: BlockRef[], router: BlockRouter, cache: BlockCache | undefined, result: UnpackResult): Promise<void> {
  const size = blocks.reduce((sum, block) => sum + block.size, 0);
  if (size !== file.inode.size) throw new TfgridError(FlistError.CORRUPT, `${file.path}: blocks hold ${size} bytes, the inode says ${file.inode.size}`);
  const fd = openSync(file.path, 'wx', 0o600);
  try {
    const offsets: number[] = [];
    blocks.reduce((offset, block) => (offsets.push(offset), offset + block.size), 0);
    // Up to 4 blocks of one file in flight (from the stores), written at their offsets.
    await runPool(blocks.map((block, index) => ({ block, offset: offsets[index]! })), 4, async ({ block, offset }) => {
      const hex = block.id.toString('hex');
      let plain = cache?.get(block.id, block.key) ?? null;
      if (plain === null) {
        plain = openBlock(await router.get(block.id), block.key, block.compressed, hex);
        result.blocksFetched++;
        if (plain.length === block.size) await cache?.put(block.id, plain);
      } else {
        result.blocksFromCache++;
      }
      if (plain.length !== block.size) throw new TfgridError(FlistError.BLOCK_CORRUPT, `block ${hex} holds ${plain.length} bytes, not ${block.size}`);
      writeSync(fd, plain, 0, plain.length, offset);
      result.bytes += plain.length;
    });
  } finally {
    closeSync(fd);
  }
}

async function makeNode(path: string, type: 'fifo' | 'char' | 'block', rdev: number): Promise<void> {
  const major = ((rdev >>> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff;
  const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
  const args = type === 'fifo' ? [path, 'p'] : [path, type === 'char' ? 'c' : 'b', String(major), String(minor)];
  await run('mknod', ['-m', '600', ...args]);
}

/** Extended attributes through setfattr(1) --restore (one run); only user.* without root. */
async function restoreXattrs(placed: Placed[], xattrs: Map<number, Map<string, Buffer>>, privileged: boolean, logger: Logger): Promise<void> {
  if (xattrs.size === 0) return;
  const lines: string[] = [];
  let skipped = 0;
  for (const item of placed) {
    const attrs = xattrs.get(item.inode.ino);
    if (attrs === undefined || typeOfMode(item.inode.mode) === 'symlink') continue;
    const kept = [...attrs].filter(([name]) => privileged || name.startsWith('user.'));
    skipped += attrs.size - kept.length;
    if (kept.length === 0) continue;
    lines.push(`# file: ${escapeForSetfattr(item.path)}`, ...kept.map(([name, value]) => `${escapeForSetfattr(name)}=0x${value.toString('hex')}`), '');
  }
  if (skipped > 0) logger.warn('extended attributes outside user.* need root: skipped', { count: skipped });
  if (lines.length === 0) return;
  const dump = join(tmpdir(), `tfgrid-xattrs-${process.pid}-${Date.now()}`);
  await writeFile(dump, lines.join('\n'), { mode: 0o600 });
  try {
    await run('setfattr', [`--restore=${dump}`]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') logger.warn('setfattr not found: extended attributes are not restored (install the attr package)');
    else throw error;
  } finally {
    await rm(dump, { force: true });
  }
}

/** setfattr reads names with \ooo escapes for bytes outside printable ASCII, '\\', '=' and newline. */
function escapeForSetfattr(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte < 0x21 || byte > 0x7e || byte === 0x5c || byte === 0x3d ? `\\${byte.toString(8).padStart(3, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') reject(Object.assign(new Error(`${command} not found`), { code: 'ENOENT' }));
      else reject(new TfgridError(FlistError.INVALID, `${command} failed: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
}
