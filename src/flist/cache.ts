// The node's block cache: ciphertexts already checked against their ids, shared by every flist
// unpacked on the machine (`$TFGRID_HOME/cache/blocks` by default), so a second image that shares
// blocks with the first fetches only what is new. Entries are written to a temp name and renamed:
// a crash leaves whole blocks or none.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class BlockCache {
  readonly dir: string;
  readonly #made = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  async get(id: Buffer): Promise<Buffer | null> {
    try {
      return await readFile(this.#path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** The same, synchronously: a cache hit is a page-cache copy, cheaper than a thread-pool round trip. */
  getSync(id: Buffer): Buffer | null {
    try {
      return readFileSync(this.#path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /** Only for blocks checked against `id` (BlockRouter.get does it). */
  async put(id: Buffer, cipher: Buffer): Promise<void> {
    const sub = join(this.dir, id.subarray(0, 1).toString('hex'));
    if (!this.#made.has(sub)) {
      await mkdir(sub, { recursive: true, mode: 0o700 });
      this.#made.add(sub);
    }
    const path = this.#path(id);
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temp, cipher);
    await rename(temp, path);
  }

  #path(id: Buffer): string {
    const hex = id.toString('hex');
    return join(this.dir, hex.slice(0, 2), hex);
  }
}
