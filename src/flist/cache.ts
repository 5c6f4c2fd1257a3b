// The node's block cache: blocks already checked against their ids and decrypted, shared by
// every flist unpacked on the machine (`$TFGRID_HOME/cache/blocks` by default), so a second image
// that shares blocks with the first fetches only what is new, and a warm unpack is a copy.
// Plaintext is no new exposure: the node holds every rootfs it unpacks in the clear anyway; the
// directory is 0700. Entries are written to a temp name and renamed: whole blocks or none. A hit
// is served only if its SHA-256 is the block's key (the flist holds it): a damaged entry, or one
// an older version left in ciphertext, is a miss and is fetched and cached again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class BlockCache {
  readonly dir: string;
  readonly #made = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * The plain block whose SHA-256 is `key`, or null (absent, or not those bytes). Synchronous: a
   * hit is a page-cache copy, cheaper than a thread-pool round trip.
   */
  get(id: Buffer, key: Uint8Array): Buffer | null {
    let plain: Buffer;
    try {
      plain = readFileSync(this.#path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return createHash('sha256').update(plain).digest().equals(key) ? plain : null;
  }

  /** Only for blocks checked against their id and opened with their key (unpack does both). */
  async put(id: Buffer, plain: Buffer): Promise<void> {
    const sub = join(this.dir, id.subarray(0, 1).toString('hex'));
    if (!this.#made.has(sub)) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await mkdir(sub, { recursive: true, mode: 0o700 });
      this.#made.add(sub);
    }
    const path = this.#path(id);
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temp, plain, { mode: 0o600 });
    await rename(temp, path);
  }

  #path(id: Buffer): string {
    const hex = id.toString('hex');
    return join(this.dir, hex.slice(0, 2), hex);
  }
}
