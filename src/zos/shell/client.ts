// A twin's side of the node's bus API: JSON in, JSON out, and the node's own codes (ZOS_*) back
// as they are rather than wrapped in the bus's RMB_REMOTE_ERROR.
import { TfgridError, isTfgridError } from '../../base/index.ts';
import { RmbError, type Peer } from '../../rmb/index.ts';
import type { ZosCommand } from './api.ts';

export class ZosClient {
  readonly #peer: Peer;
  readonly nodeTwin: number;
  readonly #timeoutMs: number;

  constructor(peer: Peer, nodeTwin: number, options: { timeoutMs?: number } = {}) {
    this.#peer = peer;
    this.nodeTwin = nodeTwin;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  async call<T>(command: ZosCommand, payload: unknown = {}): Promise<T> {
    let answer: Uint8Array;
    try {
      answer = await this.#peer.request(this.nodeTwin, command, Buffer.from(JSON.stringify(payload)), { timeoutMs: this.#timeoutMs });
    } catch (error) {
      if (isTfgridError(error, RmbError.REMOTE_ERROR) && typeof error.details?.['code'] === 'string') {
        throw new TfgridError(error.details['code'], typeof error.details['message'] === 'string' ? error.details['message'] : error.detail, { cause: error });
      }
      throw error;
    }
    return JSON.parse(Buffer.from(answer).toString('utf8')) as T;
  }
}
