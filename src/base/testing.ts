// Test support shared by every component's tests and benchmarks (not part of the public API):
// seeded randomness that a failing run can replay, free loopback ports, polling, README golden bytes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TfgridError } from './errors.ts';

/** A seeded PRNG (mulberry32) in [0, 1): the same numbers for the same seed. */
// What a test or bench process leaves behind when it ends, even by an uncaught error: its
// temporary directories, and servers it started but did not stop (they would hold ports and files).
const atExit = new Set<() => void>();
process.once('exit', () => {
  for (const cleanup of [...atExit].reverse()) cleanup(); // servers before the directories they use
});

/** Runs `cleanup` when this process exits; the returned function cancels that. */
export function atProcessExit(cleanup: () => void): () => void {
  atExit.add(cleanup);
  return () => atExit.delete(cleanup);
}

/** A fresh directory under the system's temporary one, removed when this process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  atProcessExit(() => removeDir(dir));
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `SEED` from the environment (to replay a failure), else a fresh seed; print it on failure. */
export function seedFromEnv(): number {
  const fromEnv = process.env['SEED'];
  return fromEnv === undefined || fromEnv === '' ? Math.floor(Math.random() * 2 ** 31) : Number(fromEnv);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
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
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The `code` a promise rejects with, or 'none' if it resolves; anything not a TfgridError fails the test. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    if (!(error instanceof TfgridError)) throw new Error(`expected a TfgridError, got ${String(error)}`, { cause: error });
    return error.code;
  }
}

/**
 * Polls `probe` until it gives a value (not undefined) and returns it; a probe that throws counts
 * as "not yet" (a server still starting). After `timeoutMs`, throws naming `what` and the last error.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: { timeoutMs?: number; everyMs?: number } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${(lastError as Error).message})`}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 50));
  }
}

/** Polls `condition` every 10 ms until it holds; throws (naming `what`) after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The hex of the golden block `name` in a Markdown file (a README), so documented bytes are checked
 * by tests and cannot drift from the code: the fenced block after `<!-- golden:name -->`, written
 * one field per line as `hex  # comment`; a line `<other>` stands for the whole golden block `other`.
 */
export function goldenHex(markdownPath: string, name: string): string {
  const text = readFileSync(markdownPath, 'utf8');
  const marker = `<!-- golden:${name} -->`;
  const at = text.indexOf(marker);
  if (at === -1) throw new Error(`${markdownPath} has no ${marker}`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at + marker.length));
  if (block === null) throw new Error(`${marker} is not followed by a fenced block`);
  return block[1]!.split('\n').map((line) => {
    const value = line.split('#')[0]!.trim();
    const included = /^<([a-z0-9-]+)>$/.exec(value);
    return included === null ? value.replace(/\s+/g, '') : goldenHex(markdownPath, included[1]!);
  }).join('');
}
