// Namespace commands: NSNEW, NSDEL, NSLIST, NSINFO, NSSET, NSJUMP, SELECT, DBSIZE, RELOAD, FLUSH.
import { createHash, timingSafeEqual } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { Replies, type Reply } from '../reply.ts';
import { DEFAULT_NAMESPACE, validName } from '../engine/engine.ts';
import { indexPath, dataPath } from '../engine/files.ts';
import { Namespace } from '../engine/namespace.ts';
import { Errors, atoll, cString, checkAdmin, checkArity, checkNamespaceName, prefixOf, type Context } from './context.ts';

/** Looks up the namespace named by args[index] after 0-db's length check. */
function namespaceArg(context: Context, index: number): Namespace | Reply {
  const arg = context.args[index]!;
  const tooLong = checkNamespaceName(arg);
  if (tooLong) return tooLong;
  return context.engine.get(cString(arg)) ?? Errors.namespaceNotFound;
}

export function nsnew(context: Context): Reply {
  const denied = checkAdmin(context) ?? checkArity(context.args, 2) ?? checkNamespaceName(context.args[1]!);
  if (denied) return denied;
  const name = cString(context.args[1]!);
  if (!validName(name)) return Replies.error('This name is not allowed');
  if (context.engine.get(name)) return Replies.error('This namespace is not available');
  try {
    context.engine.create(name);
  } catch (error) {
    context.log.error('NSNEW failed', { namespace: name, error });
    return Replies.error('Could not create namespace');
  }
  return Replies.ok;
}

export function nsdel(context: Context): Reply {
  const denied = checkAdmin(context) ?? checkArity(context.args, 2) ?? checkNamespaceName(context.args[1]!);
  if (denied) return denied;
  const name = cString(context.args[1]!);
  if (name === DEFAULT_NAMESPACE) return Replies.error('Cannot remove default namespace');
  const ns = context.engine.get(name);
  if (!ns) return Replies.error("This namespace doesn't exists");
  if (context.session.namespace === ns) return Replies.error("Cannot remove namespace you're currently using.");
  context.engine.remove(ns);
  return Replies.ok;
}

export function nslist(context: Context): Reply {
  return Replies.array(context.engine.list().map((ns) => Replies.bulk(ns.name)));
}

export function dbsize(context: Context): Reply {
  return Replies.integer(context.session.namespace.stats.entries);
}

export function nsinfo(context: Context): Reply {
  const denied = checkArity(context.args, 2);
  if (denied) return denied;
  const ns = namespaceArg(context, 1);
  if (!(ns instanceof Namespace)) return ns;
  return Replies.bulk(nsinfoText(ns, context.session.admin));
}

function nsinfoText(ns: Namespace, admin: boolean): string {
  const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(2);
  const nextId = Buffer.alloc(8);
  nextId.writeBigUInt64BE(BigInt(ns.nextEntry)); // 0-db prints bswap64(nextentry) in hex
  const lines = [
    '# namespace', `name: ${ns.name}`, `entries: ${ns.stats.entries}`, `public: ${yes(ns.public)}`, `worm: ${yes(ns.worm)}`,
    `locked: ${yes(ns.lock !== 'unlocked')}`, `password: ${yes(ns.password !== null)}`, `data_size_bytes: ${ns.stats.dataBytes}`,
    `data_size_mb: ${mb(ns.stats.dataBytes)}`, `data_limits_bytes: ${ns.maxsizeBytes}`, `index_size_bytes: ${ns.stats.indexBytes}`,
    `index_size_kb: ${(ns.stats.indexBytes / 1024).toFixed(2)}`, `next_internal_id: 0x${nextId.readBigUInt64LE().toString(16).padStart(8, '0')}`,
    `mode: ${ns.mode === 'seq' ? 'sequential' : 'userkey'}`, 'stats_index_io_errors: 0', 'stats_index_io_error_last: 0', 'stats_index_faults: 0',
    'stats_data_io_errors: 0', 'stats_data_io_error_last: 0', 'stats_data_faults: 0',
  ];
  if (ns.maxsizeBytes > 0) lines.push(`space_available: ${Math.max(ns.maxsizeBytes - ns.stats.dataBytes, 0)}`);
  for (const [label, dir] of [['index', ns.files.indexDir], ['data', ns.files.dataDir]] as const) {
    try {
      const fs = statfsSync(dir);
      const free = fs.bsize * fs.bavail;
      lines.push(`${label}_disk_freespace_bytes: ${free}`, `${label}_disk_freespace_mb: ${mb(free)}`);
    } catch {
      // 0-db only warns when statvfs fails
    }
  }
  if (admin) {
    const id = ns.files.currentId;
    lines.push(`data_path: ${ns.files.dataDir}`, `data_active: ${dataPath(ns.files.dataDir, id)}`, `index_path: ${ns.files.indexDir}`,
      `index_active: ${indexPath(ns.files.indexDir, id)}`, `data_current_id: ${id}`, `data_current_offset: ${ns.files.dataSize}`);
  }
  return lines.join('\n') + '\n';
}

function yes(flag: boolean): string {
  return flag ? 'yes' : 'no';
}

export function nsset(context: Context): Reply {
  const { args } = context;
  const denied = checkAdmin(context) ?? checkArity(args, 4) ?? checkNamespaceName(args[1]!);
  if (denied) return denied;
  if (args[2]!.length > 256 || args[3]!.length > 63) return Errors.argumentTooLong;
  const ns = namespaceArg(context, 1);
  if (!(ns instanceof Namespace)) return ns;
  const property = cString(args[2]!);
  const value = cString(args[3]!);
  const flag = value.startsWith('1');
  if (property === 'mode') {
    if (context.engine.options.mode !== 'mixed') return Replies.error('This server instance is configured to use a single runtime mode');
    if (!ns.fresh) return Replies.error('Cannot change mode of used namespace');
    if (value !== 'user' && value !== 'seq') return Replies.error('Invalid property value (expected: user, seq)');
    context.engine.setMode(ns, value);
  } else if (property === 'lock') {
    ns.lock = flag ? 'locked' : 'unlocked';
  } else if (property === 'freeze') {
    ns.lock = flag ? 'frozen' : 'unlocked';
  } else if (ns.name === DEFAULT_NAMESPACE) {
    return Replies.error('Cannot update default namespace');
  } else if (property === 'maxsize') {
    ns.maxsizeBytes = Math.max(atoll(args[3]!), 0);
  } else if (property === 'password') {
    ns.password = value === '*' ? null : value;
  } else if (property === 'public') {
    ns.public = flag;
  } else if (property === 'worm') {
    ns.worm = flag;
  } else {
    return Replies.error('Invalid property');
  }
  context.engine.commitDescriptor(ns);
  return Replies.ok;
}

export function nsjump(context: Context): Reply {
  const denied = checkAdmin(context);
  if (denied) return denied;
  context.session.namespace.jump();
  return Replies.ok;
}

export function select(context: Context): Reply {
  const { args, session } = context;
  if (args.length < 2) return Errors.invalidArgument;
  const ns = namespaceArg(context, 1);
  if (!(ns instanceof Namespace)) return ns;
  let writable = true;
  if (ns.password !== null) {
    if (args.length < 3) {
      if (!ns.public) return Replies.error('Namespace protected and private');
      writable = false;
    } else if (args.length > 4) {
      return Replies.error('Too many arguments');
    } else if (args.length === 3) {
      if (args[2]!.length > 255) return Replies.error('Password too long');
      if (cString(args[2]!) !== ns.password) return Replies.error('Access denied');
    } else {
      const refused = checkSecure(context, args[2]!, args[3]!, ns.password);
      if (refused) return refused;
    }
  }
  session.namespace = ns;
  session.writable = writable;
  return Replies.ok;
}

/** `SELECT ns SECURE <sha1hex(nonce:password)>`; unlike AUTH SECURE it leaves the nonce. */
function checkSecure(context: Context, method: Buffer, hash: Buffer, password: string): Reply | null {
  if (!prefixOf(method, 'SECURE')) return Replies.error('Only SECURE extra method supported');
  const nonce = context.session.nonce;
  if (nonce === null) return Replies.error('No CHALLENGE requested, secure authentication not available');
  if (hash.length !== 40) return Replies.error('Invalid hash length');
  return secureMatches(nonce, password, hash) ? null : Replies.error('Access denied');
}

export function secureMatches(nonce: string, password: string, hash: Buffer): boolean {
  const expected = Buffer.from(createHash('sha1').update(`${nonce}:${password}`).digest('hex'), 'latin1');
  return hash.length === expected.length && timingSafeEqual(hash, expected);
}

export function reload(context: Context): Reply {
  const denied = checkAdmin(context) ?? checkArity(context.args, 2);
  if (denied) return denied;
  const ns = namespaceArg(context, 1);
  if (!(ns instanceof Namespace)) return ns;
  context.engine.reload(ns);
  return Replies.ok;
}

export function flush(context: Context): Reply {
  const ns = context.session.namespace;
  if (ns.public || ns.password === null) return Replies.error('Flushing public namespace denied');
  try {
    context.engine.flush(ns);
  } catch (error) {
    context.log.error('FLUSH failed', { namespace: ns.name, error });
    return Replies.error('Internal Server Error');
  }
  return Replies.ok;
}
