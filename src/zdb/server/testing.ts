// Test support: run our `tfgrid zdb` and the reference 0-db binary as real processes on
// loopback, each with its own temporary directories. Used by tests and benchmarks only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cliMain = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

export interface ZdbProcess {
  readonly port: number;
  readonly dir: string;
  readonly dataDir: string;
  readonly indexDir: string;
  readonly process: ChildProcess;
  /** Everything the server wrote on stderr so far. */
  readonly stderr: () => string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** Reuse directories (e.g. to restart after a crash); default a fresh temp dir. */
  dir?: string;
  args?: string[];
  port?: number;
  env?: Record<string, string>;
}

/** Path of the reference 0-db binary, if this machine has one (never in CI). */
export function referenceZdbPath(): string | undefined {
  const path = process.env['ZDB_REFERENCE_BIN'] ?? '/work/ref/bin/zdb';
  return existsSync(path) ? path : undefined;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Starts `tfgrid zdb` on 127.0.0.1 (port 0 = any free port, read back from its log). */
export async function startOurZdb(options: StartOptions = {}): Promise<ZdbProcess> {
  const dir = options.dir ?? tempDir('tfgrid-zdb-');
  const args = [cliMain, 'zdb', '--listen', '127.0.0.1', '--port', String(options.port ?? 0), '--data', join(dir, 'data'), '--index', join(dir, 'index'), ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env['PATH'] ?? '', TFGRID_LOG_LEVEL: 'info', ...options.env } });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tfgrid zdb did not start in 15 s:\n${stderr}`)), 15_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderr += text;
      const match = /"msg":"listening".*?"port":(\d+)/.exec(stderr);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tfgrid zdb exited with ${code}:\n${stderr}`));
    });
  });
  return handle(child, port, dir, () => stderr);
}

/** Starts the reference 0-db binary on 127.0.0.1 with a free port. */
export async function startReferenceZdb(binary: string, options: StartOptions = {}): Promise<ZdbProcess> {
  const dir = options.dir ?? tempDir('ref-zdb-');
  const port = options.port ?? (await freePort());
  const args = ['--listen', '127.0.0.1', '--port', String(port), '--data', join(dir, 'data'), '--index', join(dir, 'index'), ...(options.args ?? [])];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => (stderr += text));
  await waitForPort(port, 10_000);
  return handle(child, port, dir, () => stderr);
}

function handle(child: ChildProcess, port: number, dir: string, stderr: () => string): ZdbProcess {
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    port,
    dir,
    dataDir: join(dir, 'data'),
    indexDir: join(dir, 'index'),
    process: child,
    stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
