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
import { CommandNames } from './names.ts';
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
  /** `--read-cache`: bytes of recently read values kept in memory for GET/MGET (0: none, like 0-db; absent: readCacheBytesDefault). */
  readCacheBytes?: number;
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
   * Writes out what execute() staged: the data entries and index items of a batch of SETs, in
   * one write per file instead of two per SET. The shell calls it once per batch, before sending
   * the batch's replies; without it the files catch up when a command that may observe them
   * runs (anything but SET, SETX, GET, MGET, PING), at reads of staged entries, sync, rotation
   * or close. Never throws. If staged data cannot be written, every session that staged a write
   * in that namespace since the last call gets `abortRequested` (its connection must be closed
   * without the replies not yet sent, since some of them acknowledge writes that were dropped),
   * and the namespace is reloaded from its files. A failed index write is logged and retried at
   * the next call (the data entries are written; a restart rebuilds the items from them).
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
  /** Runs the `--hook` executable for a server event (`ready`, `close`); resolves with its exit status (0 without a hook). */
  runHook(event: string, args?: string[]): Promise<number>;
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
/** Commands that run on staged appends (see flushWrites): SET and SETX stage; GET and MGET see a
 *  staged entry only through a file read, which writes the staged bytes first. */
const STAGING_COMMANDS: ReadonlySet<string> = new Set(['SET', 'SETX', 'GET', 'MGET', 'PING']);

interface Waiter {
  session: Session;
  namespace: Namespace;
  /** Upper-case command name, or '*'. */
  command: string;
  resolve: (reply: Reply) => void;
  timer: NodeJS.Timeout;
}

/**
 * Small values read again and again (flist metadata, BCDB objects, a hot key) are common, and a
 * hit skips the pread and the CRC. The ring's pages are only touched as values enter it.
 */
export const readCacheBytesDefault = 32 * 2 ** 20;

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
  private readonly names: CommandNames;
  private lastSyncMs: number;
  /** Sessions that staged a write since the last flushWrites(), per namespace. */
  private readonly stagedSessions = new Map<Namespace, Set<Session>>();

  constructor(options: ZdbOptions) {
    this.options = options;
    this.log = options.log ?? createLogger({ component: 'zdb' });
    this.now = options.now ?? Date.now;
    this.bootTimeMs = this.now();
    this.lastSyncMs = this.bootTimeMs;
    this.engine = Engine.open({
      dataDir: options.dataDir, indexDir: options.indexDir, mode: options.mode, datasizeBytes: options.datasizeBytes, log: this.log,
      defaultMaxsizeBytes: options.maxsizeBytes, defaultPassword: options.protect === true ? options.adminPassword : undefined,
      readCacheBytes: options.readCacheBytes ?? readCacheBytesDefault,
    });
    this.hooks = new Hooks({ path: options.hook, zdbId: options.zdbId ?? 'unknown-id', log: this.log, now: this.now });
    this.table = this.buildTable();
    this.names = new CommandNames(this.table.keys());
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
    const name = this.names.resolve(args[0]!);
    const handler = this.table.get(name);
    if (!handler) {
      this.counters.commandsFailed++;
      return Replies.error('Command not supported');
    }
    this.counters.commandsExecuted++;
    // No reply may depend on staged bytes that could still fail to reach the files.
    if (this.engine.staging && !STAGING_COMMANDS.has(name)) this.flushWrites();
    if (session.abortRequested) return Errors.internal; // its connection is dropped unanswered
    const context: Context = {
      engine: this.engine, session, args, adminPassword: this.options.adminPassword, counters: this.counters, log: this.log,
      now: this.now, bootTimeMs: this.bootTimeMs, instanceId: this.instanceId,
    };
    const ns = session.namespace;
    const stagedBefore = ns.files.stagedEntries;
    let reply: Reply | Promise<Reply>;
    try {
      reply = handler(context);
    } catch (error) {
      this.log.error('command failed', { command: name, namespace: session.namespace.name, error });
      reply = Errors.internal;
    }
    if (ns.files.stagedEntries !== stagedBefore) this.trackStaged(ns, session);
    if (this.engine.hasFailed) this.recover();
    if (name !== 'WAIT') this.notifyWaiters(session, name);
    if (!this.options.sync && this.options.synctimeSec) this.syncIfStale();
    return reply;
  }

  flushWrites(): void {
    if (this.engine.staging) {
      try {
        this.engine.flushStaged();
      } catch (error) {
        this.log.error('writing staged entries failed', { error });
      }
    }
    if (this.engine.hasFailed) this.recover();
    this.stagedSessions.clear();
  }

  private trackStaged(ns: Namespace, session: Session): void {
    let sessions = this.stagedSessions.get(ns);
    if (sessions === undefined) this.stagedSessions.set(ns, (sessions = new Set()));
    sessions.add(session);
  }

  /** After a failed staged data write: its writers are cut off unanswered, the namespace reloaded. */
  private recover(): void {
    for (const ns of this.engine.failedNamespaces()) {
      const sessions = this.stagedSessions.get(ns) ?? new Set<Session>();
      for (const session of sessions) session.abortRequested = true;
      this.stagedSessions.delete(ns);
      this.log.error('staged writes were dropped: disconnecting their clients unanswered and reloading the namespace', { namespace: ns.name, clients: sessions.size });
      try {
        this.engine.reload(ns);
      } catch (error) {
        this.log.error('namespace reload failed; retried at the next command', { namespace: ns.name, error });
      }
    }
  }

  releaseReplies(): void {
    this.engine.recycleReads();
  }

  syncDirty(): void {
    this.flushWrites();
    this.engine.syncDirty();
    this.lastSyncMs = this.now();
  }

  /** Runs the `--hook` executable for a server event (`ready`, `close`); resolves with its exit status. */
  runHook(event: string, args: string[] = []): Promise<number> {
    return this.hooks.run(event, args);
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
      ['PING', system.ping], ['HELLO', system.hello], ['TIME', system.time], ['AUTH', system.auth], ['INFO', system.info],
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
