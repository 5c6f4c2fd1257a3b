// What a command answers, before the server shell encodes it as RESP2. It is resp.ts's
// RespValue: a string is a simple string (+OK), a Uint8Array a bulk string, a number or bigint
// an integer, null the null bulk ($-1), a RespError an error reply, an array an array.
import { RespError, type RespValue } from './resp.ts';

export type Reply = RespValue;

export const Replies = {
  ok: 'OK' as Reply,
  pong: 'PONG' as Reply,
  nil: null as Reply,
  simple: (value: string): Reply => value,
  /** `message` is sent after `-`, e.g. "Key not found" (0-db errors carry no ERR prefix). */
  error: (message: string): Reply => new RespError(message),
  integer: (value: number | bigint): Reply => value,
  bulk: (value: Uint8Array | string | null): Reply => (typeof value === 'string' ? Buffer.from(value) : value),
  array: (value: readonly Reply[] | null): Reply => value,
} as const;
