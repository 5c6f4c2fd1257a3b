// What every command handler gets, and the argument checks shared by the handlers. The error
// texts are 0-db's, byte for byte (no "ERR " prefix): clients match on them.
import { Replies, type Reply } from '../reply.ts';
import type { Engine } from '../engine/engine.ts';
import type { Namespace } from '../engine/namespace.ts';
import type { Logger } from '../../base/index.ts';

/** Per-connection state: created by the server shell for each connection. */
export class Session {
  namespace: Namespace;
  /** Admin rights: granted by AUTH, or to everyone when the server has no admin password. */
  admin: boolean;
  /** False after SELECT of a password-protected public namespace without its password. */
  writable: boolean;
  /** The pending AUTH SECURE challenge (16 hex characters). */
  nonce: string | null = null;
  readonly unixSocket: boolean;
  readonly address: string | undefined;
  /** Set when the connection must be closed after this reply (its namespace was removed). */
  closeRequested = false;
  /** Set when the connection must be closed WITHOUT sending the replies not yet sent: one of
   *  its writes was staged and could not be written (see Zdb.flushWrites). */
  abortRequested = false;

  constructor(namespace: Namespace, options: { admin: boolean; writable: boolean; unixSocket: boolean; address?: string }) {
    this.namespace = namespace;
    this.admin = options.admin;
    this.writable = options.writable;
    this.unixSocket = options.unixSocket;
    this.address = options.address;
  }
}

export interface Counters {
  commandsExecuted: number;
  commandsFailed: number;
  commandsUnauthorized: number;
  clientsLifetime: number;
  /** The server shell may add its network byte counts here (INFO shows them). */
  networkRxBytes: number;
  networkTxBytes: number;
}

export interface Context {
  readonly engine: Engine;
  readonly session: Session;
  readonly args: readonly Buffer[];
  readonly adminPassword: string | undefined;
  readonly counters: Counters;
  readonly log: Logger;
  /** Wall clock in ms (injectable for tests). */
  readonly now: () => number;
  readonly bootTimeMs: number;
  readonly instanceId: number;
}

export type Handler = (context: Context) => Reply | Promise<Reply>;

export const Errors = {
  unexpectedArguments: Replies.error('Unexpected arguments'),
  invalidArgument: Replies.error('Invalid argument'),
  missingArguments: Replies.error('Missing arguments'),
  invalidArguments: Replies.error('Invalid arguments'),
  permissionDenied: Replies.error('Permission denied'),
  invalidKey: Replies.error('Invalid key'),
  keyNotFound: Replies.error('Key not found'),
  readOnly: Replies.error('Namespace is in read-only mode'),
  locked: Replies.error('Namespace is temporarily locked (read-only)'),
  frozen: Replies.error('Namespace is temporarily frozen (read-write disabled)'),
  namespaceTooLong: Replies.error('Namespace too long'),
  namespaceNotFound: Replies.error('Namespace not found'),
  argumentTooLong: Replies.error('Argument too long'),
  internal: Replies.error('Internal Error'),
  noMoreData: Replies.error('No more data'),
} as const;

/** 0-db's `command_args_validate`: exact count, and no empty argument (command name included). */
export function checkArity(args: readonly Buffer[], expected: number, emptyAllowed = false): Reply | null {
  if (args.length !== expected) return Errors.unexpectedArguments;
  if (!emptyAllowed && args.some((arg) => arg.length === 0)) return Errors.invalidArgument;
  return null;
}

/** 0-db's `command_args_validate_min`. */
export function checkArityMin(args: readonly Buffer[], minimum: number): Reply | null {
  if (args.length < minimum) return Errors.missingArguments;
  if (args.some((arg) => arg.length === 0)) return Errors.invalidArgument;
  return null;
}

export function checkAdmin(context: Context): Reply | null {
  if (context.session.admin) return null;
  context.counters.commandsUnauthorized++;
  return Errors.permissionDenied;
}

export function checkNamespaceName(arg: Buffer): Reply | null {
  return arg.length > 128 ? Errors.namespaceTooLong : null;
}

/** C-string view of an argument: 0-db formats arguments with `%.*s`, which stops at a NUL. */
export function cString(arg: Buffer): string {
  const nul = arg.indexOf(0);
  return (nul >= 0 ? arg.subarray(0, nul) : arg).toString('utf8');
}

/** `atoll`: optional sign and leading digits, anything else ignored; garbage is 0. */
export function atoll(arg: Buffer): number {
  const match = /^\s*([+-]?\d+)/.exec(arg.toString('latin1'));
  return match ? Number.parseInt(match[1]!, 10) : 0;
}

/** True when `arg` is a non-empty case-insensitive prefix of `word` (0-db's strncasecmp use). */
export function prefixOf(arg: Buffer, word: string): boolean {
  return arg.length > 0 && arg.length <= word.length && arg.toString('latin1').toUpperCase() === word.slice(0, arg.length);
}
