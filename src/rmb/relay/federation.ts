// Relay-to-relay links. A relay reaches another one at ws://<host:port>/relay, authenticated with
// a token of the relay's own twin. Links are opened on first use and reused; a relay that fails
// to connect (or drops) is demoted for `demoteMs`, so the next envelopes try the destination's
// other relays first (failure ranking). Frames arriving on a link are handed to `onFrame`, since
// the far relay answers on the same socket (error envelopes).
import WebSocket from 'ws';
import type { Identity } from '../../crypto/index.ts';
import type { Logger } from '../../base/index.ts';
import { makeToken, tokenLifetimeMsDefault } from '../token.ts';
import { envelopeBytesMax } from '../envelope.ts';

export const linkConnectTimeoutMs = 2_000;
export const linksMax = 256;

export interface FederationOptions {
  readonly identity: Identity;
  readonly twinId: number;
  readonly demoteMs: number;
  readonly onFrame: (link: WebSocket, data: Uint8Array) => void;
  /** Where a failed link is noted before the relay is demoted. */
  readonly log?: Logger;
  /** Counts failed links (the relay's forwardFailures metric). */
  readonly onFailure?: (relay: string) => void;
}

export class Federation {
  readonly #options: FederationOptions;
  readonly #links = new Map<string, Promise<WebSocket>>();
  readonly #demotedUntilMs = new Map<string, number>();
  readonly #session = `relay-${Math.random().toString(36).slice(2, 10)}`;
  #closed = false;

  constructor(options: FederationOptions) {
    this.#options = options;
  }

  /** The relays in the order to try: as listed, demoted ones last. */
  rank(relays: readonly string[], nowMs: number): string[] {
    const up = relays.filter((r) => (this.#demotedUntilMs.get(r) ?? 0) <= nowMs);
    return [...up, ...relays.filter((r) => !up.includes(r))];
  }

  /** Sends to the first relay that takes it; false when none could. */
  async forward(relays: readonly string[], bytes: Uint8Array): Promise<string | undefined> {
    for (const relay of this.rank(relays, Date.now())) {
      try {
        const link = await this.#link(relay);
        link.send(bytes);
        return relay;
      } catch (error) {
        this.#options.log?.warn('relay link failed; demoted', { relay, demoteMs: this.#options.demoteMs, error });
        this.#options.onFailure?.(relay);
        this.#demote(relay);
      }
    }
    return undefined;
  }

  #demote(relay: string): void {
    this.#demotedUntilMs.set(relay, Date.now() + this.#options.demoteMs);
    this.#links.delete(relay);
  }

  #link(relay: string): Promise<WebSocket> {
    const existing = this.#links.get(relay);
    if (existing !== undefined) return existing;
    if (this.#closed) return Promise.reject(new Error('federation closed'));
    if (this.#links.size >= linksMax) this.#links.delete(this.#links.keys().next().value as string);
    const nowMs = Date.now();
    const token = makeToken(this.#options.identity, { twin: this.#options.twinId, session: this.#session, issuedAtMs: nowMs, expiresAtMs: nowMs + tokenLifetimeMsDefault });
    const opened = new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`ws://${relay}/relay?token=${token}`, { maxPayload: envelopeBytesMax, handshakeTimeout: linkConnectTimeoutMs });
      socket.binaryType = 'nodebuffer';
      socket.once('open', () => resolve(socket));
      socket.once('error', (error) => reject(error));
      socket.on('message', (data: Buffer) => this.#options.onFrame(socket, data));
      socket.once('close', () => {
        if (this.#links.get(relay) === opened) this.#links.delete(relay);
        reject(new Error(`link to ${relay} closed`));
      });
    });
    opened.catch(() => undefined);
    this.#links.set(relay, opened);
    return opened;
  }

  close(): void {
    this.#closed = true;
    for (const link of this.#links.values()) void link.then((socket) => socket.terminate(), () => undefined);
    this.#links.clear();
  }
}
