// One pipelined RESP connection that outlives the socket under it: calls share the socket and
// replies are matched to them in order (RESP has no request ids); when the socket drops, calls in
// flight fail (they may or may not have run), new calls wait in a bounded queue, and a new socket
// is opened with backoff and prepared (SELECT, AUTH) by `setup` before the queue flows again.
import { createConnection, type Socket } from 'node:net';
import { TfgridError, assert, createLogger, type Logger } from '../base/index.ts';
import { ZdbError } from './errors.ts';
import { ReplyParser, RespError, RespWriter, type RespReply } from './resp.ts';

export type ZdbEndpoint = { readonly host: string; readonly port: number } | { readonly path: string };

export interface ReconnectOptions {
  /** First delay after a loss; doubled per failed attempt (with jitter) up to delayMaxMs. */
  delayMinMs?: number;
  delayMaxMs?: number;
  /** Consecutive failed attempts before giving up and closing; default unlimited. */
  attemptsMax?: number;
}

export const ConnectionState = {
  CONNECTING: 'connecting',
  READY: 'ready',
  RECONNECTING: 'reconnecting',
  CLOSED: 'closed',
} as const;
export type ConnectionStateName = (typeof ConnectionState)[keyof typeof ConnectionState];

export type CallArgs = readonly (Uint8Array | string)[];
/** Sends one command on the socket being prepared, ahead of queued calls. */
export type SessionCall = (args: CallArgs) => Promise<RespReply>;

export interface RespConnectionOptions {
  /** Default per-call timeout. */
  timeoutMs: number;
  /** Limit for opening a socket and running `setup` on it; default timeoutMs. */
  connectTimeoutMs?: number;
  reconnect: boolean | ReconnectOptions;
  /** Calls in flight plus calls waiting for a connection. */
  pendingCallsMax?: number;
  /** Largest bulk accepted in a reply. */
  replyBulkBytesMax?: number;
  /** Prepares every new socket (e.g. AUTH, SELECT) before queued calls are sent on it. */
  setup?: (call: SessionCall) => Promise<void>;
  onStateChange?: (state: ConnectionStateName) => void;
  logger?: Logger;
}

export interface CallOptions {
  /** Overrides the connection's timeoutMs (e.g. for a blocking WAIT). */
  timeoutMs?: number;
}

interface Call {
  readonly args: CallArgs;
  readonly resolve: (reply: RespReply) => void;
  readonly reject: (error: TfgridError) => void;
  timer: NodeJS.Timeout | undefined;
  /** Resolved, rejected or timed out; a timed-out call keeps its slot until its reply comes. */
  settled: boolean;
  sent: boolean;
}

const reconnectDefaults = { delayMinMs: 50, delayMaxMs: 5_000, attemptsMax: Number.POSITIVE_INFINITY };
const pendingCallsMaxDefault = 100_000;
/** Replies this small are copied out of the socket chunk (through Node's 8 KiB buffer pool) so a
 *  caller keeping many small values does not keep a 64 KiB chunk alive for each. */
const copyBulkBytesMax = 4096;
const keepAliveDelayMs = 10_000;
/** Node timers overflow (and fire at once) beyond 2^31 - 1 ms. */
const timeoutMsMax = 2 ** 31 - 1;

export class RespConnection {
  private readonly endpoint: ZdbEndpoint;
  private readonly options: RespConnectionOptions;
  private readonly reconnect: Required<ReconnectOptions> | null;
  private readonly pendingCallsMax: number;
  private readonly logger: Logger;
  private stateName: ConnectionStateName = ConnectionState.CONNECTING;
  private socket: Socket | null = null;
  private parser: ReplyParser;
  private readonly writer = new RespWriter();
  private flushScheduled = false;
  /** Sent calls awaiting replies, oldest first, from `inflightHead`. */
  private inflight: Call[] = [];
  private inflightHead = 0;
  /** Calls made while no socket was ready, oldest first. */
  private waiting: Call[] = [];
  private failedAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Why the current socket is being torn down, when we tear it down ourselves. */
  private lossReason: TfgridError | null = null;
  /** Sent calls not yet settled, and who waits for that count to reach zero (close()). */
  private unsettledSent = 0;
  private whenIdle: (() => void) | null = null;

  private constructor(endpoint: ZdbEndpoint, options: RespConnectionOptions) {
    assert(options.timeoutMs > 0 && options.timeoutMs <= timeoutMsMax, 'the default call timeout is positive and fits a Node timer');
    this.endpoint = endpoint;
    this.options = options;
    this.reconnect = options.reconnect === false ? null : { ...reconnectDefaults, ...(options.reconnect === true ? {} : options.reconnect) };
    this.pendingCallsMax = options.pendingCallsMax ?? pendingCallsMaxDefault;
    this.logger = (options.logger ?? createLogger({ component: 'zdb.client' })).child({ endpoint: describe(endpoint) });
    this.parser = this.newParser();
  }

  /** Opens the first socket and runs `setup` on it; fails fast (no retry) if either fails. */
  static async open(endpoint: ZdbEndpoint, options: RespConnectionOptions): Promise<RespConnection> {
    const connection = new RespConnection(endpoint, options);
    try {
      await connection.attempt();
    } catch (error) {
      connection.destroy();
      throw new TfgridError(ZdbError.CONNECT_FAILED, `${describe(endpoint)}: ${messageOf(error)}`, { cause: error });
    }
    return connection;
  }

  get state(): ConnectionStateName {
    return this.stateName;
  }

  /** Calls in flight plus calls waiting for a connection. */
  get pendingCalls(): number {
    return this.inflight.length - this.inflightHead + this.waiting.length;
  }

  /** Sends a command; resolves with its reply, rejects with a coded TfgridError (an error reply
   *  is ZDB_SERVER_ERROR carrying the server's text). */
  call(args: CallArgs, options: CallOptions = {}): Promise<RespReply> {
    if (this.stateName === ConnectionState.CLOSED) return Promise.reject(new TfgridError(ZdbError.CLOSED, 'the connection is closed'));
    if (this.pendingCalls >= this.pendingCallsMax) {
      return Promise.reject(new TfgridError(ZdbError.QUEUE_FULL, `${this.pendingCalls} calls pending (max ${this.pendingCallsMax})`));
    }
    return this.enqueue(args, options.timeoutMs ?? this.options.timeoutMs, this.stateName === ConnectionState.READY);
  }

  /** Stops reconnecting, fails waiting calls, lets calls in flight finish, then closes the socket. */
  async close(): Promise<void> {
    if (this.stateName === ConnectionState.CLOSED) return;
    this.setState(ConnectionState.CLOSED);
    clearTimeout(this.reconnectTimer);
    this.failWaiting(new TfgridError(ZdbError.CLOSED, 'the connection was closed'));
    const socket = this.socket;
    if (socket === null) return;
    if (this.unsettledSent > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
    if (!socket.destroyed) {
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end();
      // A peer that never closes its side would keep us waiting: give it one timeout.
      const timer = setTimeout(() => socket.destroy(), this.options.timeoutMs);
      await closed;
      clearTimeout(timer);
    }
  }

  /** Closes at once: every pending call fails with ZDB_CLOSED. */
  destroy(): void {
    const reason = new TfgridError(ZdbError.CLOSED, 'the connection was destroyed');
    this.setState(ConnectionState.CLOSED);
    clearTimeout(this.reconnectTimer);
    this.failWaiting(reason);
    this.dropSocket(reason);
  }

  private enqueue(args: CallArgs, timeoutMs: number, sendNow: boolean): Promise<RespReply> {
    assert(timeoutMs > 0 && timeoutMs <= timeoutMsMax, 'a call timeout is positive and fits a Node timer');
    return new Promise<RespReply>((resolve, reject) => {
      const call: Call = { args, resolve, reject, timer: undefined, settled: false, sent: false };
      call.timer = setTimeout(() => this.onTimeout(call, timeoutMs), timeoutMs);
      if (sendNow) this.send(call);
      else this.waiting.push(call);
    });
  }

  private send(call: Call): void {
    assert(this.socket !== null, 'calls are sent on an open socket');
    call.sent = true;
    this.unsettledSent++;
    this.writer.command(call.args);
    this.inflight.push(call);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Calls made in the same tick leave in one write: pipelining without Nagle's delay.
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.socket === null || this.socket.destroyed) {
      this.writer.take();
      return;
    }
    this.writer.flushTo(this.socket);
  }

  private onTimeout(call: Call, timeoutMs: number): void {
    if (call.settled) return;
    this.settle(call, new TfgridError(ZdbError.TIMEOUT, `no reply to ${commandName(call.args)} within ${timeoutMs} ms`));
    if (!call.sent) {
      this.waiting.splice(this.waiting.indexOf(call), 1);
      return;
    }
    // Replies come in order: if the oldest unanswered call got none, nothing behind it will
    // either. A new socket is the only way forward (a half-open TCP connection also ends up here).
    if (this.isOldestUnanswered(call)) {
      this.logger.warn('no reply within the timeout; resetting the connection', { command: commandName(call.args), timeoutMs });
      this.dropSocket(new TfgridError(ZdbError.CONNECTION_LOST, `connection reset: no reply within ${timeoutMs} ms`));
    }
  }

  /** True if every call sent before `call` has timed out without a reply (or there is none). */
  private isOldestUnanswered(call: Call): boolean {
    for (let i = this.inflightHead; i < this.inflight.length; i++) {
      const ahead = this.inflight[i]!;
      if (ahead === call) return true;
      if (!ahead.settled) return false; // e.g. a WAIT with a longer timeout: not stuck yet
    }
    return false;
  }

  private onData(chunk: Buffer): void {
    this.parser.feed(chunk);
    for (let frame = this.parser.next(); frame !== null; frame = this.parser.next()) {
      if (frame.type === 'error') {
        this.protocolFailure(frame.message);
        return;
      }
      const call = this.inflight[this.inflightHead];
      if (call === undefined) {
        this.protocolFailure('a reply came with no call waiting for it');
        return;
      }
      this.shiftInflight();
      const reply = frame.value;
      if (reply instanceof RespError) this.settle(call, new TfgridError(ZdbError.SERVER_ERROR, reply.message));
      else this.settle(call, null, reply);
    }
  }

  private protocolFailure(message: string): void {
    this.logger.error('protocol error from the server; resetting the connection', { message });
    this.dropSocket(new TfgridError(ZdbError.PROTOCOL_ERROR, message));
  }

  private shiftInflight(): void {
    this.inflight[this.inflightHead] = undefined as unknown as Call;
    this.inflightHead++;
    if (this.inflightHead === this.inflight.length) {
      this.inflight.length = 0;
      this.inflightHead = 0;
    } else if (this.inflightHead >= 4096 && this.inflightHead * 2 >= this.inflight.length) {
      this.inflight = this.inflight.slice(this.inflightHead);
      this.inflightHead = 0;
    }
  }

  /** Destroys the current socket; its 'close' handler fails the calls in flight with `reason`. */
  private dropSocket(reason: TfgridError): void {
    if (this.socket === null) return;
    this.lossReason = reason;
    this.socket.destroy();
    this.onSocketClosed(this.socket);
  }

  private onSocketClosed(socket: Socket): void {
    if (socket !== this.socket) return;
    const wasReady = this.stateName === ConnectionState.READY;
    const reason = this.lossReason ?? new TfgridError(ZdbError.CONNECTION_LOST, `connection to ${describe(this.endpoint)} lost`);
    this.socket = null;
    this.lossReason = null;
    this.writer.take();
    const lost = this.inflight.slice(this.inflightHead);
    this.inflight = [];
    this.inflightHead = 0;
    for (const call of lost) this.settle(call, reason);
    if (wasReady) {
      this.logger.warn('connection lost', { reason: reason.message, callsFailed: lost.length });
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stateName === ConnectionState.CLOSED) return;
    if (this.reconnect === null || this.failedAttempts >= this.reconnect.attemptsMax) {
      this.setState(ConnectionState.CLOSED);
      this.failWaiting(new TfgridError(ZdbError.CONNECTION_LOST, `connection to ${describe(this.endpoint)} lost; not reconnecting`));
      return;
    }
    this.setState(ConnectionState.RECONNECTING);
    const { delayMinMs, delayMaxMs } = this.reconnect;
    const ceilingMs = Math.min(delayMaxMs, delayMinMs * 2 ** Math.min(this.failedAttempts, 30));
    // Jitter spreads the reconnects of many clients after a server restart.
    const delayMs = Math.round(ceilingMs / 2 + (Math.random() * ceilingMs) / 2);
    this.reconnectTimer = setTimeout(() => {
      this.attempt().then(
        () => {
          this.failedAttempts = 0;
          this.logger.info('reconnected', { callsWaiting: this.waiting.length });
        },
        (error: unknown) => {
          if (this.isClosed()) return;
          this.failedAttempts++;
          this.logger.warn('reconnect attempt failed', { attempt: this.failedAttempts, error: messageOf(error) });
          this.scheduleReconnect();
        },
      );
    }, delayMs);
  }

  /** Opens a socket, runs setup on it, then makes it the ready socket and drains the queue. */
  private async attempt(): Promise<void> {
    const connectTimeoutMs = this.options.connectTimeoutMs ?? this.options.timeoutMs;
    const socket = await openSocket(this.endpoint, connectTimeoutMs);
    if (this.stateName === ConnectionState.CLOSED) {
      socket.destroy();
      throw new TfgridError(ZdbError.CLOSED, 'closed while connecting');
    }
    this.attach(socket);
    if (this.options.setup !== undefined) {
      const sessionCall: SessionCall = (args) => (this.socket === socket ? this.enqueue(args, connectTimeoutMs, true) : Promise.reject(lostDuringSetup()));
      try {
        await this.options.setup(sessionCall);
      } catch (error) {
        if (this.socket === socket) this.dropSocket(new TfgridError(ZdbError.CONNECTION_LOST, 'session setup failed'));
        throw error;
      }
    }
    if (this.socket !== socket) throw lostDuringSetup();
    if (this.isClosed()) return; // close() during setup: it ends the socket once setup's calls settle
    this.setState(ConnectionState.READY);
    const waiting = this.waiting;
    this.waiting = [];
    for (const call of waiting) this.send(call);
  }

  private attach(socket: Socket): void {
    assert(this.socket === null, 'one socket at a time');
    this.socket = socket;
    this.parser = this.newParser();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, keepAliveDelayMs);
    socket.on('data', (chunk: Buffer) => {
      if (socket === this.socket) this.onData(chunk);
    });
    socket.on('error', (error) => this.logger.debug('socket error', { error }));
    socket.on('close', () => this.onSocketClosed(socket));
  }

  private newParser(): ReplyParser {
    return new ReplyParser({ bulkBytesMax: this.options.replyBulkBytesMax, copyBulkBytesMax });
  }

  private failWaiting(reason: TfgridError): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const call of waiting) this.settle(call, reason);
  }

  /** The one place a call ends: rejected with `error`, else resolved with `reply`. */
  private settle(call: Call, error: TfgridError | null, reply: RespReply = null): void {
    if (call.settled) return;
    call.settled = true;
    clearTimeout(call.timer);
    if (error === null) call.resolve(reply);
    else call.reject(error);
    if (!call.sent) return;
    this.unsettledSent--;
    assert(this.unsettledSent >= 0, 'each sent call settles once');
    if (this.unsettledSent === 0 && this.whenIdle !== null) {
      const resolve = this.whenIdle;
      this.whenIdle = null;
      resolve();
    }
  }

  /** A method, not a property read, so TypeScript does not narrow it across an await. */
  private isClosed(): boolean {
    return this.stateName === ConnectionState.CLOSED;
  }

  private setState(state: ConnectionStateName): void {
    if (this.stateName === state) return;
    this.stateName = state;
    this.options.onStateChange?.(state);
  }
}

function openSocket(endpoint: ZdbEndpoint, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in endpoint ? createConnection({ path: endpoint.path }) : createConnection({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TfgridError(ZdbError.TIMEOUT, `could not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function lostDuringSetup(): TfgridError {
  return new TfgridError(ZdbError.CONNECTION_LOST, 'connection lost during session setup');
}

function describe(endpoint: ZdbEndpoint): string {
  return 'path' in endpoint ? `unix:${endpoint.path}` : `${endpoint.host}:${endpoint.port}`;
}

function commandName(args: CallArgs): string {
  const first = args[0];
  if (first === undefined) return '(empty)';
  return (typeof first === 'string' ? first : Buffer.from(first.buffer, first.byteOffset, Math.min(first.byteLength, 32)).toString('latin1')).toUpperCase();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
