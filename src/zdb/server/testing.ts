// Test support: run our `tfgrid zdb` and the reference 0-db binary as real processes on
// loopback, each with its own temporary directories. Used by tests and benchmarks only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Redis, RedisOptions } from 'ioredis';

import { atProcessExit, freePort, removeDir, seedFromEnv, tempDir, waitForPort } from '../../base/testing.ts';

export { freePort, waitForPort, prng } from '../../base/testing.ts';

const cliMain = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

export interface ZdbProcess {
  /** TCP port on 127.0.0.1; 0 when the server listens on a unix socket only. */
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

export { removeDir, tempDir };

/** Starts `tfgrid zdb` on 127.0.0.1 (port 0 = any free port, read back from its log). */
export async function startOurZdb(options: StartOptions = {}): Promise<ZdbProcess> {
  const dir = options.dir ?? tempDir('tfgrid-zdb-');
  const args = [cliMain, 'zdb', '--listen', '127.0.0.1', '--port', String(options.port ?? 0), '--data', join(dir, 'data'), '--index', join(dir, 'index'), ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env['PATH'] ?? '', TFGRID_LOG_LEVEL: 'info', ...options.env } });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tfgrid zdb did not start in 15 s:\n${stderr}`)), 15_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      // With --socket alone there is no TCP port: the port is then 0.
      const line = /^.*"msg":"listening".*\n/m.exec(stderr);
      if (line !== null) {
        clearTimeout(timer);
        resolve(Number(/"port":(\d+)/.exec(line[0])?.[1] ?? 0));
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
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr += text));
  await waitForPort(port, 10_000);
  return handle(child, port, dir, () => stderr);
}

function handle(child: ChildProcess, port: number, dir: string, stderr: () => string): ZdbProcess {
  const forget = atProcessExit(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) => {
    const done = (code: number | null) => {
      forget();
      resolve(code);
    };
    if (child.exitCode !== null) done(child.exitCode);
    else child.once('exit', done);
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



/** Where a probe connects: a TCP port on 127.0.0.1, or a unix socket path. */
export type ProbeTarget = { port: number } | { path: string };

/** A RESP value decoded by the probe (independently of src/zdb/resp, so tests do not share the code they check). */
export type ProbeValue = string | Buffer | number | bigint | null | ProbeError | ProbeValue[];

export class ProbeError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** Encodes a command as a RESP multibulk (what every Redis client sends). */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** End offset of the RESP2 reply starting at `pos`, or -1 when more bytes are needed. Throws on bytes that are not RESP2. */
export function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const lf = buf.indexOf(10, pos);
  if (lf < 0) return -1;
  const type = String.fromCharCode(buf[pos]!);
  if (type === '+' || type === '-' || type === ':') return lf + 1;
  const count = Number(buf.toString('latin1', pos + 1, lf - 1));
  if (type === '$') {
    if (count < 0) return lf + 1;
    return buf.length >= lf + 1 + count + 2 ? lf + 1 + count + 2 : -1;
  }
  if (type !== '*') throw new Error(`not a RESP2 reply: ${JSON.stringify(buf.toString('latin1', pos, Math.min(buf.length, pos + 40)))}`);
  let at = lf + 1;
  for (let i = 0; i < count; i++) {
    at = replyEnd(buf, at);
    if (at < 0) return -1;
  }
  return at;
}

/** A short readable form of a reply for assertion messages. */
export function describeReply(value: ProbeValue): string {
  if (value === null) return 'nil';
  if (value instanceof ProbeError) return `-${value.message}`;
  if (Buffer.isBuffer(value)) return value.length > 40 ? `${value.length} bytes` : JSON.stringify(value.toString('latin1'));
  if (Array.isArray(value)) return `[${value.map(describeReply).join(', ')}]`;
  return typeof value === 'string' ? `+${value}` : `:${value}`;
}

/** Decodes one complete reply (as returned by RespProbe) into a ProbeValue. */
export function decodeReply(raw: Buffer): ProbeValue {
  const [value, end] = decodeAt(raw, 0);
  if (end !== raw.length) throw new Error('trailing bytes after a reply');
  return value;
}

function decodeAt(buf: Buffer, pos: number): [ProbeValue, number] {
  const lf = buf.indexOf(10, pos);
  const line = buf.toString('latin1', pos + 1, lf - 1);
  switch (String.fromCharCode(buf[pos]!)) {
    case '+': return [line, lf + 1];
    case '-': return [new ProbeError(line), lf + 1];
    case ':': {
      const big = BigInt(line);
      return [Number.isSafeInteger(Number(big)) ? Number(big) : big, lf + 1];
    }
    case '$': {
      const length = Number(line);
      if (length < 0) return [null, lf + 1];
      return [Buffer.from(buf.subarray(lf + 1, lf + 1 + length)), lf + 1 + length + 2];
    }
    default: {
      const count = Number(line);
      if (count < 0) return [null, lf + 1];
      const items: ProbeValue[] = [];
      let at = lf + 1;
      for (let i = 0; i < count; i++) {
        const [item, next] = decodeAt(buf, at);
        items.push(item);
        at = next;
      }
      return [items, at];
    }
  }
}

/**
 * A raw RESP connection: sends bytes or commands and hands back each reply's exact bytes, in
 * order. Differential tests compare these bytes between servers; fuzz tests send garbage.
 */
export class RespProbe {
  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiters: { resolve: (reply: Buffer) => void; reject: (error: Error) => void }[] = [];
  private ended = false;
  /** Resolves when the server closed the connection (or it broke). */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.deliver();
    });
    socket.on('error', () => undefined); // a reset is reported through `closed`
    socket.once('close', () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('connection closed before the reply'));
    });
  }

  static async connect(target: ProbeTarget): Promise<RespProbe> {
    const socket = 'port' in target ? connect(target.port, '127.0.0.1') : connect(target.path);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RespProbe(socket);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Writes raw bytes (resolves once handed to the kernel; rejects nothing: a reset shows in `closed`). */
  async send(bytes: Buffer | string): Promise<void> {
    if (this.ended) return;
    await new Promise<void>((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** The next reply's bytes. Rejects when the connection closes first or after `timeoutMs`. */
  reply(timeoutMs = 10_000): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (this.ended && this.buffer.length === 0) {
        reject(new Error('connection closed before the reply'));
        return;
      }
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (reply: Buffer) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
      this.deliver();
    });
  }

  /** Sends one command and returns its reply's bytes. */
  async command(...args: (string | Buffer)[]): Promise<Buffer> {
    const reply = this.reply();
    await this.send(encodeCommand(args));
    return reply;
  }

  /** Sends every command in one write, then returns their replies in order. */
  async pipeline(commands: readonly (readonly (string | Buffer)[])[]): Promise<Buffer[]> {
    const replies = Promise.all(commands.map(() => this.reply(30_000)));
    replies.catch(() => undefined); // awaited below; this only keeps an early close from being "unhandled"
    await this.send(Buffer.concat(commands.map((args) => encodeCommand(args))));
    return replies;
  }

  /** Sends every command in one write; each reply settles on its own (a crash leaves the tail rejected). */
  async pipelineSettled(commands: readonly (readonly (string | Buffer)[])[]): Promise<PromiseSettledResult<Buffer>[]> {
    const replies = Promise.allSettled(commands.map(() => this.reply(30_000)));
    await this.send(Buffer.concat(commands.map((args) => encodeCommand(args))));
    return replies;
  }

  /** Sends one command and decodes its reply. */
  async call(...args: (string | Buffer)[]): Promise<ProbeValue> {
    return decodeReply(await this.command(...args));
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(): void {
    while (this.waiters.length > 0) {
      const end = replyEnd(this.buffer, 0);
      if (end < 0) return;
      const reply = Buffer.from(this.buffer.subarray(0, end));
      this.buffer = this.buffer.subarray(end);
      this.waiters.shift()!.resolve(reply);
    }
  }
}

/**
 * The seed of a randomized test: `SEED` from the environment (to replay a failure) or a fresh
 * one. Pass the returned label to assertion messages so that a failure prints `SEED=…`.
 */
export function testSeed(): { seed: number; label: string } {
  const seed = seedFromEnv();
  return { seed, label: `SEED=${seed}` };
}

/** Runs `body`; if it throws, the error message gains the seed so that the run can be replayed. */
export async function withSeed<T>(label: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Error && !error.message.includes(label)) error.message = `${label}: ${error.message}`;
    console.error(`replay with ${label}`);
    throw error;
  }
}

/**
 * ioredis options for 0-db. `protocol: 2` because 0-db answers HELLO with `-Command not
 * supported`, which ioredis 6 does not take as "no RESP3" (it gives up instead of falling back).
 * No ready check (INFO), no CLIENT SETINFO, and db 0 sends no SELECT. Failures surface at once.
 */
export function ioredisOptions(target: ProbeTarget): RedisOptions {
  return {
    ...('port' in target ? { host: '127.0.0.1', port: target.port } : { path: target.path }),
    protocol: 2,
    enableReadyCheck: false,
    disableClientInfo: true,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  };
}

/** A reply from ioredis as plain data: errors become `-message` strings (0-db errors carry no ERR prefix). */
export async function ask(redis: Redis, ...args: (string | Buffer | number)[]): Promise<unknown> {
  const [name, ...rest] = args;
  return redis.call(String(name), ...rest).catch((error: unknown) => `-${(error as Error).message}`);
}

/** Like ask(), with bulk replies as Buffers (binary keys and values). */
export async function askBuffer(redis: Redis, ...args: (string | Buffer | number)[]): Promise<unknown> {
  const [name, ...rest] = args;
  return redis.callBuffer(String(name), ...rest).catch((error: unknown) => `-${(error as Error).message}`);
}
