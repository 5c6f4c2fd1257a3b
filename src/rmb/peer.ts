// The peer library: one twin's connection to the bus. Keeps a WebSocket to one of its relays
// (in order; reconnects with backoff and a fresh token), sends requests and answers them.
// Every incoming envelope is checked here — relays do not verify signatures, and are trusted with
// neither content nor identity: fresh, not seen before (bounded LRU of uids), authentic — for
// version 2 (what peers send) the payload box opens with the source twin's phonebook encryption
// key and the header as associated data, else dropped with RMB_NOT_AUTHENTIC back to the source;
// for version 1 (older senders; a peer's refusal of an unknown source) signed by the source twin's
// phonebook key, else RMB_BAD_SIGNATURE. Relays' refusals are version 2, boxed from the relay's twin.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { TfgridError, createLogger, isTfgridError, type Logger } from '../base/index.ts';
import type { Identity } from '../crypto/index.ts';
import { ChainClient } from '../chain/index.ts';
import { RmbError } from './errors.ts';
import { checkFresh, decodeEnvelope, envelopeBytesMax, makeEnvelope, newUid, openAuthentic, openPayload, uidHex, verifyEnvelope, type Address, type Envelope } from './envelope.ts';
import { WriteBatch } from './batch.ts';
import { ChainPhonebook, type Phonebook } from './phonebook.ts';
import { makeToken, tokenLifetimeMsDefault } from './token.ts';

export const peerDefaults = {
  timeoutMs: 10_000,
  retries: 0,
  reconnectDelayMsMin: 50,
  reconnectDelayMsMax: 5_000,
  /** Uids remembered for duplicate detection (and their small responses, for retries). */
  seenUidsMax: 10_000,
  /** Responses up to this size are kept to answer a retried request without running it again. */
  cachedResponseBytesMax: 64 * 1024,
  /** Frames held while disconnected. */
  outboxFramesMax: 10_000,
  inflightRequestsMax: 100_000,
} as const;

export interface PeerOptions {
  readonly twinId: number;
  /** ws://host:port URLs of this twin's relays, in order of preference. */
  readonly relays: readonly string[];
  /** The phonebook, or a chain client to build one from (cached, invalidated by twin events). */
  readonly chain: Phonebook | ChainClient;
  /** Session id of this connection ([A-Za-z0-9._-]{1,64}); random by default. */
  readonly session?: string;
  readonly log?: Logger;
  /** Error envelopes that answer no request in flight (e.g. a relay refusing a raw frame). */
  readonly onError?: (error: { code: string; message: string; reference: string; from: number }) => void;
}

export interface RequestOptions {
  /** Per attempt. */
  readonly timeoutMs?: number;
  /** Attempts after the first; each resends the same envelope (same uid: handled at most once). */
  readonly retries?: number;
  /** A session of the destination twin; '' (default) for any. */
  readonly session?: string;
}

export type Handler = (payload: Uint8Array, context: { source: Address; uid: string }) => Promise<Uint8Array> | Uint8Array;

interface Pending {
  readonly twin: number;
  resolve(payload: Uint8Array): void;
  reject(error: TfgridError): void;
}

export async function connect(identity: Identity, options: PeerOptions): Promise<Peer> {
  const peer = new Peer(identity, options);
  await peer.ready();
  return peer;
}

export class Peer {
  readonly identity: Identity;
  readonly address: Address;
  readonly #options: PeerOptions;
  readonly #phonebook: Phonebook;
  readonly #ownsPhonebook: boolean;
  readonly #handlers = new Map<string, Handler>();
  readonly #pending = new Map<string, Pending>();
  readonly #seen = new Map<string, Uint8Array | undefined>();
  readonly #outbox: Uint8Array[] = [];
  readonly #log: Logger;
  #socket: WebSocket | undefined;
  #batch: WriteBatch | undefined;
  #relayIndex = 0;
  #delayMs: number = peerDefaults.reconnectDelayMsMin;
  #closed = false;
  #opened: Promise<void>;
  #markOpen: () => void = () => undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(identity: Identity, options: PeerOptions) {
    if (options.relays.length === 0) throw new TfgridError(RmbError.INVALID_ARGUMENT, 'a peer needs at least one relay');
    this.identity = identity;
    this.#options = options;
    this.address = { twin: options.twinId, session: options.session ?? randomBytes(6).toString('hex') };
    this.#ownsPhonebook = options.chain instanceof ChainClient;
    this.#phonebook = options.chain instanceof ChainClient ? new ChainPhonebook(options.chain) : options.chain;
    this.#log = options.log ?? createLogger({ component: 'rmb-peer' });
    this.#opened = new Promise((resolve) => (this.#markOpen = resolve));
    this.#connect();
  }

  /** Resolves once connected to a relay. */
  ready(): Promise<void> {
    return this.#opened;
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  handle(command: string, fn: Handler): void {
    this.#handlers.set(command, fn);
  }

  async request(twin: number, command: string, payload: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    if (this.#closed) throw new TfgridError(RmbError.CLOSED, 'peer is closed');
    if (this.#pending.size >= peerDefaults.inflightRequestsMax) throw new TfgridError(RmbError.QUEUE_FULL, `${this.#pending.size} requests in flight`);
    const timeoutMs = options.timeoutMs ?? peerDefaults.timeoutMs;
    const retries = options.retries ?? peerDefaults.retries;
    const destination = await this.#phonebook.lookup(twin);
    if (destination === undefined) throw new TfgridError(RmbError.UNKNOWN_TWIN, `twin ${twin} is not in the phonebook`);
    const uid = newUid();
    const frame = makeEnvelope(this.identity, {
      uid, timestampMs: Date.now(), ttlMs: Math.min(timeoutMs * (retries + 1), 24 * 3_600_000),
      source: this.address, destination: { twin, session: options.session ?? '' }, body: { type: 'request', command },
    }, payload, destination.encryptionKey);
    const key = uidHex(uid);
    return new Promise<Uint8Array>((resolve, reject) => {
      let attempt = 0;
      let timer: NodeJS.Timeout;
      const finish = (): void => {
        clearTimeout(timer);
        this.#pending.delete(key);
      };
      const send = (): void => {
        this.#send(frame);
        timer = setTimeout(() => {
          if (attempt++ < retries) send();
          else {
            finish();
            reject(new TfgridError(RmbError.TIMEOUT, `no answer from twin ${twin} to ${command} within ${timeoutMs} ms × ${retries + 1}`));
          }
        }, timeoutMs);
      };
      this.#pending.set(key, { twin, resolve: (p) => (finish(), resolve(p)), reject: (e) => (finish(), reject(e)) });
      send();
    });
  }

  #send(frame: Uint8Array): void {
    if (this.#socket?.readyState === WebSocket.OPEN) {
      this.#batch?.hold(); // several frames per turn leave in one write
      this.#socket.send(frame, { binary: true });
    } else if (this.#outbox.length < peerDefaults.outboxFramesMax) this.#outbox.push(frame);
    // else: dropped; the request times out (or its retry finds the connection back)
  }

  #connect(): void {
    if (this.#closed) return;
    const nowMs = Date.now();
    const token = makeToken(this.identity, { twin: this.address.twin, session: this.address.session, issuedAtMs: nowMs, expiresAtMs: nowMs + tokenLifetimeMsDefault });
    const relay = this.#options.relays[this.#relayIndex % this.#options.relays.length]!;
    const socket = new WebSocket(`${relay}/?token=${token}`, { maxPayload: envelopeBytesMax, perMessageDeflate: false });
    this.#socket = socket;
    socket.binaryType = 'nodebuffer';
    this.#batch = undefined;
    socket.on('upgrade', (response) => {
      if (this.#socket === socket) this.#batch = new WriteBatch(response.socket);
    });
    socket.on('open', () => {
      this.#delayMs = peerDefaults.reconnectDelayMsMin;
      for (const frame of this.#outbox.splice(0)) socket.send(frame, { binary: true });
      this.#markOpen();
    });
    socket.on('message', (data: Buffer) => void this.#receive(data));
    socket.on('error', (error) => this.#log.debug('relay connection error', { relay, error: String(error) }));
    socket.on('close', () => {
      if (this.#socket !== socket || this.#closed) return;
      this.#relayIndex++;
      this.#timer = setTimeout(() => this.#connect(), this.#delayMs * (0.5 + Math.random() / 2));
      this.#delayMs = Math.min(peerDefaults.reconnectDelayMsMax, this.#delayMs * 2);
    });
  }

  async #receive(data: Uint8Array): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(data);
    } catch (error) {
      // Malformed from the relay: no source to answer, so note it and drop it.
      this.#log.debug('dropped undecodable frame', { error, bytes: data.length });
      return;
    }
    if (checkFresh(envelope, Date.now()) !== undefined) return;
    const seenKey = `${envelope.source.twin}:${uidHex(envelope.uid)}`;
    if (this.#seen.has(seenKey)) {
      const cached = this.#seen.get(seenKey);
      if (cached !== undefined) this.#send(cached); // a retried request: the same answer again
      return;
    }
    // Remembered before the lookup yields, so a duplicate arriving meanwhile is not served twice;
    // forgotten again if it is not authentic, so a forgery cannot block a genuine uid.
    this.#remember(seenKey, undefined);
    const source = await this.#phonebook.lookup(envelope.source.twin);
    if (source === undefined) {
      this.#seen.delete(seenKey);
      this.#refuse(envelope, RmbError.UNKNOWN_TWIN, undefined);
      return;
    }
    // Version 2: the box is the authenticator, opened here once; version 1: the signature.
    let plaintext: Uint8Array | undefined;
    let body = envelope.body;
    if (envelope.auth === 'box') {
      try {
        ({ body, payload: plaintext } = openAuthentic(this.identity, source.encryptionKey, envelope));
      } catch (error) {
        this.#seen.delete(seenKey);
        // authentic but not decodable (a boxed error with a bad code): nothing to answer
        if (isTfgridError(error) && error.code === RmbError.NOT_AUTHENTIC) this.#refuse(envelope, RmbError.NOT_AUTHENTIC, source.encryptionKey);
        return;
      }
    } else if (!verifyEnvelope(envelope, source.signingKey)) {
      this.#seen.delete(seenKey);
      this.#refuse(envelope, RmbError.BAD_SIGNATURE, source.encryptionKey);
      return;
    }
    if (body.type === 'request') {
      await this.#serve(envelope, body.command, source.encryptionKey, seenKey, plaintext);
      return;
    }
    const pending = this.#pending.get(uidHex(body.reference));
    if (pending === undefined) {
      if (body.type === 'error') this.#options.onError?.({ code: body.code, message: body.message, reference: uidHex(body.reference), from: envelope.source.twin });
      return;
    }
    if (body.type === 'response') {
      if (envelope.source.twin !== pending.twin) return;
      try {
        pending.resolve(plaintext ?? openPayload(this.identity, source.encryptionKey, envelope));
      } catch (error) {
        pending.reject(error as TfgridError);
      }
    } else if (envelope.source.twin === pending.twin && !body.code.startsWith('RMB_')) {
      pending.reject(new TfgridError(RmbError.REMOTE_ERROR, `${body.code}: ${body.message}`, { details: { code: body.code, message: body.message } }));
    } else if (body.code.startsWith('RMB_')) {
      // A bus refusal: from the destination peer or from a relay on the path (authenticated by
      // its twin's key; only the path sees the request's random uid).
      pending.reject(new TfgridError(body.code, body.message, { details: { from: envelope.source.twin } }));
    } else {
      // Another twin's application error about our request: not the destination's answer, ignored.
      this.#log.debug('ignored an error from a twin that is not the destination', { from: envelope.source.twin, code: body.code });
    }
  }

  async #serve(request: Envelope, command: string, sourceKey: Uint8Array, seenKey: string, opened: Uint8Array | undefined): Promise<void> {
    const handler = this.#handlers.get(command);
    let answer: { type: 'response'; payload: Uint8Array } | { type: 'error'; code: string; message: string };
    try {
      if (handler === undefined) throw new TfgridError(RmbError.UNKNOWN_COMMAND, `no handler for ${command}`);
      const payload = opened ?? openPayload(this.identity, sourceKey, request);
      answer = { type: 'response', payload: await handler(payload, { source: request.source, uid: uidHex(request.uid) }) };
    } catch (error) {
      const code = isTfgridError(error) && /^[A-Z0-9_]{1,64}$/.test(error.code) ? error.code : 'HANDLER_FAILED';
      answer = { type: 'error', code, message: isTfgridError(error) ? error.detail : String((error as Error)?.message ?? error) };
    }
    const fields = { uid: newUid(), timestampMs: Date.now(), ttlMs: Math.max(1, request.timestampMs + request.ttlMs - Date.now()), source: this.address, destination: request.source };
    let frame: Uint8Array;
    try {
      frame = answer.type === 'response'
        ? makeEnvelope(this.identity, { ...fields, body: { type: 'response', reference: request.uid } }, answer.payload, sourceKey)
        : makeEnvelope(this.identity, { ...fields, body: { type: 'error', reference: request.uid, code: answer.code, message: answer.message } }, new Uint8Array(0), sourceKey);
    } catch (error) {
      const coded = isTfgridError(error) ? error : new TfgridError(RmbError.MALFORMED, String(error));
      frame = makeEnvelope(this.identity, { ...fields, body: { type: 'error', reference: request.uid, code: coded.code, message: coded.detail } }, new Uint8Array(0), sourceKey);
    }
    if (frame.length <= peerDefaults.cachedResponseBytesMax) this.#remember(seenKey, frame);
    this.#send(frame);
  }

  /**
   * Drops an envelope that fails authentication here and tells its source, unless it is an error
   * itself (no error ping-pong). Relays do not authenticate envelopes: this is the only check, and
   * the relay has already bound the source address to an authenticated connection. The answer is
   * boxed to the source when its key is known, else (source not in the phonebook) signed.
   */
  #refuse(envelope: Envelope, code: string, sourceKey: Uint8Array | undefined): void {
    this.#log.debug('dropped envelope', { code, source: envelope.source.twin });
    if (envelope.body.type === 'error') return;
    const message = code === RmbError.NOT_AUTHENTIC ? `envelope is not boxed by twin ${envelope.source.twin}'s key`
      : code === RmbError.BAD_SIGNATURE ? `envelope is not signed by twin ${envelope.source.twin}'s key` : `source twin ${envelope.source.twin} is not in the phonebook`;
    this.#send(makeEnvelope(this.identity, {
      uid: newUid(), timestampMs: Date.now(), ttlMs: Math.max(1, envelope.timestampMs + envelope.ttlMs - Date.now()),
      source: this.address, destination: envelope.source, body: { type: 'error', reference: envelope.uid, code, message },
    }, new Uint8Array(0), sourceKey));
  }

  #remember(key: string, answer: Uint8Array | undefined): void {
    this.#seen.delete(key);
    if (this.#seen.size >= peerDefaults.seenUidsMax) this.#seen.delete(this.#seen.keys().next().value as string);
    this.#seen.set(key, answer);
  }

  /** Sends a raw frame through the relay (tests and tools: e.g. to check refusals). */
  sendRaw(frame: Uint8Array): void {
    this.#send(frame);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.close();
    for (const pending of this.#pending.values()) pending.reject(new TfgridError(RmbError.CLOSED, 'peer closed'));
    if (this.#ownsPhonebook) this.#phonebook.close();
  }
}
