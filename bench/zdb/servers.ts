// The three servers bench/zdb compares, each started fresh on 127.0.0.1 in its own temp dir:
// our `tfgrid zdb`, the real 0-db binary (when a path is given) and redis-server.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitForPort, removeDir, startOurZdb, startReferenceZdb, tempDir } from '../../src/zdb/server/testing.ts';

export type ServerName = 'ours' | 'baseline' | '0-db' | 'redis';

export interface RunningServer {
  readonly port: number;
  stop(): Promise<void>;
}

export interface ServerSpec {
  readonly name: ServerName;
  /** `durable`: acknowledged writes are fsynced (0-db/ours `--sync`, Redis `appendfsync always`). */
  start(durable: boolean): Promise<RunningServer>;
}

/** How each server is configured in the durable rows; printed under the table. */
export const durableSettings: Readonly<Record<ServerName, string>> = {
  ours: '--sync (group commit: one fdatasync per event-loop turn, shared by every client)',
  baseline: '--sync',
  '0-db': '--sync (fsync after every write)',
  redis: '--appendonly yes --appendfsync always (fsync of the AOF before replying, per event-loop turn)',
};

/** `extraArgs`: more `tfgrid zdb` flags, e.g. `--read-cache 256M`. */
export function ourServer(extraArgs: readonly string[] = []): ServerSpec {
  return {
    name: 'ours',
    async start(durable) {
      const server = await startOurZdb({ args: [...(durable ? ['--sync'] : []), ...extraArgs] });
      return { port: server.port, stop: () => stopAndRemove(server.stop(), server.dir) };
    },
  };
}

/** `tfgrid zdb` of another checkout (e.g. `git worktree add /tmp/before <commit>`), to compare
 *  a change with what it replaces in the same run. */
export function baselineServer(checkout: string): ServerSpec {
  return {
    name: 'baseline',
    async start(durable) {
      const dir = tempDir('bench-baseline-');
      const port = await freePort();
      const args = [join(checkout, 'src', 'cli', 'main.ts'), 'zdb', '--listen', '127.0.0.1', '--port', String(port), '--data', join(dir, 'data'), '--index', join(dir, 'index')];
      const child = spawn(process.execPath, durable ? [...args, '--sync'] : args, { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '', TFGRID_LOG_LEVEL: 'warn' } });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await waitForPort(port, 15_000);
      return {
        port,
        stop: () => {
          child.kill('SIGTERM');
          return stopAndRemove(exited, dir);
        },
      };
    },
  };
}

export function referenceServer(binary: string): ServerSpec {
  return {
    name: '0-db',
    async start(durable) {
      const server = await startReferenceZdb(binary, { args: durable ? ['--sync'] : [] });
      return { port: server.port, stop: () => stopAndRemove(server.stop(), server.dir) };
    },
  };
}

/** redis-server, the in-memory ceiling: no RDB snapshots, no AOF unless `durable`. */
export function redisServer(binary = 'redis-server'): ServerSpec {
  return {
    name: 'redis',
    async start(durable) {
      const dir = tempDir('bench-redis-');
      const port = await freePort();
      const persistence = durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
      const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--dir', dir, '--logfile', join(dir, 'log'), ...persistence];
      const child = spawn(binary, args, { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await waitForPort(port, 10_000);
      return {
        port,
        stop: () => {
          child.kill('SIGTERM');
          return stopAndRemove(exited, dir);
        },
      };
    },
  };
}

async function stopAndRemove(stopped: Promise<unknown>, dir: string): Promise<void> {
  await stopped;
  removeDir(dir);
}

