// A twin's side of the node's bus API: JSON in, JSON out, and the node's own codes (ZOS_*) back
// as they are rather than wrapped in the bus's RMB_REMOTE_ERROR.
import { requestJson, type Peer } from '../../rmb/index.ts';
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

  call<T>(command: ZosCommand, payload: unknown = {}): Promise<T> {
    return requestJson<T>(this.#peer, this.nodeTwin, command, payload, { timeoutMs: this.#timeoutMs });
  }

}
