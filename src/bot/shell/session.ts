// What every 3Bot operation talks through: the chain (signing as the twin's identity), the
// message bus (a peer connected when first needed, through --relay or the twin's own relays),
// and the optional explorer and hub. One session per command or per reconciler.
import { TfgridError } from '../../base/index.ts';
import { ChainClient, type Included, type Submitted } from '../../chain/index.ts';
import type { Identity } from '../../crypto/index.ts';
import { ChainPhonebook, connect, type Peer } from '../../rmb/index.ts';
import { ZosClient } from '../../zos/index.ts';
import { BotError } from '../errors.ts';

export interface SessionOptions {
  readonly chainUrl: string;
  readonly identity: Identity;
  /** ws:// relay URL; default: the twin's relays from the phonebook. */
  readonly relayUrl?: string | undefined;
  readonly explorerUrl?: string | undefined;
  readonly hubUrl?: string | undefined;
}

export class BotSession {
  readonly chain: ChainClient;
  readonly identity: Identity;
  readonly twinId: number;
  readonly explorerUrl: string | undefined;
  readonly hubUrl: string | undefined;
  readonly #relays: string[];
  #phonebook: ChainPhonebook | undefined;
  #peer: Promise<Peer> | undefined;

  private constructor(chain: ChainClient, options: SessionOptions, twinId: number, relays: string[]) {
    this.chain = chain;
    this.identity = options.identity;
    this.twinId = twinId;
    this.explorerUrl = options.explorerUrl;
    this.hubUrl = options.hubUrl;
    this.#relays = relays;
  }

  static async open(options: SessionOptions): Promise<BotSession> {
    const chain = new ChainClient({ url: options.chainUrl, identity: options.identity });
    const twin = await chain.twinByAccount(options.identity.publicKeyHex);
    if (twin === undefined) throw new TfgridError(BotError.NO_TWIN, `account ${options.identity.publicKeyHex} has no twin: tfgrid twin create --relay <host:port> registers one (with its encryption key)`);
    const relays = options.relayUrl !== undefined ? [options.relayUrl] : twin.relays.map((host) => `ws://${host}`);
    return new BotSession(chain, options, twin.id, relays);
  }

  peer(): Promise<Peer> {
    if (this.#peer === undefined) {
      if (this.#relays.length === 0) return Promise.reject(new TfgridError(BotError.NO_TWIN, 'the twin names no relay: give --relay ws://host:port'));
      this.#phonebook = new ChainPhonebook(new ChainClient({ url: this.chain.url }));
      this.#peer = connect(this.identity, { twinId: this.twinId, relays: this.#relays, chain: this.#phonebook });
    }
    return this.#peer;
  }

  /** A node's bus API; `timeoutMs` per request. */
  async node(nodeTwin: number, timeoutMs = 10_000): Promise<ZosClient> {
    return new ZosClient(await this.peer(), nodeTwin, { timeoutMs });
  }

  /** Sends a transaction and waits for it: BOT_CHAIN_REFUSED when it is included but failed. */
  async included(sent: Promise<Submitted | Included>): Promise<Included> {
    const result = (await sent) as Included;
    if (!result.result.ok) throw new TfgridError(BotError.CHAIN_REFUSED, result.result.message, { details: { code: result.result.code } });
    return result;
  }

  async close(): Promise<void> {
    if (this.#peer !== undefined) (await this.#peer.catch(() => undefined))?.close();
    this.#phonebook?.close();
  }
}
