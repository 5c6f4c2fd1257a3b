// Reply decoding for ZdbClient: shape checks that turn a surprising reply into a coded error
// (ZDB_UNEXPECTED_REPLY) instead of a TypeError deep in a caller, and the NSINFO/INFO text format.
import { TfgridError } from '../base/index.ts';
import { ZdbError } from './errors.ts';
import type { RespReply } from './resp.ts';

/** A reply, or an item of one; undefined when an array was shorter than expected. */
type Item = RespReply | undefined;

function unexpected(command: string, wanted: string, reply: Item): TfgridError {
  const got = reply === null ? 'null' : reply === undefined ? 'nothing' : Array.isArray(reply) ? `an array of ${reply.length}` : Buffer.isBuffer(reply) ? 'a bulk string' : typeof reply;
  return new TfgridError(ZdbError.UNEXPECTED_REPLY, `${command}: expected ${wanted}, got ${got}`);
}

/** A simple-string reply (+OK, +PONG, the AUTH challenge). */
export function expectSimple(reply: Item, command: string): string {
  if (typeof reply !== 'string') throw unexpected(command, 'a simple string', reply);
  return reply;
}

export function expectBuffer(reply: Item, command: string): Buffer {
  if (!Buffer.isBuffer(reply)) throw unexpected(command, 'a bulk string', reply);
  return reply;
}

/** A bulk or simple string, as UTF-8 text. */
export function expectText(reply: Item, command: string): string {
  if (typeof reply === 'string') return reply;
  return expectBuffer(reply, command).toString('utf8');
}

export function expectInteger(reply: Item, command: string): number {
  if (typeof reply !== 'number') throw unexpected(command, 'an integer', reply);
  return reply;
}

/** An array, of exactly `length` items when given. */
export function expectArray(reply: Item, command: string, length?: number): RespReply[] {
  if (!Array.isArray(reply) || (length !== undefined && reply.length !== length)) throw unexpected(command, `an array${length === undefined ? '' : ` of ${length}`}`, reply);
  return reply;
}

export function expectNullable<T>(reply: Item, expect: (reply: Item, command: string) => T, command: string): T | null {
  return reply === null ? null : expect(reply, command);
}

/** `key: value` lines (INFO, NSINFO) as a record; `# section` headers and blank lines skipped. */
export function parseInfoText(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (line.startsWith('#') || colon <= 0) continue;
    fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return fields;
}

export interface ZdbNamespaceInfo {
  readonly name: string;
  readonly entries: number;
  /** Readable without the password (read-only then). */
  readonly public: boolean;
  /** Password protected. */
  readonly password: boolean;
  /** Write once: no overwrite, no delete. */
  readonly worm: boolean;
  readonly locked: boolean;
  /** 'userkey' or 'sequential'. */
  readonly mode: string;
  readonly dataSizeBytes: number;
  /** 0 for unlimited. */
  readonly dataLimitsBytes: number;
  readonly indexSizeBytes: number;
  /** Every field as sent, including stats_*, disk free space and (admin only) paths. */
  readonly fields: Readonly<Record<string, string>>;
}

export function parseNamespaceInfo(text: string): ZdbNamespaceInfo {
  const fields = parseInfoText(text);
  const field = (name: string): string => {
    const value = fields[name];
    if (value === undefined) throw new TfgridError(ZdbError.UNEXPECTED_REPLY, `NSINFO: no '${name}' field`);
    return value;
  };
  const flag = (name: string): boolean => field(name) === 'yes';
  const count = (name: string): number => {
    const value = field(name);
    if (!/^\d{1,16}$/.test(value)) throw new TfgridError(ZdbError.UNEXPECTED_REPLY, `NSINFO: '${name}' is not a count: ${value.slice(0, 40)}`);
    return Number(value);
  };
  return {
    name: field('name'),
    entries: count('entries'),
    public: flag('public'),
    password: flag('password'),
    worm: flag('worm'),
    locked: flag('locked'),
    mode: field('mode'),
    dataSizeBytes: count('data_size_bytes'),
    dataLimitsBytes: count('data_limits_bytes'),
    indexSizeBytes: count('index_size_bytes'),
    fields,
  };
}
