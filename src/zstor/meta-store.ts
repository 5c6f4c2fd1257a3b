// Metadata on the metadata backends (user-mode 0-db namespaces), under 0-stor's key scheme
// `/<prefix>/meta/<hex of a 16-byte hash of the name>`. Writes need every backend (as in 0-stor:
// recoverability over availability); reads need a quorum (see meta-shard.ts).
import { TfgridError } from '../base/index.ts';
import type { BackendPool } from './backends.ts';
import type { ZstorConfig } from './config.ts';
import { shortChecksum } from './crypto.ts';
import { ZstorError } from './errors.ts';
import { decodeMeta, encodeMeta, type FileMeta } from './meta-codec.ts';
import { decodeMetaShards, encodeMetaShards } from './meta-shard.ts';

export class MetaStore {
  private readonly pool: BackendPool;
  private readonly config: ZstorConfig['meta'];

  constructor(pool: BackendPool, config: ZstorConfig['meta']) {
    this.pool = pool;
    this.config = config;
  }

  keyOf(name: string): string {
    return `${this.prefix()}${shortChecksum(Buffer.from(name, 'utf8')).toString('hex')}`;
  }

  async write(meta: FileMeta, nowMs = Date.now()): Promise<void> {
    const key = this.keyOf(meta.name);
    const values = encodeMetaShards(encodeMeta(meta), { key, metaKey: this.config.key, backends: this.config.backends.length, writtenMs: nowMs });
    const results = await Promise.allSettled(this.config.backends.map((b, i) => this.pool.use(b, (c) => c.set(key, values[i]!))));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${this.config.backends[i]!.id}: ${(r.reason as Error).message}`] : []));
    if (failed.length > 0) {
      throw new TfgridError(ZstorError.META_WRITE_FAILED, `metadata of ${meta.name} not written to every metadata backend: ${failed.join('; ')}`, { details: { failed: failed.length } });
    }
  }

  async read(name: string): Promise<FileMeta> {
    return this.readKey(this.keyOf(name));
  }

  async readKey(key: string): Promise<FileMeta> {
    const values = await Promise.all(this.config.backends.map((b) => this.pool.use(b, (c) => c.get(key)).catch(() => undefined)));
    return decodeMeta(decodeMetaShards(values, { key, metaKey: this.config.key }));
  }

  /** Every metadata key on any reachable metadata backend. */
  async keys(): Promise<string[]> {
    const prefix = this.prefix();
    const found = new Set<string>();
    await Promise.all(this.config.backends.map(async (b) => {
      try {
        await this.pool.use(b, async (c) => {
          for await (const entry of c.keys()) {
            const key = entry.key.toString('utf8');
            if (key.startsWith(prefix)) found.add(key);
          }
        });
      } catch {
        // An unreachable backend hides no key the others hold: every write went to all of them.
      }
    }));
    return [...found].sort();
  }

  private prefix(): string {
    return `/${this.config.prefix}/meta/`;
  }
}
