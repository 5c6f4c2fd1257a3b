// JSON requests between twins: the payload is JSON, and an error the remote handler threw with
// its own code (BCDB_*, ZOS_*…) comes back as that code rather than wrapped in RMB_REMOTE_ERROR.
import { TfgridError, isTfgridError } from '../base/index.ts';
import { RmbError } from './errors.ts';
import type { Peer, RequestOptions } from './peer.ts';

export async function requestJson<T>(peer: Peer, twin: number, command: string, payload: unknown, options: RequestOptions = {}): Promise<T> {
  let answer: Uint8Array;
  try {
    answer = await peer.request(twin, command, Buffer.from(JSON.stringify(payload)), options);
  } catch (error) {
    if (isTfgridError(error, RmbError.REMOTE_ERROR) && typeof error.details?.['code'] === 'string') {
      throw new TfgridError(error.details['code'], typeof error.details['message'] === 'string' ? error.details['message'] : error.detail, { cause: error });
    }
    throw error;
  }
  return JSON.parse(Buffer.from(answer).toString('utf8')) as T;
}
