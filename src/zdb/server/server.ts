// The 0-db server shell: sockets, RESP framing, pipelining, reply batching and group commit.
// It knows nothing of 0-db's commands: it hands each parsed command to an executor (the engine
// and command layer) and writes back what it answers, in order, per connection.
//
// Batching: replies are not written as commands run. Every connection that produced replies in
// this turn of the event loop (every socket that was readable) is queued; one setImmediate then
// makes the executor write out what it staged (flushWrites: the index items of all SETs of the
// turn in one write per namespace) and, with `sync`, fdatasync the files written (group commit:
// once, whatever the number of clients). Only then are the replies sent, one socket write per
// connection. An acknowledged write is therefore in the files (and with `sync` on disk), and
// concurrent clients share each write and fsync.
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { unlink, stat } from 'node:fs/promises';
import type { Logger } from '../../base/index.ts';
import { RequestParser, RespWriter, RespError, RespFault, type RespFaultCode, type RespProtocolError } from '../resp.ts';
import type { Reply } from '../reply.ts';
import { adoptWithSharedReadBuffer } from './adopt.ts';

export interface Peer {
  unixSocket: boolean;
  address?: string;
}

/** Per-connection state of the command layer; it may ask for the connection to close. */
export interface SessionState {
  readonly closeRequested: boolean;
  /** The connection must be closed without sending the replies not yet sent. */
  readonly abortRequested?: boolean;
}

/** The seam to the command layer (the engine's `Zdb` satisfies it). */
export interface CommandExecutor<S extends SessionState> {
  newSession(peer: Peer): S;
  /** Never throws for bad input; answers an error reply. */
  execute(session: S, args: Buffer[]): Reply | Promise<Reply>;
  /** Writes out what execute() staged; called before each batch's replies are sent. */
  flushWrites?(): void;
  /** Every reply returned so far has been encoded, and Buffers under REPLY_COPY_BYTES_MAX in
   *  them copied: the executor may reuse their memory. */
  releaseReplies?(): void;
  /** fdatasync what was written since the last call (includes flushWrites). */
  syncDirty(): void;
  readonly stopRequested: boolean;
  /** Network byte counters shown by INFO; the shell keeps them. */
  readonly counters?: { networkRxBytes: number; networkTxBytes: number };
}

/** Buffers in replies shorter than this are copied into the connection's output slab when
 *  encoded (larger ones are referenced until written). */
export const REPLY_COPY_BYTES_MAX = 16 * 1024;

export interface ZdbServerOptions<S extends SessionState> {
  executor: CommandExecutor<S>;
  tcp?: { host: string; port: number; dualnet?: boolean };
  socketPath?: string;
  /** Reply only after the written data is on disk (group commit). */
  sync: boolean;
  log: Logger;
  /** Argument count and size limits of one command. */
  argumentsMax?: number;
  argumentBytesMax?: number;
  connectionsMax?: number;
  /** Called once after a STOP command's reply was sent. */
  onStop?: () => void;
}

export interface ZdbServer {
  readonly tcpAddress: AddressInfo | undefined;
  readonly socketPath: string | undefined;
  readonly connectionCount: number;
  /** Stops accepting, closes every connection after its pending replies, resolves when done. */
  close(): Promise<void>;
}

export async function startZdbServer<S extends SessionState>(options: ZdbServerOptions<S>): Promise<ZdbServer> {
  const connections = new Set<Connection<S>>();
  const flushQueue = new Set<Connection<S>>();
  let flushScheduled = false;
  let stopping = false;
  const servers: Server[] = [];

  const flushAll = (): void => {
    flushScheduled = false;
    if (options.sync) options.executor.syncDirty();
    else options.executor.flushWrites?.();
    for (const connection of flushQueue) connection.flush();
    flushQueue.clear();
    if (options.executor.stopRequested && !stopping) {
      stopping = true;
      options.onStop?.();
    }
  };
  const scheduleFlush = (connection: Connection<S>): void => {
    flushQueue.add(connection);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  };

  const accept = (socket: Socket, peer: Peer): void => {
    if (connections.size >= (options.connectionsMax ?? 10_000)) {
      socket.end('-Too many connections\r\n');
      socket.resume(); // accepted paused: without reading, the client's close is never seen and the socket stays open
      return;
    }
    const connection = new Connection(socket, options, peer, scheduleFlush, () => {
      connections.delete(connection);
      flushQueue.delete(connection);
    });
    connections.add(connection);
    options.log.debug('client connected', { peer: peer.address ?? 'unix', clients: connections.size });
  };

  if (options.tcp !== undefined) {
    const { host, port, dualnet } = options.tcp;
    const server = createServer({ pauseOnConnect: true }, (socket) => accept(socket, { unixSocket: false, address: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` }));
    await listen(server, { host, port, ipv6Only: host.includes(':') && dualnet !== true });
    servers.push(server);
  }
  if (options.socketPath !== undefined) {
    await removeStaleSocket(options.socketPath);
    const server = createServer({ pauseOnConnect: true }, (socket) => accept(socket, { unixSocket: true }));
    await listen(server, { path: options.socketPath });
    servers.push(server);
  }

  const tcpAddress = options.tcp === undefined ? undefined : (servers[0]!.address() as AddressInfo);
  return {
    tcpAddress,
    socketPath: options.socketPath,
    get connectionCount() {
      return connections.size;
    },
    async close() {
      const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      if (flushScheduled) flushAll();
      for (const connection of connections) closed.push(connection.end());
      await Promise.all(closed);
    },
  };
}

/** Bytes of unparsed input a connection may hold while an async reply (WAIT) is pending. */
const pendingInputBytesMax = 16 * 1024 * 1024;
/** How long a closing connection waits for its client to take the last replies and close. */
const endGraceMs = 5_000;

class Connection<S extends SessionState> {
  private readonly parser: RequestParser;
  // Starts small and grows to hold the connection's usual batch (16 pipelined 4 KiB replies
  // need 66 KiB); recycled after every synchronous write, so a steady client allocates nothing.
  private readonly writer = new RespWriter({ slabBytes: 16 * 1024, slabBytesMax: 256 * 1024, referenceBytesMin: REPLY_COPY_BYTES_MAX });
  private readonly session: S;
  private readonly socket: Socket;
  private readonly options: ZdbServerOptions<S>;
  private readonly scheduleFlush: (connection: Connection<S>) => void;
  private waiting = false; // an async reply is pending: later commands wait to keep order
  private closing = false;

  constructor(accepted: Socket, options: ZdbServerOptions<S>, peer: Peer, scheduleFlush: (connection: Connection<S>) => void, onClose: () => void) {
    const socket = adoptWithSharedReadBuffer(accepted, (chunk) => this.receive(chunk));
    socket.setNoDelay(true);
    this.socket = socket;
    this.options = options;
    this.scheduleFlush = scheduleFlush;
    this.parser = new RequestParser({
      arrayLengthMax: options.argumentsMax ?? 1024,
      bulkBytesMax: options.argumentBytesMax ?? 8 * 1024 * 1024 + 64 * 1024,
    });
    this.session = options.executor.newSession(peer);
    socket.on('drain', () => socket.resume());
    socket.on('error', (error) => options.log.debug('client socket error', { error }));
    socket.on('close', onClose);
  }

  /** `chunk` is the shared read buffer: parsed now, its unparsed tail copied by settle(). */
  private receive(chunk: Buffer): void {
    const counters = this.options.executor.counters;
    if (counters !== undefined) counters.networkRxBytes += chunk.length;
    if (this.closing) return; // nothing more is answered
    this.parser.feedBorrowed(chunk);
    this.run();
    this.parser.settle();
    // A client that pipelines behind a pending WAIT would otherwise grow our buffer without bound.
    if (this.waiting && this.parser.bufferedBytes > pendingInputBytesMax) this.socket.pause();
  }

  /** Runs every complete command received, in order, and queues their replies. */
  private run(): void {
    let produced = false;
    while (!this.waiting && !this.closing && this.session.abortRequested !== true) {
      const frame = this.parser.next();
      if (frame === null) break;
      produced = true;
      if (frame.type === 'error') {
        this.writer.error(protocolErrorText(frame));
        this.closing = true; // the byte stream is out of step: Redis closes too
        break;
      }
      const reply = this.options.executor.execute(this.session, frame.args);
      if (reply instanceof Promise) {
        this.waiting = true;
        reply.then(
          (value) => this.resume(value),
          (error: unknown) => {
            this.options.log.error('command failed unexpectedly', { error });
            this.resume(new RespError('Internal error'));
          },
        );
        break;
      }
      this.writer.value(reply);
      if (this.session.closeRequested) this.closing = true;
    }
    if (produced) {
      this.options.executor.releaseReplies?.();
      this.scheduleFlush(this);
    }
  }

  private resume(reply: Reply): void {
    this.waiting = false;
    this.writer.value(reply);
    this.options.executor.releaseReplies?.();
    this.scheduleFlush(this);
    this.run();
    if (this.socket.isPaused() && this.socket.writableNeedDrain === false) this.socket.resume();
  }

  flush(): void {
    if (this.session.abortRequested === true) this.socket.destroy();
    if (this.socket.destroyed) return;
    const counters = this.options.executor.counters;
    if (counters !== undefined) counters.networkTxBytes += this.writer.byteLength;
    if (!this.writer.flushTo(this.socket)) this.socket.pause(); // resumed on 'drain'
    // Written synchronously in full: the socket keeps no reference to the slab, reuse it.
    if (this.socket.writableLength === 0) this.writer.recycle();
    if (this.closing) this.socket.end();
  }

  /**
   * Sends what is pending, closes; resolves once the socket is closed. Reading resumes (input is
   * ignored once closing) so that the client's close is seen; a client that reads nothing and
   * never closes is cut off after `endGraceMs`.
   */
  end(): Promise<void> {
    this.closing = true;
    this.flush();
    const closed = new Promise<void>((resolve) => {
      if (this.socket.closed) resolve();
      else this.socket.once('close', () => resolve());
    });
    this.socket.end();
    this.socket.resume();
    const cutOff = setTimeout(() => this.socket.destroy(), endGraceMs);
    cutOff.unref();
    void closed.then(() => clearTimeout(cutOff));
    return closed;
  }
}

// 0-db's texts for the faults it also has (ZDB_SPEC 2.1); Redis's wording for the others.
const zdbFaultTexts: Partial<Record<RespFaultCode, string>> = {
  [RespFault.ARRAY_TOO_LONG]: 'Too many arguments',
  [RespFault.EXPECTED_BULK]: 'Malformed query string',
  [RespFault.BULK_TOO_LARGE]: 'Payload too big',
  [RespFault.REQUEST_TOO_LARGE]: 'Payload too big',
};

function protocolErrorText(frame: RespProtocolError): string {
  return zdbFaultTexts[frame.fault] ?? frame.message;
}

function listen(server: Server, options: { host?: string; port?: number; ipv6Only?: boolean; path?: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

// A socket file left by a killed server would make listen() fail with EADDRINUSE.
async function removeStaleSocket(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isSocket() === true) await unlink(path);
}
