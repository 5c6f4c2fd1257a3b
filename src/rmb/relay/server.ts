// The relay: a WebSocket server that routes envelopes between twins by destination twin id. It
// sees addresses, never content: payloads are boxed end to end. `/health` and `/metrics` answer
// over HTTP on the same port. Peers connect to `/?token=…`, other relays to `/relay?token=…`.
//
// Per envelope: decode (bounded) → fresh? → source is the connection's twin/session (peer links,
// authenticated by the token) → rate limit → destination: local (this relay is in its
// relay list, it lists none, or the envelope came from another relay) → a connected session or
// the offline queue (optionally journaled to a file: queue.ts); else forwarded to the
// destination's relays (federation). A refused envelope is dropped and, when it is not itself an
// error, answered with an error envelope boxed from the relay's twin to the sender's twin.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { TfgridError, createLogger, isTfgridError, type Logger } from '../../base/index.ts';
import type { Identity } from '../../crypto/index.ts';
import { RmbError } from '../errors.ts';
import { checkFresh, decodeEnvelope, envelopeBytesMax, makeEnvelope, newUid, type Address, type Envelope } from '../envelope.ts';
import type { Phonebook } from '../phonebook.ts';
import { readToken, verifyToken } from '../token.ts';
import { WriteBatch } from '../batch.ts';
import { Federation } from './federation.ts';
import { RateLimiter } from './limits.ts';
import { RelayQueue } from './queue.ts';

export const relayDefaults = {
  queuedPerTwinMax: 1_000,
  queuedTotalMax: 100_000,
  queuedBytesMax: 256 * 1024 * 1024,
  ratePerSec: 50_000,
  rateBurst: 100_000,
  demoteMs: 30_000,
  sessionsPerTwinMax: 16,
  connectionsMax: 10_000,
  sweepIntervalMs: 1_000,
} as const;
const errorTtlMs = 60_000;

export interface RelayOptions {
  readonly identity: Identity;
  /** The relay's own twin: it signs error envelopes and authenticates to other relays. */
  readonly twinId: number;
  readonly phonebook: Phonebook;
  readonly host?: string;
  readonly port?: number;
  /** host[:port] under which twins list this relay; default `<host>:<port>`. */
  readonly names?: readonly string[];
  /** Refuse (RMB_UNREACHABLE) instead of queueing for an offline twin. */
  readonly failFast?: boolean;
  readonly queuedPerTwinMax?: number;
  readonly queuedTotalMax?: number;
  readonly queuedBytesMax?: number;
  /**
   * Directory of the durable queue file: envelopes queued for offline twins survive a restart
   * (README "Queue file"). None (the library default): the queue is in memory only.
   */
  readonly queueDir?: string;
  readonly ratePerSec?: number;
  readonly rateBurst?: number;
  readonly demoteMs?: number;
  readonly log?: Logger;
}

export interface RelayMetrics {
  connectedTwins: number;
  sessions: number;
  messagesIn: number;
  messagesOut: number;
  forwarded: number;
  /** Links to other relays that failed (each demotes that relay for demoteMs). */
  forwardFailures: number;
  queued: number;
  queuedBytes: number;
  dropped: number;
}

interface Connection {
  readonly socket: WebSocket;
  readonly twin: number;
  readonly session: string;
  readonly kind: 'peer' | 'relay';
  /** The peer's twin's X25519 key from the phonebook (peer links): refusals are boxed to it. */
  readonly encryptionKey?: Uint8Array;
  /** Batches this connection's frames per event-loop turn; none for relay links' inbound side. */
  readonly batch?: WriteBatch;
}

export interface Relay {
  readonly port: number;
  readonly url: string;
  readonly names: readonly string[];
  metrics(): RelayMetrics;
  close(): Promise<void>;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? createLogger({ component: 'rmb-relay' });
  const queue = await RelayQueue.open({
    queuedPerTwinMax: options.queuedPerTwinMax ?? relayDefaults.queuedPerTwinMax,
    queuedTotalMax: options.queuedTotalMax ?? relayDefaults.queuedTotalMax,
    queuedBytesMax: options.queuedBytesMax ?? relayDefaults.queuedBytesMax,
    dir: options.queueDir, log,
  }, Date.now());
  const http = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, host, resolve);
    });
  } catch (error) {
    await queue.close();
    throw error;
  }
  const port = (http.address() as { port: number }).port;
  const relay = new RelayServer({ ...options, log }, queue, http, options.names ?? [`${host}:${port}`]);
  return { port, url: `ws://${host}:${port}`, names: relay.names, metrics: () => relay.metrics(), close: () => relay.close() };
}

class RelayServer {
  readonly names: readonly string[];
  readonly #options: RelayOptions;
  readonly #http: Server;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: envelopeBytesMax });
  readonly #sessions = new Map<number, Map<string, Connection>>();
  readonly #queues: RelayQueue;
  readonly #rate: RateLimiter;
  readonly #federation: Federation;
  readonly #log: Logger;
  readonly #sweep: NodeJS.Timeout;
  readonly #counters = { messagesIn: 0, messagesOut: 0, forwarded: 0, forwardFailures: 0, dropped: 0 };
  #connections = 0;

  constructor(options: RelayOptions & { log: Logger }, queue: RelayQueue, http: Server, names: readonly string[]) {
    this.#options = options;
    this.#http = http;
    this.names = names;
    this.#log = options.log;
    this.#queues = queue;
    this.#rate = new RateLimiter(options.ratePerSec ?? relayDefaults.ratePerSec, options.rateBurst ?? relayDefaults.rateBurst);
    this.#federation = new Federation({ identity: options.identity, twinId: options.twinId, demoteMs: options.demoteMs ?? relayDefaults.demoteMs, log: this.#log, onFailure: () => this.#counters.forwardFailures++, onFrame: (socket, data) => this.#onFrame({ socket, twin: 0, session: '', kind: 'relay' }, data) });
    this.#sweep = setInterval(() => (this.#counters.dropped += this.#queues.sweep(Date.now())), relayDefaults.sweepIntervalMs).unref();
    http.on('request', (request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const body = path === '/health' ? { ok: true, names: this.names } : path === '/metrics' ? this.metrics() : undefined;
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { error: { code: 'RMB_NOT_FOUND', message: 'RMB_NOT_FOUND: /health, /metrics or a WebSocket upgrade' } }));
    });
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(request, socket, head));
  }

  metrics(): RelayMetrics {
    let sessions = 0;
    for (const twin of this.#sessions.values()) sessions += twin.size;
    return { connectedTwins: this.#sessions.size, sessions, ...this.#counters, queued: this.#queues.count, queuedBytes: this.#queues.bytes };
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://relay');
    const kind = url.pathname === '/relay' ? 'relay' : url.pathname === '/' ? 'peer' : undefined;
    try {
      if (kind === undefined) throw new TfgridError(RmbError.UNAUTHORIZED, `no endpoint ${url.pathname}`);
      if (this.#connections >= relayDefaults.connectionsMax) throw new TfgridError(RmbError.UNAUTHORIZED, 'too many connections');
      const token = readToken(url.searchParams.get('token') ?? '', Date.now());
      const entry = await this.#options.phonebook.lookup(token.twin);
      if (entry === undefined) throw new TfgridError(RmbError.UNAUTHORIZED, `twin ${token.twin} is not in the phonebook`);
      if (!verifyToken(token, entry.signingKey)) throw new TfgridError(RmbError.UNAUTHORIZED, `token is not signed by twin ${token.twin}'s key`);
      const sessions = this.#sessions.get(token.twin);
      if (kind === 'peer' && sessions !== undefined && !sessions.has(token.session) && sessions.size >= relayDefaults.sessionsPerTwinMax) {
        throw new TfgridError(RmbError.UNAUTHORIZED, `twin ${token.twin} has ${sessions.size} sessions already`);
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept({ socket: ws, twin: token.twin, session: token.session, kind, batch: new WriteBatch(socket), encryptionKey: entry.encryptionKey }));
    } catch (error) {
      const coded = isTfgridError(error) ? error : new TfgridError(RmbError.UNAUTHORIZED, 'authentication failed', { cause: error });
      const body = JSON.stringify({ error: coded.toJSON() });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    }
  }

  #accept(connection: Connection): void {
    this.#connections++;
    const { socket, twin, session } = connection;
    socket.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? this.#onFrame(connection, data) : this.#counters.dropped++));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.#connections--;
      const sessions = this.#sessions.get(twin);
      if (connection.kind === 'peer' && sessions?.get(session) === connection) {
        sessions.delete(session);
        if (sessions.size === 0) this.#sessions.delete(twin);
      }
    });
    if (connection.kind === 'relay') return;
    const sessions = this.#sessions.get(twin) ?? new Map<string, Connection>();
    sessions.get(session)?.socket.close(4000, 'replaced by a newer connection of this session');
    sessions.set(session, connection);
    this.#sessions.set(twin, sessions);
    for (const frame of this.#queues.take(twin, session, Date.now())) this.#send(connection, frame);
  }

  #onFrame(from: Connection, data: Uint8Array): void {
    this.#counters.messagesIn++;
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(data);
    } catch {
      this.#counters.dropped++; // not addressable: nothing to answer
      return;
    }
    void this.#route(from, envelope).catch((error: unknown) => this.#refuse(from, envelope, isTfgridError(error) ? error : new TfgridError(RmbError.UNREACHABLE, 'relay failed to route', { cause: error })));
  }

  async #route(from: Connection, envelope: Envelope): Promise<void> {
    const nowMs = Date.now();
    const stale = checkFresh(envelope, nowMs);
    if (stale !== undefined) throw stale;
    if (from.kind === 'peer') {
      if (envelope.source.twin !== from.twin || envelope.source.session !== from.session) {
        throw new TfgridError(RmbError.FORGED_SOURCE, `connection of twin ${from.twin}/${from.session} sent an envelope from ${envelope.source.twin}/${envelope.source.session}`);
      }
      if (!this.#rate.tryTake(from.twin, nowMs)) throw new TfgridError(RmbError.RATE_LIMITED, `twin ${from.twin} exceeds its rate limit`);
    }
    // No signature check here: the connection's token already proved the source (peer links) or
    // the sending relay (relay links), and the destination peer verifies every envelope anyway.
    // Checking here too made 4 verifications per round trip instead of 2 (README, "Who checks what").
    const destination = await this.#options.phonebook.lookup(envelope.destination.twin);
    if (destination === undefined) throw new TfgridError(RmbError.UNKNOWN_TWIN, `destination twin ${envelope.destination.twin} is not in the phonebook`);
    const others = destination.relays.filter((relay) => !this.names.includes(relay));
    // Envelopes from another relay are never forwarded again: no loops between relays.
    if (from.kind === 'relay' || destination.relays.length === 0 || others.length < destination.relays.length) {
      this.#deliver(envelope);
      return;
    }
    if ((await this.#federation.forward(others, envelope.bytes)) === undefined) throw new TfgridError(RmbError.UNREACHABLE, `no relay of twin ${destination.id} (${others.join(', ')}) could be reached`);
    this.#counters.forwarded++;
  }

  #deliver(envelope: Envelope): void {
    const sessions = this.#sessions.get(envelope.destination.twin);
    const wanted = envelope.destination.session;
    const target = sessions === undefined ? undefined : wanted === '' ? sessions.values().next().value : sessions.get(wanted);
    if (target !== undefined) {
      this.#send(target, envelope.bytes);
      return;
    }
    if (this.#options.failFast === true) throw new TfgridError(RmbError.UNREACHABLE, `twin ${envelope.destination.twin} is not connected`);
    if (!this.#queues.tryPush(envelope)) {
      throw new TfgridError(RmbError.QUEUE_FULL, `queue for twin ${envelope.destination.twin} is full`);
    }
  }

  #send(connection: Connection, bytes: Uint8Array): void {
    connection.batch?.hold();
    connection.socket.send(bytes, { binary: true });
    this.#counters.messagesOut++;
  }

  /**
   * Drops `envelope` and, unless it is an error itself, answers its sender over `from` with an
   * error boxed from the relay's twin to the sender's twin: private (code and message in the box)
   * and authenticated by the relay's phonebook key, like any version 2 envelope. On a peer link the
   * sender is the connection's twin and session (its key came with the token check); on a relay link
   * it is the envelope's source, looked up in the phonebook; a source with no entry gets no answer.
   */
  async #refuse(from: Connection, envelope: Envelope, error: TfgridError): Promise<void> {
    this.#counters.dropped++;
    this.#log.debug('dropped envelope', { code: error.code, source: envelope.source.twin, destination: envelope.destination.twin });
    if (envelope.body.type === 'error') return;
    try {
      const sender: { address: Address; key: Uint8Array | undefined } = from.kind === 'peer'
        ? { address: { twin: from.twin, session: from.session }, key: from.encryptionKey }
        : { address: envelope.source, key: (await this.#options.phonebook.lookup(envelope.source.twin))?.encryptionKey };
      if (sender.key === undefined || from.socket.readyState !== from.socket.OPEN) return;
      const answer = makeEnvelope(this.#options.identity, {
        uid: newUid(), timestampMs: Date.now(), ttlMs: errorTtlMs,
        source: { twin: this.#options.twinId, session: 'relay' }, destination: sender.address,
        body: { type: 'error', reference: envelope.uid, code: error.code, message: error.detail },
      }, new Uint8Array(0), sender.key);
      this.#send(from, answer);
    } catch (failure) {
      // a phonebook that cannot be reached, a key that is not X25519: the refusal is not sent
      this.#log.warn('refusal not sent', { code: error.code, error: failure });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#federation.close();
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    await this.#queues.close();
  }
}
