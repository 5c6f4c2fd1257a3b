// System commands: PING, TIME, AUTH, INFO, STOP, INDEX DIRTY, DATA RAW.
import { randomBytes } from 'node:crypto';
import { Replies, type Reply } from '../reply.ts';
import { DATA_ENTRY_BYTES, DATA_VERSION, INDEX_VERSION, SEQ_KEY_BYTES, VALUE_BYTES_MAX, decodeDataEntryHeader } from '../engine/format.ts';
import { Errors, atoll, cString, checkAdmin, checkArity, checkArityMin, prefixOf, type Context } from './context.ts';
import { secureMatches } from './namespace.ts';

export const VERSION = 'v2.0.7';

export function ping(): Reply {
  return Replies.pong;
}

/**
 * HELLO: 0-db answers "Command not supported", which stock clients (ioredis 6, node-redis with
 * RESP3) do not take as "no RESP3" and give up. We answer as a RESP2-only Redis does: NOPROTO for
 * any version but 2 (clients then fall back to RESP2), and HELLO 2 with the server's description.
 */
export function hello(context: Context): Reply {
  const version = context.args[1]?.toString('latin1');
  if (version !== undefined && version !== '2') return Replies.error('NOPROTO sorry, this protocol version is not supported');
  return Replies.array([
    Replies.bulk('server'), Replies.bulk('0-db'), Replies.bulk('version'), Replies.bulk('2.0.7'), Replies.bulk('proto'), Replies.integer(2),
    Replies.bulk('id'), Replies.integer(context.instanceId), Replies.bulk('mode'), Replies.bulk('standalone'), Replies.bulk('role'), Replies.bulk('master'),
    Replies.bulk('modules'), Replies.array([]),
  ]);
}

export function time(context: Context): Reply {
  const nowMs = context.now();
  const seconds = Math.floor(nowMs / 1000);
  const micros = Math.floor((nowMs - seconds * 1000) * 1000);
  return Replies.array([Replies.bulk(String(seconds)), Replies.bulk(String(micros))]);
}

export function auth(context: Context): Reply {
  const { args } = context;
  if (args.length === 2) return authPlain(context);
  if (args.length === 3) return authSecure(context);
  return Errors.unexpectedArguments;
}

function authPlain(context: Context): Reply {
  if (context.adminPassword === undefined) return Replies.error('Authentication disabled');
  const denied = checkArity(context.args, 2);
  if (denied) return denied;
  const password = context.args[1]!;
  if (password.length > 128) return Replies.error('Password too long');
  if (cString(password) !== context.adminPassword) return Replies.error('Access denied');
  context.session.admin = true;
  return Replies.ok;
}

/** `AUTH SECURE CHALLENGE` hands out a one-time nonce; `AUTH SECURE <hash>` consumes it. */
function authSecure(context: Context): Reply {
  const { args, session } = context;
  const denied = checkArity(args, 3);
  if (denied) return denied;
  if (!prefixOf(args[1]!, 'SECURE')) return Replies.error('Only SECURE extra method supported');
  if (prefixOf(args[2]!, 'CHALLENGE')) {
    session.nonce = randomBytes(8).toString('hex');
    return Replies.simple(session.nonce);
  }
  if (context.adminPassword === undefined) return Replies.error('Authentication disabled');
  if (session.nonce === null) return Replies.error('No CHALLENGE requested, secure authentication not available');
  if (args[2]!.length !== 40) return Replies.error('Invalid hash length');
  const granted = secureMatches(session.nonce, context.adminPassword, args[2]!);
  session.nonce = null;
  if (!granted) return Replies.error('Access denied');
  session.admin = true;
  return Replies.ok;
}

export function info(context: Context): Reply {
  const { counters } = context;
  const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(2);
  const io = context.engine.io;
  const nowSec = Math.floor(context.now() / 1000);
  const bootSec = Math.floor(context.bootTimeMs / 1000);
  const lines = [
    '# server', 'server_name: 0-db (zdb)', `server_revision: ${VERSION}`, `engine_revision: ${VERSION}`, `instance_id: ${context.instanceId}`,
    `boot_time: ${bootSec}`, `uptime: ${nowSec - bootSec}`, '',
    '# clients', `clients_lifetime: ${counters.clientsLifetime}`, '',
    '# internals', `sequential_key_size: ${SEQ_KEY_BYTES}`, `data_version: ${DATA_VERSION}`, `index_version: ${INDEX_VERSION}`, '',
    '# stats', `commands_executed: ${counters.commandsExecuted}`, `commands_failed: ${counters.commandsFailed}`,
    `commands_unauthorized: ${counters.commandsUnauthorized}`, 'index_disk_read_failed: 0', 'index_disk_write_failed: 0',
    'data_disk_read_failed: 0', 'data_disk_write_failed: 0',
    `index_disk_read_bytes: ${io.indexReadBytes}`, `index_disk_read_mb: ${mb(io.indexReadBytes)}`,
    `index_disk_write_bytes: ${io.indexWriteBytes}`, `index_disk_write_mb: ${mb(io.indexWriteBytes)}`,
    `data_disk_read_bytes: ${io.dataReadBytes}`, `data_disk_read_mb: ${mb(io.dataReadBytes)}`,
    `data_disk_write_bytes: ${io.dataWriteBytes}`, `data_disk_write_mb: ${mb(io.dataWriteBytes)}`,
    `network_rx_bytes: ${counters.networkRxBytes}`, `network_rx_mb: ${mb(counters.networkRxBytes)}`,
    `network_tx_bytes: ${counters.networkTxBytes}`, `network_tx_mb: ${mb(counters.networkTxBytes)}`,
  ];
  return Replies.bulk(lines.join('\n') + '\n');
}

/** STOP asks the shell to shut down. 0-db release builds refuse it; we allow it to admins. */
export function stop(context: Context, request: () => void): Reply {
  const denied = checkAdmin(context);
  if (denied) return denied;
  request();
  return Replies.simple('Stopping');
}

export function index(context: Context): Reply {
  const { args } = context;
  const denied = checkAdmin(context) ?? checkArityMin(args, 2);
  if (denied) return denied;
  if (args[1]!.length > 256) return Errors.argumentTooLong;
  if (cString(args[1]!).toUpperCase() !== 'DIRTY') return Replies.error('Unknown INDEX subcommand');
  const ns = context.session.namespace;
  if (args.length === 3) {
    if (cString(args[2]!).toUpperCase() !== 'RESET') return Replies.error('Unknown INDEX DIRTY subcommand');
    ns.dirtyIndexIds.clear();
    return Replies.ok;
  }
  return Replies.array([...ns.dirtyIndexIds].sort((a, b) => a - b).map((id) => Replies.integer(id)));
}

/** DATA RAW <fileid> <offset>: one data entry as stored (replication helper of 0-db). */
export function data(context: Context): Reply {
  const { args } = context;
  const denied = checkAdmin(context) ?? checkArityMin(args, 2);
  if (denied) return denied;
  if (args[1]!.length > 256) return Errors.argumentTooLong;
  if (cString(args[1]!).toUpperCase() !== 'RAW') return Replies.error('Unknown DATA subcommand');
  const missing = checkArityMin(args, 4);
  if (missing) return missing;
  const ns = context.session.namespace;
  const fileId = atoll(args[2]!) >>> 0;
  const offset = atoll(args[3]!);
  if (fileId > ns.files.currentId || (fileId === ns.files.currentId && offset >= ns.files.dataSize)) return Replies.error('EOF');
  const header = Buffer.alloc(DATA_ENTRY_BYTES);
  try {
    if (offset < 0 || ns.files.readData(fileId, header, DATA_ENTRY_BYTES, offset) !== DATA_ENTRY_BYTES) return Replies.error('EOF');
    const decoded = decodeDataEntryHeader(header, 0);
    if (decoded.length > VALUE_BYTES_MAX || decoded.flags & 1) return Replies.error('Unexpected Internal Error');
    const body = Buffer.alloc(decoded.idLength + decoded.length);
    if (ns.files.readData(fileId, body, body.length, offset + DATA_ENTRY_BYTES) !== body.length) return Replies.error('Unexpected Internal Error');
    if (decoded.length === 0) return Replies.error('Invalid Request');
    return Replies.array([
      Replies.bulk(body.subarray(0, decoded.idLength)), Replies.integer(decoded.previous),
      Replies.bulk(`0x${decoded.crc.toString(16).padStart(8, '0')}`), Replies.integer(decoded.flags), Replies.integer(decoded.timestamp),
      Replies.bulk(body.subarray(decoded.idLength)),
    ]);
  } catch {
    return Replies.error('Unexpected Internal Error');
  }
}
