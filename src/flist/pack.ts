// Packing: a directory or an image becomes a tree of inodes whose files are cut into sealed
// blocks and sent to the stores, then the tree is written as an flist. Blocks already sent in
// this pack, or already in a store (EXISTS), are not sent again.
import { open, lstat, readdir, readlink } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { TfgridError, createLogger, type Logger } from '../base/index.ts';
import { blockBytes, sealBlock } from './blocks.ts';
import { FlistError } from './errors.ts';
import { writeFlist, type Route } from './format.ts';
import { BlockRouter, redact } from './stores.ts';
import { Tree, newInode, type BlockRef, type Inode, type NodeType } from './tree.ts';

export interface PackOptions {
  readonly routes: readonly Route[];
  /** zstd before encryption when it makes a block smaller. Default true. */
  readonly compress?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  /** Bytes of file content sealed so far, and the total when known. */
  readonly onProgress?: (doneBytes: number, totalBytes: number | undefined) => void;
}

export interface PackStats {
  files: number;
  directories: number;
  symlinks: number;
  special: number;
  hardLinks: number;
  bytes: number;
  blocks: number;
  /** Distinct blocks in this flist (blocks − uniqueBlocks were deduplicated). */
  uniqueBlocks: number;
}

/** Seals file contents into blocks and sends each distinct block once. */
export class BlockSink {
  readonly stats: PackStats = { files: 0, directories: 0, symlinks: 0, special: 0, hardLinks: 0, bytes: 0, blocks: 0, uniqueBlocks: 0 };
  readonly #router: BlockRouter;
  readonly #compress: boolean;
  readonly #sent = new Map<string, Promise<void>>();
  readonly #onProgress: ((done: number) => void) | undefined;

  constructor(router: BlockRouter, compress: boolean, onProgress?: (done: number) => void) {
    this.#router = router;
    this.#compress = compress;
    this.#onProgress = onProgress;
  }

  /** Reads a file of `size` bytes through `read` and returns its blocks (up to 4 uploads in flight per file). */
  async file(size: number, read: (n: number) => Promise<Buffer>): Promise<BlockRef[]> {
    const blocks: BlockRef[] = [];
    const uploads: Promise<void>[] = [];
    for (let done = 0; done < size;) {
      const chunk = await read(Math.min(blockBytes, size - done));
      if (chunk.length === 0) throw new TfgridError(FlistError.SOURCE, `file ended ${size - done} bytes early (changed while packing?)`);
      done += chunk.length;
      const sealed = sealBlock(chunk, { compress: this.#compress });
      blocks.push({ id: sealed.id, key: sealed.key, compressed: sealed.compressed, size: sealed.size });
      this.stats.blocks++;
      this.stats.bytes += chunk.length;
      const hex = sealed.id.toString('hex');
      let sent = this.#sent.get(hex);
      if (sent === undefined) {
        this.stats.uniqueBlocks++;
        sent = this.#router.put(sealed.id, sealed.cipher);
        this.#sent.set(hex, sent);
      }
      uploads.push(sent);
      if (uploads.length >= 4) await uploads.shift();
      this.#onProgress?.(this.stats.bytes);
    }
    await Promise.all(uploads);
    return blocks;
  }

  async flush(): Promise<void> {
    await Promise.all(this.#sent.values());
    await this.#router.flush();
  }
}

/** Packs the tree under `dir` (lstat: symlinks are kept as links, hard links as one inode). */
export async function packDirectory(dir: string, output: string, options: PackOptions): Promise<PackStats> {
  const logger = options.logger ?? createLogger({ component: 'flist' });
  const root = await lstat(dir, { bigint: true }).catch((error: unknown) => {
    throw new TfgridError(FlistError.SOURCE, `cannot read ${dir}: ${(error as Error).message}`, { cause: error });
  });
  if (!root.isDirectory()) throw new TfgridError(FlistError.SOURCE, `${dir} is not a directory`);
  const tree = new Tree();
  Object.assign(tree.root, fromStat(root));
  const files: Array<{ path: string; inode: Inode }> = [];
  const byDevIno = new Map<string, Inode>();
  let total = 0;
  const stack: Array<{ abs: string; rel: string }> = [{ abs: dir, rel: '' }];
  while (stack.length > 0) {
    const { abs, rel } = stack.pop()!;
    for (const name of (await readdir(abs)).sort()) {
      const childAbs = join(abs, name);
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const stat = await lstat(childAbs, { bigint: true });
      const key = `${stat.dev}:${stat.ino}`;
      const linked = stat.nlink > 1n && !stat.isDirectory() ? byDevIno.get(key) : undefined;
      if (linked !== undefined) {
        tree.set(childRel, linked);
        continue;
      }
      const inode = fromStat(stat);
      if (inode.type === 'symlink') inode.target = await readlink(childAbs);
      tree.set(childRel, inode);
      if (stat.nlink > 1n && !stat.isDirectory()) byDevIno.set(key, inode);
      if (inode.type === 'directory') stack.push({ abs: childAbs, rel: childRel });
      if (inode.type === 'file') {
        files.push({ path: childAbs, inode });
        total += Number(stat.size);
      }
    }
  }
  for (const [path, xattrs] of await readXattrs(dir, logger)) {
    const inode = tree.get(path);
    if (inode !== undefined) inode.xattrs = xattrs;
  }
  const router = await BlockRouter.open(options.routes, { logger, required: true });
  try {
    const sink = new BlockSink(router, options.compress ?? true, (done) => options.onProgress?.(done, total));
    await runPool(files, 4, async ({ path, inode }) => {
      const handle = await open(path, 'r');
      try {
        let position = 0;
        inode.blocks = await sink.file(inode.size, async (n) => {
          const buffer = Buffer.allocUnsafe(n);
          const { bytesRead } = await handle.read(buffer, 0, n, position);
          position += bytesRead;
          return buffer.subarray(0, bytesRead);
        });
      } finally {
        await handle.close();
      }
    });
    return await finishPack(sink, tree, output, options);
  } finally {
    await router.close();
  }
}

/** The end of every pack: blocks durable in their stores, then the flist (routes without passwords). */
export async function finishPack(sink: BlockSink, tree: Tree, output: string, options: PackOptions): Promise<PackStats> {
  await sink.flush();
  countTree(tree, sink.stats);
  writeFlist(output, tree, options.routes.map((route) => ({ ...route, url: redact(route.url) })), options.tags ?? {});
  return sink.stats;
}

export function fromStat(stat: { mode: bigint; uid: bigint; gid: bigint; size: bigint; mtimeNs: bigint; rdev: bigint; isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean }): Inode {
  const type: NodeType = stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : stat.isSymbolicLink() ? 'symlink'
    : stat.isCharacterDevice() ? 'char' : stat.isBlockDevice() ? 'block' : stat.isFIFO() ? 'fifo' : 'socket';
  return newInode(type, { mode: Number(stat.mode) & 0o7777, uid: Number(stat.uid), gid: Number(stat.gid), size: type === 'file' ? Number(stat.size) : 0, mtimeNs: stat.mtimeNs, rdev: Number(stat.rdev) });
}

export function countTree(tree: Tree, stats: PackStats): void {
  const seen = new Set<Inode>();
  for (const { inode } of tree.walk()) {
    if (seen.has(inode)) {
      stats.hardLinks++;
      continue;
    }
    seen.add(inode);
    if (inode.type === 'directory') stats.directories++;
    else if (inode.type === 'file') stats.files++;
    else if (inode.type === 'symlink') stats.symlinks++;
    else stats.special++;
  }
}

/** Runs `fn` over `items` with at most `limit` at a time; the first failure stops new work and is thrown. */
export async function runPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: Error | undefined;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failed ??= error instanceof Error ? error : new Error(String(error));
      }
    }
  }));
  if (failed !== undefined) throw failed;
}

/**
 * Extended attributes of every file under `dir` (paths relative to it), from one getfattr(1)
 * run: Node has no xattr API and native addons are out. Without getfattr, none (logged).
 */
async function readXattrs(dir: string, logger: Logger): Promise<Map<string, Map<string, Buffer>>> {
  const out = new Map<string, Map<string, Buffer>>();
  let text: string;
  try {
    text = await new Promise<string>((resolve, reject) => {
      execFile('getfattr', ['-R', '-P', '-d', '-m', '-', '-e', 'hex', '--absolute-names', dir], { maxBuffer: 256 * 1024 * 1024, encoding: 'latin1' }, (error, stdout) => {
        // getfattr exits 1 when some file has none it may read; its output is still complete.
        if (error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error('getfattr not found', { cause: error }));
        else resolve(stdout);
      });
    });
  } catch {
    logger.warn('getfattr not found: extended attributes are not packed (install the attr package)');
    return out;
  }
  let current: Map<string, Buffer> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      const abs = unescapeGetfattr(line.slice('# file: '.length));
      const rel = abs === dir ? '' : abs.startsWith(`${dir}/`) ? abs.slice(dir.length + 1) : undefined;
      current = rel === undefined ? undefined : new Map();
      if (rel !== undefined && current !== undefined) out.set(rel, current);
    } else if (current !== undefined && line.includes('=0x')) {
      const at = line.indexOf('=0x');
      current.set(unescapeGetfattr(line.slice(0, at)), Buffer.from(line.slice(at + 3), 'hex'));
    }
  }
  return out;
}

/** getfattr escapes unusual bytes in names as \ooo octal; the text was read as latin1 (one char per byte). */
function unescapeGetfattr(text: string): string {
  return Buffer.from(text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))), 'latin1').toString('utf8');
}

