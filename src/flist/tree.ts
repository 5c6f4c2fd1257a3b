// The filesystem tree an flist describes, in memory while packing: inodes (shared by hard links)
// under named entries. Image layers edit it in order (whiteouts delete, opaque markers empty a
// directory); a directory walk fills it directly. Pure: no I/O.
import { TfgridError } from '../base/index.ts';
import { FlistError } from './errors.ts';

export type NodeType = 'directory' | 'file' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface BlockRef {
  readonly id: Buffer;
  readonly key: Buffer;
  readonly compressed: boolean;
  readonly size: number;
}

export interface Inode {
  type: NodeType;
  /** Permission bits and set-id/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Nanoseconds since the epoch (tar's pax and stat give them; utimes keeps about a microsecond). */
  mtimeNs: bigint;
  /** Symlink target. */
  target: string;
  /** Device number (makedev(major, minor)) for char and block devices. */
  rdev: number;
  xattrs: Map<string, Buffer>;
  blocks: BlockRef[];
  /** Directories only: name → inode. */
  children: Map<string, Inode> | undefined;
}

export const fileTypeBits: Record<NodeType, number> = { socket: 0o140000, symlink: 0o120000, file: 0o100000, block: 0o060000, directory: 0o040000, char: 0o020000, fifo: 0o010000 };

export function typeOfMode(mode: number): NodeType {
  const bits = mode & 0o170000;
  const found = (Object.entries(fileTypeBits) as Array<[NodeType, number]>).find(([, value]) => value === bits);
  if (found === undefined) throw new TfgridError(FlistError.CORRUPT, `mode ${mode.toString(8)} has no file type`);
  return found[0];
}

export function makeDev(major: number, minor: number): number {
  // glibc's makedev, kept within 2^53 (majors and minors of real devices are small).
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12) | (major & ~0xfff) * 2 ** 32;
}

export function newInode(type: NodeType, fields: Partial<Omit<Inode, 'type' | 'children'>> = {}): Inode {
  return {
    type, mode: fields.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: fields.uid ?? 0, gid: fields.gid ?? 0, size: fields.size ?? 0,
    mtimeNs: fields.mtimeNs ?? 0n, target: fields.target ?? '', rdev: fields.rdev ?? 0, xattrs: fields.xattrs ?? new Map<string, Buffer>(), blocks: fields.blocks ?? [],
    children: type === 'directory' ? new Map() : undefined,
  };
}

/** Splits a path from an archive into safe names: no '..', no empty or '.' parts after normalising. */
export function safeParts(path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  for (const part of parts) {
    if (part === '..' || part.includes('\0')) throw new TfgridError(FlistError.UNSAFE_PATH, `path '${path}' leaves the root`);
  }
  return parts;
}

/** Checks a single entry name (as stored in an flist). */
export function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new TfgridError(FlistError.UNSAFE_PATH, `entry name '${name}' is not a plain file name`);
  }
}

export class Tree {
  readonly root: Inode = newInode('directory', { mode: 0o755 });

  /** The inode at `path`, or undefined. */
  get(path: string): Inode | undefined {
    let node: Inode | undefined = this.root;
    for (const part of safeParts(path)) {
      node = node?.children?.get(part);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** Puts `inode` at `path`, creating missing parent directories; replaces what was there (a directory replaced by a directory keeps its children, as tar extraction does). */
  set(path: string, inode: Inode): void {
    const parts = safeParts(path);
    if (parts.length === 0) {
      if (inode.type !== 'directory') throw new TfgridError(FlistError.UNSAFE_PATH, 'the root must be a directory');
      Object.assign(this.root, { ...inode, children: this.root.children });
      return;
    }
    const parent = this.#directory(parts.slice(0, -1), path);
    const name = parts.at(-1)!;
    const existing = parent.children!.get(name);
    if (existing?.type === 'directory' && inode.type === 'directory') {
      Object.assign(existing, { ...inode, children: existing.children });
      return;
    }
    parent.children!.set(name, inode);
  }

  /** Removes `path` and everything under it (a whiteout); absent paths are fine. */
  remove(path: string): void {
    const parts = safeParts(path);
    if (parts.length === 0) return;
    const parent = this.get(parts.slice(0, -1).join('/'));
    parent?.children?.delete(parts.at(-1)!);
  }

  /**
   * Empties a directory (an opaque whiteout: lower layers' content is hidden), except the paths
   * in `keep` — what the current layer itself added, which a whiteout in that layer does not hide.
   */
  clear(path: string, keep: ReadonlySet<string> = new Set()): void {
    const dir = this.get(path);
    if (dir?.children === undefined) return;
    const prefix = safeParts(path).join('/');
    for (const [name, child] of dir.children) {
      const childPath = prefix === '' ? name : `${prefix}/${name}`;
      if (!keep.has(childPath)) dir.children.delete(name);
      else if (child.type === 'directory') this.clear(childPath, keep);
    }
  }

  /** Every entry, parents before children, with its path. */
  *walk(): Generator<{ path: string; name: string; parent: Inode; inode: Inode }> {
    const stack: Array<{ path: string; inode: Inode }> = [{ path: '', inode: this.root }];
    while (stack.length > 0) {
      const { path, inode } = stack.pop()!;
      const names = [...inode.children!.keys()].sort().reverse();
      for (const name of names) {
        const child = inode.children!.get(name)!;
        const childPath = path === '' ? name : `${path}/${name}`;
        yield { path: childPath, name, parent: inode, inode: child };
        if (child.type === 'directory') stack.push({ path: childPath, inode: child });
      }
    }
  }

  #directory(parts: string[], path: string): Inode {
    let node = this.root;
    for (const part of parts) {
      let next = node.children!.get(part);
      if (next === undefined) {
        next = newInode('directory');
        node.children!.set(part, next);
      }
      if (next.type !== 'directory') throw new TfgridError(FlistError.UNSAFE_PATH, `'${path}': '${part}' is not a directory`);
      node = next;
    }
    return node;
  }
}
