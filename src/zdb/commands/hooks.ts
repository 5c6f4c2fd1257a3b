// The `--hook` executable: `<hook> <event> <zdb id> <args...>`, run without a shell. HOOKS lists
// the recent runs; finished runs are forgotten after 300 s like 0-db.
import { spawn } from 'node:child_process';
import type { Logger } from '../../base/index.ts';
import { Replies, type Reply } from '../reply.ts';

const FINISHED_HOOK_TTL_MS = 300_000;
const HOOK_RUNS_MAX = 1024;

interface HookRun {
  event: string;
  args: string[];
  pid: number;
  createdMs: number;
  finishedMs: number;
  status: number;
}

export class Hooks {
  private readonly path: string | undefined;
  private readonly zdbId: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly runs: HookRun[] = [];

  constructor(options: { path: string | undefined; zdbId: string; log: Logger; now: () => number }) {
    this.path = options.path;
    this.zdbId = options.zdbId;
    this.log = options.log;
    this.now = options.now;
  }

  /** Starts the hook; resolves with its exit status (0 when no hook is configured). */
  run(event: string, args: string[]): Promise<number> {
    if (this.path === undefined) return Promise.resolve(0);
    this.expire();
    const child = spawn(this.path, [event, this.zdbId, ...args], { stdio: 'ignore' });
    const record: HookRun = { event, args, pid: child.pid ?? 0, createdMs: this.now(), finishedMs: 0, status: 0 };
    if (this.runs.length < HOOK_RUNS_MAX) this.runs.push(record);
    return new Promise((resolve) => {
      child.on('error', (error) => {
        this.log.warn('hook failed to start', { event, error });
        record.finishedMs = this.now();
        record.status = 127;
        resolve(127);
      });
      child.on('exit', (code, signal) => {
        record.finishedMs = this.now();
        record.status = code ?? (signal ? 128 : 0);
        resolve(record.status);
      });
    });
  }

  /** Fire-and-forget form for events nobody waits on. */
  notify(event: string, args: string[]): void {
    void this.run(event, args);
  }

  list(): Reply {
    this.expire();
    return Replies.array(this.runs.map((run) => Replies.array([
      Replies.bulk(run.event), Replies.array(run.args.map((arg) => Replies.bulk(arg))), Replies.integer(run.pid),
      Replies.integer(Math.floor(run.createdMs / 1000)), Replies.integer(Math.floor(run.finishedMs / 1000)), Replies.integer(run.status),
    ])));
  }

  private expire(): void {
    const cutoff = this.now() - FINISHED_HOOK_TTL_MS;
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const run = this.runs[i]!;
      if (run.finishedMs !== 0 && run.finishedMs < cutoff) this.runs.splice(i, 1);
    }
  }
}
