// Test support (not public API): run `tfgrid` as a user does — a real process, a home directory,
// a passphrase in the environment — and read its output.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const cliMain = join(import.meta.dirname, 'main.ts');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function tfgrid(home: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Run {
  const result = spawnSync(process.execPath, [cliMain, ...args], {
    input: options.input ?? '',
    env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: home, TFGRID_PASSPHRASE: 'test-pass', ...options.env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The JSON a successful run printed. */
export function json<T>(run: Run): T {
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

export interface TfgridProcess<T> {
  readonly child: ChildProcess;
  /** The ready line a long-running command prints with --json. */
  readonly ready: T;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts a long-running `tfgrid --json <args>` (chain, explorer…) and waits for its ready line. */
export async function startTfgrid<T>(args: string[], options: { home: string; nodeArgs?: string[] }): Promise<TfgridProcess<T>> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), cliMain, '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: options.home, TFGRID_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<T>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]!) as T);
    });
    child.once('exit', (code) => reject(new Error(`tfgrid ${args[0] ?? ''} exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  return {
    child, ready,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
