// Test helpers shared by the engine and command tests: temp directories, a Zdb with a
// controllable clock, and a `run` that takes strings or buffers.
import { join } from 'node:path';
import { createLogger } from '../../base/index.ts';
import { removeDir, tempDir as newTempDir } from '../../base/testing.ts';
import { openZdb, type Zdb, type ZdbOptions } from '../commands/zdb.ts';
import type { Session } from '../commands/context.ts';
import type { Reply } from '../reply.ts';

export interface TestZdb {
  zdb: Zdb;
  session: Session;
  dir: string;
  clock: { nowMs: number };
  run(...args: (string | Buffer)[]): Promise<Reply>;
  /** Closes and opens the same directories again (a restart). */
  restart(overrides?: Partial<ZdbOptions>): Promise<TestZdb>;
  close(): Promise<void>;
}

export function tempDir(prefix = 'tfgrid-zdb-'): { dir: string; cleanup: () => void } {
  const dir = newTempDir(prefix);
  return { dir, cleanup: () => removeDir(dir) };
}

export async function openTestZdb(dir: string, overrides: Partial<ZdbOptions> = {}, clock = { nowMs: 1_700_000_000_000 }): Promise<TestZdb> {
  const options: ZdbOptions = {
    dataDir: join(dir, 'data'), indexDir: join(dir, 'index'), mode: 'mixed', datasizeBytes: 256 * 1024 * 1024, sync: false,
    now: () => clock.nowMs, log: createLogger({ component: 'zdb', level: 'silent' }), ...overrides,
  };
  const zdb = await openZdb(options);
  const session = zdb.newSession({ unixSocket: false, address: '127.0.0.1' });
  const self: TestZdb = {
    zdb, session, dir, clock,
    run: async (...args) => zdb.execute(session, args.map((arg) => (typeof arg === 'string' ? Buffer.from(arg) : arg))),
    restart: async (more = {}) => {
      await zdb.close();
      return openTestZdb(dir, { ...overrides, ...more }, clock);
    },
    close: () => zdb.close(),
  };
  return self;
}

/** A reply as plain data for deepEqual: buffers become latin1 strings, errors `-text`. */
export function plain(reply: Reply): unknown {
  if (reply === null || typeof reply === 'number' || typeof reply === 'bigint') return reply;
  if (typeof reply === 'string') return `+${reply}`;
  if (reply instanceof Uint8Array) return Buffer.from(reply).toString('latin1');
  if (Array.isArray(reply)) return reply.map((item) => plain(item as Reply));
  return `-${(reply as { message: string }).message}`;
}

export { prng } from '../../base/testing.ts';
