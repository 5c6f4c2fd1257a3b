// The BCDB log in 0-db: one sequential-mode namespace in worm mode, so every record gets the next
// id (its log position, from 0) and no record can be overwritten or deleted through 0-db. The
// log is the truth; the SQLite index and the Merkle tree are derived from it.
import { TfgridError } from '../base/index.ts';
import { seqIdToNumber, numberToSeqId, type ZdbClient } from '../zdb/index.ts';
import { BcdbError } from './errors.ts';

/** Ids per MGET while reading the log in order (0-db takes at most 1023). */
const readBatch = 256;

export class ZdbLog {
  readonly #zdb: ZdbClient;

  constructor(zdb: ZdbClient) {
    this.#zdb = zdb;
  }

  /**
   * Makes `namespace` a log (sequential ids, write once) and selects it. Creating or converting a
   * namespace needs the client to be authenticated as admin; an existing log needs only its password.
   */
  static async prepare(zdb: ZdbClient, namespace: string, options: { password?: string } = {}): Promise<ZdbLog> {
    try {
      if (!(await zdb.nslist()).includes(namespace)) {
        await zdb.nsnew(namespace);
        if (options.password !== undefined) await zdb.nsset(namespace, 'password', options.password);
      }
      const info = await zdb.nsinfo(namespace);
      if (info.mode !== 'sequential') {
        if (info.entries > 0) throw new TfgridError(BcdbError.STORAGE, `0-db namespace ${namespace} holds ${info.entries} entries in ${info.mode} mode: a log needs an empty or sequential namespace`);
        await zdb.nsset(namespace, 'mode', 'seq');
      }
      // Worm lifted by someone (a 0-db admin) is put back; what they changed meanwhile shows in the proofs.
      if (!info.worm) await zdb.nsset(namespace, 'worm', true);
      await zdb.select(namespace, options.password === undefined ? {} : { password: options.password });
    } catch (error) {
      if (error instanceof TfgridError && error.code.startsWith('BCDB_')) throw error;
      throw new TfgridError(BcdbError.STORAGE, `cannot use 0-db namespace ${namespace} as a log: ${(error as Error).message}`, { cause: error });
    }
    return new ZdbLog(zdb);
  }

  /** Appends a record; resolves with the position 0-db gave it. */
  async append(record: Uint8Array): Promise<number> {
    const id = await this.#zdb.set(null, record);
    if (id === null) throw new TfgridError(BcdbError.STORAGE, '0-db did not store the record');
    return seqIdToNumber(id);
  }

  async read(pos: number): Promise<Buffer | null> {
    return this.#zdb.get(numberToSeqId(pos));
  }

  async readMany(positions: readonly number[]): Promise<Array<Buffer | null>> {
    const out: Array<Buffer | null> = [];
    for (let i = 0; i < positions.length; i += readBatch) {
      out.push(...(await this.#zdb.mget(positions.slice(i, i + readBatch).map((pos) => numberToSeqId(pos)))));
    }
    return out;
  }

  /** The records from `pos` on, in order, up to the end of the log (two batches in flight). */
  async *from(pos: number): AsyncGenerator<{ pos: number; bytes: Buffer }> {
    const fetch = (start: number): Promise<Array<Buffer | null>> =>
      this.#zdb.mget(Array.from({ length: readBatch }, (_, i) => numberToSeqId(start + i)));
    let start = pos;
    let next = fetch(start);
    for (;;) {
      const batch = await next;
      next = fetch(start + readBatch);
      for (let i = 0; i < batch.length; i++) {
        const bytes = batch[i];
        if (bytes === null || bytes === undefined) {
          next.catch(() => undefined);
          return;
        }
        yield { pos: start + i, bytes };
      }
      start += readBatch;
    }
  }
}
