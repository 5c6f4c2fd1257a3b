// The seam with the server shell: `openZdb()` returns a `Zdb` that creates sessions and runs
// commands. Commands are matched exactly (case-insensitive), unlike 0-db's prefix matching.
import { randomInt } from 'node:crypto';
import { createLogger, type Logger } from '../../base/index.ts';
import { Replies, type Reply } from '../reply.ts';
import { RespError } from '../resp.ts';
import { Engine } from '../engine/engine.ts';
import type { Namespace } from '../engine/namespace.ts';
import { Errors, Session, type Context, type Counters, type Handler } from './context.ts';
import * as dataset from './dataset.ts';
import { Hooks } from './hooks.ts';
import * as namespace from './namespace.ts';
import { rscan, scan } from './scan.ts';
import * as system from './system.ts';

export { Session } from './context.ts';

export interface ZdbOptions {
  dataDir: string;
  indexDir: string;
  mode: 'user' | 'seq' | 'mixed';
  datasizeBytes: number;
  adminPassword?: string;
  /** In-memory maxsize of the default namespace (`--maxsize`). */
  maxsizeBytes?: number;
  /** `--protect`: the default namespace's password is the admin password and sessions start read-only. */
  protect?: boolean;
  sync: boolean;
  /** Without `sync`: fdatasync written files when the last sync is older than this (0-db's --synctime). */
  synctimeSec?: number;
  hook?: string;
  /** Identifier passed to hooks (`tcp://host:port` or `unix://path`). */
  zdbId?: string;
  now?: () => number;
  log?: Logger;
}

export interface Zdb {
  newSession(peer: { unixSocket: boolean; address?: string }): Session;
  /** Runs one command. `args[0]` is the command name. Never throws for bad input: answers an error Reply. */
  execute(session: Session, args: Buffer[]): Reply | Promise<Reply>;
  /**
   * Writes out what execute() staged (index items: one write per namespace instead of one per
   * SET). The shell calls it once per batch, before sending the batch's replies; without it the
   * files catch up at the next read of the index, sync, rotation or close. Never throws: a
   * failure is logged and retried at the next call (the data entries are already written).
   */
  flushWrites(): void;
  /**
   * The caller has copied every value (Buffer) of every reply execute() returned so far, so the
   * engine may reuse their memory for later reads. Values it recycles are at most 8 KiB. Without
   * this call, replies stay valid for as long as they are referenced.
   */
  releaseReplies(): void;
  /** fdatasync every file written since the last call (data files before index files). */
  syncDirty(): void;
  /** Set when a STOP command was executed (the shell then closes). */
  readonly stopRequested: boolean;
  readonly counters: Counters;
  close(): Promise<void>;
}

/** WAIT timeout bounds and default, in ms (0-db: 100 ms .. 30 min, 5 s). */
const WAIT_TIMEOUT_MS_MIN = 100;
const WAIT_TIMEOUT_MS_MAX = 30 * 60 * 1000;
const WAIT_TIMEOUT_MS_DEFAULT = 5000;
const WAITERS_MAX = 10_000;

interface Waiter {
  session: Session;
  namespace: Namespace;
  /** Upper-case command name, or '*'. */
  command: string;
  resolve: (reply: Reply) => void;
  timer: NodeJS.Timeout;
}

export async function openZdb(options: ZdbOptions): Promise<Zdb> {
  await Promise.resolve();
  return new ZdbInstance(options);
}

class ZdbInstance implements Zdb {
  readonly counters: Counters = { commandsExecuted: 0, commandsFailed: 0, commandsUnauthorized: 0, clientsLifetime: 0, networkRxBytes: 0, networkTxBytes: 0 };
  stopRequested = false;
  private readonly engine: Engine;
  private readonly options: ZdbOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly bootTimeMs: number;
  private readonly instanceId = randomInt(1, 2 ** 30);
  private readonly hooks: Hooks;
  private readonly waiters = new Set<Waiter>();
  private readonly table: ReadonlyMap<string, Handler>;
  private lastSyncMs: number;

  constructor(options: ZdbOptions) {
    this.options = options;
    this.log = options.log ?? createLogger({ component: 'zdb' });
    this.now = options.now ?? Date.now;
    this.bootTimeMs = this.now();
    this.lastSyncMs = this.bootTimeMs;
    this.engine = Engine.open({
      dataDir: options.dataDir, indexDir: options.indexDir, mode: options.mode, datasizeBytes: options.datasizeBytes, log: this.log,
      defaultMaxsizeBytes: options.maxsizeBytes, defaultPassword: options.protect === true ? options.adminPassword : undefined,
    });
    this.hooks = new Hooks({ path: options.hook, zdbId: options.zdbId ?? 'unknown-id', log: this.log, now: this.now });
    this.table = this.buildTable();
  }

  newSession(peer: { unixSocket: boolean; address?: string }): Session {
    this.counters.clientsLifetime++;
    return new Session(this.engine.defaultNamespace, {
      admin: this.options.adminPassword === undefined,
      writable: !(this.options.protect === true && this.options.adminPassword !== undefined),
      unixSocket: peer.unixSocket,
      address: peer.address,
    });
  }

  execute(session: Session, args: Buffer[]): Reply | Promise<Reply> {
    if (session.namespace.removed) {
      session.closeRequested = true;
      return Replies.error('Your active namespace is not available anymore (probably removed).');
    }
    if (args.length === 0) return Errors.missingArguments;
    const name = args[0]!.toString('latin1').toUpperCase();
    const handler = this.table.get(name);
    if (!handler) {
      this.counters.commandsFailed++;
      return Replies.error('Command not supported');
    }
    this.counters.commandsExecuted++;
    const context: Context = {
      engine: this.engine, session, args, adminPassword: this.options.adminPassword, counters: this.counters, log: this.log,
      now: this.now, bootTimeMs: this.bootTimeMs, instanceId: this.instanceId,
    };
    let reply: Reply | Promise<Reply>;
    try {
      reply = handler(context);
    } catch (error) {
      this.log.error('command failed', { command: name, namespace: session.namespace.name, error });
      reply = Errors.internal;
    }
    if (name !== 'WAIT') this.notifyWaiters(session, name);
    if (!this.options.sync && this.options.synctimeSec) this.syncIfStale();
    return reply;
  }

  flushWrites(): void {
    try {
      this.engine.flushStaged();
    } catch (error) {
      this.log.error('index write failed; retried at the next batch (a restart rebuilds it from the data)', { error });
    }
  }

  releaseReplies(): void {
    this.engine.recycleReads();
  }

  syncDirty(): void {
    this.engine.syncDirty();
    this.lastSyncMs = this.now();
  }

  async close(): Promise<void> {
    for (const waiter of this.waiters) this.finishWait(waiter, Replies.error('Timeout'));
    this.engine.close();
    await Promise.resolve();
  }

  /** 0-db's --synctime: without --sync, a write forces a sync when the last one is too old. */
  private syncIfStale(): void {
    if (this.now() - this.lastSyncMs > (this.options.synctimeSec ?? 0) * 1000) this.syncDirty();
  }

  private buildTable(): Map<string, Handler> {
    const nsHook = (event: string, handler: Handler): Handler => (context) => {
      const reply = handler(context);
      if (!(reply instanceof Promise) && !(reply instanceof RespError)) this.hooks.notify(event, [context.args[1]!.toString('utf8')]);
      return reply;
    };
    return new Map<string, Handler>([
      ['*', () => Replies.error('This is not a valid command')],
      ['WAIT', (context) => this.wait(context)],
      ['PING', system.ping], ['TIME', system.time], ['AUTH', system.auth], ['INFO', system.info],
      ['STOP', (context) => system.stop(context, () => (this.stopRequested = true))],
      ['HOOKS', (context) => (context.session.admin ? this.hooks.list() : Errors.permissionDenied)],
      ['INDEX', system.index], ['DATA', system.data],
      ['SET', dataset.set], ['SETX', dataset.set], ['GET', dataset.get], ['MGET', dataset.mget], ['DEL', dataset.del],
      ['EXISTS', dataset.exists], ['CHECK', dataset.check], ['LENGTH', dataset.length], ['KEYTIME', dataset.keytime],
      ['KEYCUR', dataset.keycur], ['HISTORY', dataset.history], ['SCAN', scan], ['SCANX', scan], ['RSCAN', rscan],
      ['DBSIZE', namespace.dbsize], ['NSNEW', nsHook('namespace-created', namespace.nsnew)], ['NSDEL', nsHook('namespace-deleted', namespace.nsdel)],
      ['NSLIST', namespace.nslist], ['NSINFO', namespace.nsinfo], ['NSSET', nsHook('namespace-updated', namespace.nsset)],
      ['NSJUMP', namespace.nsjump], ['SELECT', namespace.select], ['RELOAD', nsHook('namespace-reloaded', namespace.reload)],
      ['FLUSH', namespace.flush],
    ]);
  }

  /** WAIT command|* [timeout-ms]: resolves when another session on our namespace runs it. */
  private wait(context: Context): Reply | Promise<Reply> {
    const { args, session } = context;
    if (args.length !== 2 && args.length !== 3) return Errors.invalidArguments;
    const command = args[1]!.toString('latin1').toUpperCase();
    if (!this.table.has(command)) return Replies.error('Unknown command to watch');
    let timeoutMs = WAIT_TIMEOUT_MS_DEFAULT;
    if (args.length === 3) {
      const text = args[2]!.toString('latin1');
      timeoutMs = /^\d{1,16}$/.test(text) ? Number(text) : 0;
      if (timeoutMs < WAIT_TIMEOUT_MS_MIN || timeoutMs > WAIT_TIMEOUT_MS_MAX) return Replies.error('Invalid timeout');
    }
    if (this.waiters.size >= WAITERS_MAX) return Replies.error('Too many waiting clients');
    return new Promise<Reply>((resolve) => {
      const waiter: Waiter = { session, namespace: session.namespace, command, resolve, timer: setTimeout(() => this.finishWait(waiter, Replies.error('Timeout')), timeoutMs) };
      this.waiters.add(waiter);
    });
  }

  private notifyWaiters(session: Session, name: string): void {
    if (this.waiters.size === 0) return;
    for (const waiter of this.waiters) {
      if (waiter.session === session || waiter.namespace !== session.namespace) continue;
      if (waiter.command === name || waiter.command === '*') this.finishWait(waiter, Replies.simple(name));
    }
  }

  private finishWait(waiter: Waiter, reply: Reply): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    waiter.resolve(reply);
  }
}
