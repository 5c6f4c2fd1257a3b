// A container's process under supervision: `runc run` in the foreground as our child, so its
// exit is an event rather than something to poll. The container's stdout and stderr go straight
// to its log file (file descriptors handed to runc, never pipes: a pipe would tie the container
// to us). A crash restarts it after a backoff that doubles up to a ceiling and resets once the
// container has stayed up for a while. Each node keeps its containers under its own runc root,
// so listing and sweeping them never touches anyone else's.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, fstatSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TfgridError, type Logger } from '../../base/index.ts';
import { ZosError } from '../errors.ts';
import { runQuietly } from './exec.ts';

export const supervisorDefaults = {
  /** A container that exits this soon after starting failed (ZOS_CONTAINER_EXITED). */
  startGraceMs: 200,
  startTimeoutMs: 15_000,
  restartDelayMsMin: 500,
  restartDelayMsMax: 60_000,
  /** Up this long: the next crash starts the backoff over. */
  stableMs: 30_000,
  pidPollMs: 5,
  logTailBytes: 2048,
} as const;

export interface ContainerProcessOptions {
  readonly runcRoot: string;
  readonly id: string;
  readonly bundle: string;
  readonly logPath: string;
  readonly log: Logger;
  readonly startGraceMs?: number;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function readTail(path: string, bytes: number): string {
  if (!existsSync(path)) return '';
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export class ContainerProcess {
  readonly #options: ContainerProcessOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<number | null> = Promise.resolve(null);
  #stopping = false;
  #starting = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartDelayMs: number = supervisorDefaults.restartDelayMsMin;
  restarts = 0;

  constructor(options: ContainerProcessOptions) {
    this.#options = options;
  }

  #runc(...args: string[]): string[] {
    return ['--root', this.#options.runcRoot, ...args];
  }

  /** Starts the container; resolves once it runs and has survived the grace period. */
  async start(): Promise<void> {
    this.#starting = true;
    let code: number | null | 'running';
    const grace = this.#options.startGraceMs ?? supervisorDefaults.startGraceMs;
    try {
      await this.#launch();
      code = await Promise.race([this.#exited, delay(grace).then(() => 'running' as const)]);
    } finally {
      this.#starting = false;
    }
    if (code !== 'running') {
      await this.#cleanupExited();
      const tail = readTail(this.#options.logPath, supervisorDefaults.logTailBytes).trim().split('\n').slice(-5).join(' | ');
      throw new TfgridError(ZosError.CONTAINER_EXITED, `container exited with ${code} within ${grace} ms of starting${tail === '' ? '' : `: ${tail}`}`);
    }
  }

  async #launch(): Promise<void> {
    const { id, bundle, logPath } = this.#options;
    const pidFile = join(bundle, 'container.pid');
    await rm(pidFile, { force: true });
    await runQuietly('runc', this.#runc('delete', '--force', id));
    const out = openSync(logPath, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn('runc', this.#runc('run', '--bundle', bundle, '--pid-file', pidFile, id), { stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    this.#child = child;
    const startedMs = Date.now();
    this.#exited = new Promise((resolve) => {
      child.once('error', () => resolve(-1));
      child.once('exit', (code, signal) => resolve(code ?? (signal === null ? null : -1)));
    });
    void this.#exited.then((code) => this.#onExit(child, code, startedMs));
    const deadline = Date.now() + supervisorDefaults.startTimeoutMs;
    while (!existsSync(pidFile)) {
      if (child.exitCode !== null || child.signalCode !== null) return; // start() reports it
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new TfgridError(ZosError.SYSTEM, `runc did not start container ${id} within ${supervisorDefaults.startTimeoutMs} ms`);
      }
      await delay(supervisorDefaults.pidPollMs);
    }
  }

  #onExit(child: ChildProcess, code: number | null, startedMs: number): void {
    // An exit during the start grace is start()'s to report, not a crash to restart.
    if (this.#stopping || this.#child !== child || this.#starting) return;
    if (Date.now() - startedMs >= supervisorDefaults.stableMs) this.#restartDelayMs = supervisorDefaults.restartDelayMsMin;
    const delayMs = this.#restartDelayMs;
    this.#restartDelayMs = Math.min(supervisorDefaults.restartDelayMsMax, delayMs * 2);
    this.#options.log.warn('container exited: restarting', { id: this.#options.id, code, delayMs });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopping) return;
      this.restarts++;
      this.#launch().catch((error: unknown) => this.#options.log.error('container restart failed', { id: this.#options.id, error }));
    }, delayMs);
  }

  async #cleanupExited(): Promise<void> {
    this.#stopping = true;
    await runQuietly('runc', this.#runc('delete', '--force', this.#options.id));
  }

  /** Kills the container and removes runc's state (and its cgroups). */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    await runQuietly('runc', this.#runc('kill', this.#options.id, 'KILL'));
    const child = this.#child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const done = await Promise.race([this.#exited.then(() => true), delay(5_000).then(() => false)]);
      if (!done) child.kill('SIGKILL');
    }
    await runQuietly('runc', this.#runc('delete', '--force', this.#options.id));
  }
}
