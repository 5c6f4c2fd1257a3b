// Looking into an flist: its tree and sizes (inspect), and whether every block it names can be
// fetched intact from its routes (verify).
import { TfgridError, createLogger, type Logger } from '../base/index.ts';
import { openBlock } from './blocks.ts';
import { FlistError } from './errors.ts';
import { Flist, rootIno, type Route } from './format.ts';
import { runPool } from './pack.ts';
import { BlockRouter } from './stores.ts';
import { typeOfMode, type NodeType } from './tree.ts';

export interface FlistSummary {
  readonly format: string;
  readonly created: string | undefined;
  readonly tags: Record<string, string>;
  readonly routes: Route[];
  readonly counts: Record<NodeType, number>;
  readonly hardLinks: number;
  /** Bytes of file content (each inode once). */
  readonly bytes: number;
  readonly blocks: number;
  readonly uniqueBlocks: number;
  /** Content bytes over the bytes of distinct blocks: 1 means no duplicate blocks. */
  readonly dedupRatio: number;
  readonly entries?: Array<{ path: string; type: NodeType; mode: string; uid: number; gid: number; size: number; target?: string }>;
}

export function inspectFlist(path: string, options: { tree?: boolean } = {}): FlistSummary {
  const flist = Flist.open(path);
  try {
    const inodes = flist.inodes();
    const entries = flist.entries();
    const counts: Record<NodeType, number> = { directory: 0, file: 0, symlink: 0, char: 0, block: 0, fifo: 0, socket: 0 };
    const seen = new Set<number>();
    let hardLinks = 0;
    for (const entry of entries) {
      if (seen.has(entry.ino)) {
        hardLinks++;
        continue;
      }
      seen.add(entry.ino);
      counts[typeOfMode(inodes.get(entry.ino)?.mode ?? 0o100000)]++;
    }
    const blocks = flist.allBlocks();
    const unique = new Map<string, number>();
    for (const block of blocks) unique.set(block.id.toString('hex'), block.size);
    const bytes = blocks.reduce((sum, block) => sum + block.size, 0);
    const uniqueBytes = [...unique.values()].reduce((sum, size) => sum + size, 0);
    const summary: FlistSummary = {
      format: flist.meta('format') ?? '', created: flist.meta('created'), tags: flist.tags(), routes: flist.routes(), counts, hardLinks,
      bytes, blocks: blocks.length, uniqueBlocks: unique.size, dedupRatio: uniqueBytes === 0 ? 1 : bytes / uniqueBytes,
    };
    if (options.tree !== true) return summary;
    const names = new Map<number, string>([[rootIno, '']]);
    const listed: NonNullable<FlistSummary['entries']> = [];
    const byParent = new Map<number, typeof entries>();
    for (const entry of entries) byParent.set(entry.parent, [...(byParent.get(entry.parent) ?? []), entry]);
    const queue = [rootIno];
    for (let at = 0; at < queue.length; at++) {
      for (const entry of byParent.get(queue[at]!) ?? []) {
        const path = `${names.get(entry.parent)}/${entry.name}`;
        const inode = inodes.get(entry.ino)!;
        const type = typeOfMode(inode.mode);
        if (type === 'directory' && !names.has(entry.ino)) {
          names.set(entry.ino, path);
          queue.push(entry.ino);
        }
        listed.push({ path, type, mode: (inode.mode & 0o7777).toString(8).padStart(4, '0'), uid: inode.uid, gid: inode.gid, size: inode.size, ...(type === 'symlink' ? { target: inode.target } : {}) });
      }
    }
    return { ...summary, entries: listed.sort((a, b) => (a.path < b.path ? -1 : 1)) };
  } finally {
    flist.close();
  }
}

export interface VerifyResult {
  readonly blocks: number;
  readonly ok: number;
  readonly problems: Array<{ block: string; code: string; message: string }>;
}

/** Fetches every distinct block from the routes (or `routes`), checks its id and that it opens. */
export async function verifyFlist(path: string, options: { routes?: readonly Route[]; logger?: Logger; onProgress?: (done: number, total: number) => void } = {}): Promise<VerifyResult> {
  const flist = Flist.open(path);
  const logger = options.logger ?? createLogger({ component: 'flist' });
  try {
    flist.inodes();
    flist.entries();
    const unique = new Map<string, { id: Buffer; key: Buffer; compressed: boolean; size: number }>();
    for (const block of flist.allBlocks()) unique.set(block.id.toString('hex'), block);
    const router = await BlockRouter.open(options.routes ?? flist.routes(), { logger });
    const problems: VerifyResult['problems'] = [];
    let done = 0;
    try {
      await runPool([...unique.entries()], 8, async ([hex, block]) => {
        try {
          const plain = openBlock(await router.get(block.id), block.key, block.compressed, hex);
          if (plain.length !== block.size) throw new TfgridError(FlistError.BLOCK_CORRUPT, `block ${hex} holds ${plain.length} bytes, not ${block.size}`);
        } catch (error) {
          if (!(error instanceof TfgridError)) throw error;
          problems.push({ block: hex, code: error.code, message: error.detail });
        }
        options.onProgress?.(++done, unique.size);
      });
    } finally {
      await router.close();
    }
    return { blocks: unique.size, ok: unique.size - problems.length, problems };
  } finally {
    flist.close();
  }
}
