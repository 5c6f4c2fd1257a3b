// Test support (not public API): run `tfgrid` as a user does — a real process, a home directory,
// a passphrase in the environment — and read its output.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
