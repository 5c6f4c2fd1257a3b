// A typed 0-db v2.0.7 client (used by zstor, BCDB and the flist stores): one pipelined
// connection (see connection.ts) that re-authenticates and re-selects its namespace after every
// reconnect, plus one method per 0-db command that decodes the reply into plain types.
import { TfgridError, type Logger } from '../base/index.ts';
import { ZdbError } from './errors.ts';
import { RespConnection, type CallArgs, type CallOptions, type ConnectionStateName, type ReconnectOptions, type ZdbEndpoint } from './connection.ts';
import { Session, authenticate, selectNamespace } from './client-session.ts';
import type { RespReply } from './resp.ts';
import { expectArray, expectBuffer, expectInteger, expectNullable, expectSimple, expectText, parseNamespaceInfo, type ZdbNamespaceInfo } from './client-replies.ts';

export { type ZdbEndpoint, type ReconnectOptions, type ConnectionStateName, ConnectionState } from './connection.ts';
export { parseInfoText, type ZdbNamespaceInfo } from './client-replies.ts';
export { secureResponse } from './client-session.ts';

export type ZdbKey = Uint8Array | string;
export type ZdbValue = Uint8Array | string;

export interface ZdbClientOptions {
  /** Namespace to SELECT on every connection; default: the server's `default`. */
  namespace?: string;
  /** The namespace's password. */
  password?: string;
  /** Admin password: AUTH on every connection (needed for NSNEW, NSSET, NSDEL...). */
  adminPassword?: string;
  /** Send passwords as SHA-1 challenge responses (AUTH SECURE) rather than in clear. Default true. */
  secure?: boolean;
  /** Default per-call timeout. */
  timeoutMs: number;
  /** Limit to open a socket and run AUTH/SELECT on it; default timeoutMs. */
  connectTimeoutMs?: number;
  /** Reconnect with backoff after a connection loss (true: defaults; false: close instead). */
  reconnect: boolean | ReconnectOptions;
  /** Calls in flight plus calls waiting for a connection; beyond it calls fail with ZDB_QUEUE_FULL. */
  pendingCallsMax?: number;
  /** Largest value accepted in a reply; default 8 MiB + 64 KiB (0-db values are at most 8 MiB). */
  replyBulkBytesMax?: number;
  onStateChange?: (state: ConnectionStateName) => void;
  logger?: Logger;
}

export interface ZdbScanEntry {
  readonly key: Buffer;
  readonly sizeBytes: number;
  readonly timestampSec: number;
}

export interface ZdbScanPage {
  /** Pass to the next scan()/rscan() to continue after this page. */
  readonly cursor: Buffer;
  readonly entries: readonly ZdbScanEntry[];
}

export interface ZdbHistoryEntry {
  /** Pass to history() to step one version further back; null at the oldest version. */
  readonly cursor: Buffer | null;
  readonly timestampSec: number;
  /** Null for a deletion. */
  readonly value: Buffer | null;
}

/** NSSET properties of 0-db v2.0.7. */
export type ZdbNamespaceProperty = 'maxsize' | 'password' | 'public' | 'worm' | 'mode' | 'lock' | 'freeze';

/** Bytes in a sequential-mode key: a little-endian unsigned 64-bit id. */
export const seqIdBytes = 8;

export class ZdbClient {
  private readonly connection: RespConnection;
  private readonly session: Session;
  private readonly timeoutMs: number;

  private constructor(connection: RespConnection, session: Session, timeoutMs: number) {
    this.connection = connection;
    this.session = session;
    this.timeoutMs = timeoutMs;
  }

  /** Connects, AUTHs and SELECTs as configured; fails with ZDB_CONNECT_FAILED if the first
   *  attempt fails (reconnection applies only once connected). */
  static async connect(endpoint: ZdbEndpoint, options: ZdbClientOptions): Promise<ZdbClient> {
    const secure = options.secure ?? true;
    const session = new Session(
      options.adminPassword === undefined ? null : { password: options.adminPassword, secure },
      options.namespace === undefined ? null : { name: options.namespace, credentials: options.password === undefined ? null : { password: options.password, secure } },
    );
    const connection = await RespConnection.open(endpoint, {
      timeoutMs: options.timeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      reconnect: options.reconnect,
      pendingCallsMax: options.pendingCallsMax,
      replyBulkBytesMax: options.replyBulkBytesMax,
      onStateChange: options.onStateChange,
      logger: options.logger,
      setup: (call) => session.restore(call),
    });
    return new ZdbClient(connection, session, options.timeoutMs);
  }

  get state(): ConnectionStateName {
    return this.connection.state;
  }

  get pendingCalls(): number {
    return this.connection.pendingCalls;
  }

  /** Any command; the raw reply (an error reply rejects with ZDB_SERVER_ERROR). */
  command(...args: (Uint8Array | string)[]): Promise<RespReply> {
    return this.connection.call(args);
  }

  /** Like command(), with per-call options such as a longer timeout. */
  commandWith(options: CallOptions, args: CallArgs): Promise<RespReply> {
    return this.connection.call(args, options);
  }

  async ping(): Promise<string> {
    return expectSimple(await this.call('PING'), 'PING');
  }

  /**
   * Stores `value` under `key` (null in a sequential-mode namespace: 0-db picks the id). Returns
   * the key (in seq mode the 8-byte id, see seqIdToNumber), or null when the value was already
   * stored under that key (0-db does not write it again). `timestampSec` is admin-only (replication).
   */
  async set(key: ZdbKey | null, value: ZdbValue, options: { timestampSec?: number } = {}): Promise<Buffer | null> {
    const args: (Uint8Array | string)[] = ['SET', key ?? '', value];
    if (options.timestampSec !== undefined) args.push(String(options.timestampSec));
    const reply = await this.call(...args);
    // Redis answers +OK (the generic parts of this client are tested against Redis).
    if (reply === 'OK' && key !== null) return Buffer.from(key);
    return expectNullable(reply, expectBuffer, 'SET');
  }

  async get(key: ZdbKey): Promise<Buffer | null> {
    return expectNullable(await this.call('GET', key), expectBuffer, 'GET');
  }

  /** Values in the order of `keys`, null where missing (0-db accepts at most 1023 keys). */
  async mget(keys: readonly ZdbKey[]): Promise<(Buffer | null)[]> {
    const reply = expectArray(await this.call('MGET', ...keys), 'MGET');
    return reply.map((item) => expectNullable(item, expectBuffer, 'MGET'));
  }

  /** True if deleted, false if there was no such key. */
  async del(key: ZdbKey): Promise<boolean> {
    try {
      const reply = await this.call('DEL', key);
      return typeof reply === 'number' ? reply > 0 : (expectSimple(reply, 'DEL'), true);
    } catch (error) {
      if (isServerError(error, 'Key not found')) return false;
      throw error;
    }
  }

  async exists(key: ZdbKey): Promise<boolean> {
    return expectInteger(await this.call('EXISTS', key), 'EXISTS') > 0;
  }

  /** Whether the stored value passes its CRC check; null if there is no such key. */
  async check(key: ZdbKey): Promise<boolean | null> {
    const reply = expectNullable(await this.call('CHECK', key), expectInteger, 'CHECK');
    return reply === null ? null : reply === 1;
  }

  /** A cursor for scan()/rscan() starting at `key`; null if there is no such key. */
  async keyCur(key: ZdbKey): Promise<Buffer | null> {
    try {
      return expectBuffer(await this.call('KEYCUR', key), 'KEYCUR');
    } catch (error) {
      if (isServerError(error, 'Key not found')) return null;
      throw error;
    }
  }

  /** Size of the value in bytes; null if there is no such key. */
  async length(key: ZdbKey): Promise<number | null> {
    return expectNullable(await this.call('LENGTH', key), expectInteger, 'LENGTH');
  }

  /** Last-update time in Unix seconds; null if there is no such key. */
  async keyTime(key: ZdbKey): Promise<number | null> {
    return expectNullable(await this.call('KEYTIME', key), expectInteger, 'KEYTIME');
  }

  /** One page forward from `cursor` (from the first key without one); null past the end. */
  scan(cursor?: Uint8Array): Promise<ZdbScanPage | null> {
    return this.scanPage('SCAN', cursor);
  }

  /** The same as scan(), under the name some Redis libraries need (they expect SCAN to be numeric). */
  scanx(cursor?: Uint8Array): Promise<ZdbScanPage | null> {
    return this.scanPage('SCANX', cursor);
  }

  /** One page backward from `cursor` (from the last key without one); null past the start. */
  rscan(cursor?: Uint8Array): Promise<ZdbScanPage | null> {
    return this.scanPage('RSCAN', cursor);
  }

  /** Every entry of the namespace, oldest first (newest first with reverse), page by page. */
  async *keys(options: { reverse?: boolean; cursor?: Uint8Array } = {}): AsyncGenerator<ZdbScanEntry> {
    let cursor = options.cursor;
    for (;;) {
      const page = options.reverse === true ? await this.rscan(cursor) : await this.scan(cursor);
      if (page === null) return;
      yield* page.entries;
      cursor = page.cursor;
    }
  }

  /** The current version of `key`, or with a cursor from a previous entry the version before. */
  async history(key: ZdbKey, cursor?: Uint8Array): Promise<ZdbHistoryEntry | null> {
    let reply: RespReply;
    try {
      reply = await this.call(...(cursor === undefined ? ['HISTORY', key] : ['HISTORY', key, cursor]));
    } catch (error) {
      if (isServerError(error, 'Key not found')) return null;
      throw error;
    }
    if (reply === null) return null;
    const [next, time, value] = expectArray(reply, 'HISTORY', 3);
    return {
      cursor: expectNullable(next, expectBuffer, 'HISTORY'),
      timestampSec: decimal(expectText(time, 'HISTORY'), 'HISTORY'),
      value: expectNullable(value, expectBuffer, 'HISTORY'),
    };
  }

  /** INFO as sent (`key: value` lines); parseInfoText() turns it into a record. */
  async info(): Promise<string> {
    return expectText(await this.call('INFO'), 'INFO');
  }

  /** Entries in the selected namespace. */
  async dbsize(): Promise<number> {
    return expectInteger(await this.call('DBSIZE'), 'DBSIZE');
  }

  async nsnew(name: string): Promise<void> {
    expectSimple(await this.call('NSNEW', name), 'NSNEW');
  }

  async nsdel(name: string): Promise<void> {
    expectSimple(await this.call('NSDEL', name), 'NSDEL');
  }

  async nslist(): Promise<string[]> {
    return expectArray(await this.call('NSLIST'), 'NSLIST').map((item) => expectText(item, 'NSLIST'));
  }

  async nsinfo(name: string): Promise<ZdbNamespaceInfo> {
    return parseNamespaceInfo(expectText(await this.call('NSINFO', name), 'NSINFO'));
  }

  /** Booleans are sent as 1/0; `password` '*' clears the password; `mode` is 'user' or 'seq'. */
  async nsset(name: string, property: ZdbNamespaceProperty, value: string | number | boolean): Promise<void> {
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    expectSimple(await this.call('NSSET', name, property, text), 'NSSET');
  }

  /**
   * Moves this client to namespace `name` and remembers it (and its password) for reconnects.
   * With `secure` (the default when a password is given) it takes two round trips: await it
   * before issuing calls meant for the new namespace.
   */
  async select(name: string, options: { password?: string; secure?: boolean } = {}): Promise<void> {
    const credentials = options.password === undefined ? null : { password: options.password, secure: options.secure ?? true };
    await this.session.exclusive(() => selectNamespace((args) => this.connection.call(args), name, credentials));
    this.session.namespace = { name, credentials };
  }

  /** Authenticates as admin and remembers the password for reconnects. */
  async auth(password: string, options: { secure?: boolean } = {}): Promise<void> {
    const credentials = { password, secure: options.secure ?? true };
    await this.session.exclusive(() => authenticate((args) => this.connection.call(args), credentials));
    this.session.admin = credentials;
  }

  /** Deletes everything in the selected namespace (0-db allows it only on private, password-protected ones). */
  async flush(): Promise<void> {
    expectSimple(await this.call('FLUSH'), 'FLUSH');
  }

  /** The server's clock. */
  async time(): Promise<{ seconds: number; microseconds: number }> {
    const [seconds, microseconds] = expectArray(await this.call('TIME'), 'TIME', 2);
    return { seconds: decimal(expectText(seconds, 'TIME'), 'TIME'), microseconds: decimal(expectText(microseconds, 'TIME'), 'TIME') };
  }

  /**
   * Blocks until another client of the same namespace runs `command` ('*' for any); returns its
   * name, or null after `waitMs` (0-db accepts 100 ms to 30 min; default 5 s). WAIT holds up
   * every later call on this connection: use a client of its own for it.
   */
  async wait(command: string, waitMs?: number): Promise<string | null> {
    const args = waitMs === undefined ? ['WAIT', command] : ['WAIT', command, String(waitMs)];
    try {
      // The call outlives the server-side wait by the usual timeout, so the reply wins the race.
      const reply = await this.connection.call(args, { timeoutMs: (waitMs ?? 5_000) + this.timeoutMs });
      return expectSimple(reply, 'WAIT');
    } catch (error) {
      if (isServerError(error, 'Timeout')) return null;
      throw error;
    }
  }

  /** Ends the connection once calls in flight have settled; waiting calls fail with ZDB_CLOSED. */
  close(): Promise<void> {
    return this.connection.close();
  }

  /** Ends the connection now: every pending call fails with ZDB_CLOSED. */
  destroy(): void {
    this.connection.destroy();
  }

  private call(...args: (Uint8Array | string)[]): Promise<RespReply> {
    return this.connection.call(args);
  }

  private async scanPage(command: 'SCAN' | 'SCANX' | 'RSCAN', cursor: Uint8Array | undefined): Promise<ZdbScanPage | null> {
    let reply: RespReply;
    try {
      reply = await this.call(...(cursor === undefined ? [command] : [command, cursor]));
    } catch (error) {
      if (isServerError(error, 'No more data')) return null;
      throw error;
    }
    const [next, list] = expectArray(reply, command, 2);
    const entries = expectArray(list, command).map((item) => {
      const [key, size, time] = expectArray(item, command, 3);
      return { key: expectBuffer(key, command), sizeBytes: expectInteger(size, command), timestampSec: expectInteger(time, command) };
    });
    return { cursor: expectBuffer(next, command), entries };
  }
}

/** A sequential-mode id as 0-db sends it: 8 bytes, little-endian. */
export function numberToSeqId(id: number | bigint): Buffer {
  const value = typeof id === 'bigint' ? id : Number.isSafeInteger(id) ? BigInt(id) : -1n;
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new TfgridError(ZdbError.INVALID_ARGUMENT, `seq id ${String(id)} is not a 64-bit unsigned integer`);
  const out = Buffer.alloc(seqIdBytes);
  out.writeBigUInt64LE(value);
  return out;
}

export function seqIdToBigInt(id: Uint8Array): bigint {
  if (id.length !== seqIdBytes) throw new TfgridError(ZdbError.INVALID_ARGUMENT, `a seq id has ${seqIdBytes} bytes, not ${id.length}`);
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).readBigUInt64LE();
}

/** The id as a number; ids beyond 2^53 - 1 need seqIdToBigInt(). */
export function seqIdToNumber(id: Uint8Array): number {
  const value = seqIdToBigInt(id);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TfgridError(ZdbError.INVALID_ARGUMENT, `seq id ${value} is beyond 2^53 - 1: use seqIdToBigInt`);
  return Number(value);
}

function isServerError(error: unknown, text: string): boolean {
  return error instanceof TfgridError && error.code === ZdbError.SERVER_ERROR && error.detail === text;
}

function decimal(text: string, command: string): number {
  if (!/^-?\d{1,15}$/.test(text)) throw new TfgridError(ZdbError.UNEXPECTED_REPLY, `${command}: '${text.slice(0, 40)}' is not a number`);
  return Number(text);
}
