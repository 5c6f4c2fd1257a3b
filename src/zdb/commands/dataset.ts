// Key/value commands: SET/SETX, GET, MGET, DEL, EXISTS, CHECK, LENGTH, KEYTIME, KEYCUR, HISTORY.
// Checks run in 0-db's order so that a request failing several checks gets 0-db's error.
import { Replies, type Reply } from '../reply.ts';
import { KEY_BYTES_MAX, VALUE_BYTES_MAX, HISTORY_CURSOR_BYTES, encodeCursor, encodeHistoryCursor } from '../engine/format.ts';
import type { Entry, Namespace } from '../engine/namespace.ts';
import { checkEntry, itemLocation, readEntryValue, readEntryValueCached, readItem, readValue, type StoredItem } from '../engine/reads.ts';
import { Errors, atoll, checkAdmin, checkArity, type Context } from './context.ts';

const keyTooLarge = Replies.error('Key too large');
const payloadTooBig = Replies.error('Payload too big');

/** The session's timestamp (unix seconds, 32-bit like the format). */
function nowSeconds(context: Context): number {
  return Math.floor(context.now() / 1000) >>> 0;
}

function writeGuard(context: Context): Reply | null {
  if (!context.session.writable) return Errors.readOnly;
  const lock = context.session.namespace.lock;
  if (lock === 'frozen') return Errors.frozen;
  if (lock === 'locked') return Errors.locked;
  return null;
}

export function set(context: Context): Reply {
  const { args, session, engine } = context;
  const denied = args.length === 4 ? checkAdmin(context) : checkArity(args, 3, true);
  if (denied) return denied;
  const key = args[1]!;
  const value = args[2]!;
  if (key.length > KEY_BYTES_MAX) return keyTooLarge;
  if (value.length > VALUE_BYTES_MAX) return payloadTooBig;
  const guard = writeGuard(context);
  if (guard) return guard;
  const timestamp = args.length === 4 ? atoll(args[3]!) >>> 0 : nowSeconds(context);
  const ns = session.namespace;
  try {
    const outcome = ns.set(key, value, timestamp, engine.options.datasizeBytes, (entry) => {
      const read = readEntryValue(ns, entry);
      return read.ok ? read.value : null;
    });
    switch (outcome.type) {
      case 'written': return Replies.bulk(outcome.key);
      case 'unchanged': return Replies.nil;
      case 'worm': return Replies.error('Namespace is protected by worm mode');
      case 'no-space': return Replies.error('No space left on this namespace');
      case 'key-needed': return Replies.error('Invalid argument, key needed');
      case 'update-only': return Replies.error('Invalid key, only update authorized');
    }
  } catch (error) {
    context.log.error('SET failed', { namespace: ns.name, error });
    return Replies.error('Cannot write data right now');
  }
}

/** Common checks of the single-key read commands: arity, key size, freeze. */
function readKey(context: Context): Reply | Buffer {
  const denied = checkArity(context.args, 2);
  if (denied) return denied;
  const key = context.args[1]!;
  if (key.length > KEY_BYTES_MAX) return Errors.invalidKey;
  if (context.session.namespace.lock === 'frozen') return Errors.frozen;
  return key;
}

/** `key` is the key that found `entry` (see readEntryValue). */
function valueReply(context: Context, ns: Namespace, key: Uint8Array, entry: Entry | null): Reply {
  if (!entry) return Replies.nil;
  const read = readEntryValueCached(ns, entry, key);
  if (read.ok) return Replies.bulk(read.value);
  context.log.error('stored value refused', { namespace: ns.name, why: read.why });
  return Errors.internal;
}

export function get(context: Context): Reply {
  const key = readKey(context);
  if (!Buffer.isBuffer(key)) return key;
  const ns = context.session.namespace;
  return valueReply(context, ns, key, ns.lookup(key));
}

export function mget(context: Context): Reply {
  const { args } = context;
  if (args.length < 2) return Errors.invalidArguments;
  if (args.some((arg, i) => i > 0 && arg.length > KEY_BYTES_MAX)) return Errors.invalidKey;
  const ns = context.session.namespace;
  if (ns.lock === 'frozen') return Errors.frozen;
  return Replies.array(args.slice(1).map((key) => valueReply(context, ns, key, ns.lookup(key))));
}

export function del(context: Context): Reply {
  const { args } = context;
  const denied = args.length === 3 ? checkAdmin(context) : checkArity(args, 2);
  if (denied) return denied;
  const key = args[1]!;
  if (key.length > KEY_BYTES_MAX) return Errors.invalidKey;
  const guard = writeGuard(context);
  if (guard) return guard;
  const ns = context.session.namespace;
  const entry = ns.lookup(key);
  if (!entry) return Errors.keyNotFound;
  if (ns.worm) return Replies.error('Cannot delete a key when namespace is in worm mode');
  try {
    ns.del(entry, args.length === 3 ? atoll(args[2]!) >>> 0 : nowSeconds(context));
  } catch (error) {
    context.log.error('DEL failed', { namespace: ns.name, error });
    return Replies.error('Cannot delete key (data)');
  }
  return Replies.ok;
}

export function exists(context: Context): Reply {
  const key = readKey(context);
  if (!Buffer.isBuffer(key)) return key;
  return Replies.integer(context.session.namespace.lookup(key) ? 1 : 0);
}

export function check(context: Context): Reply {
  const key = readKey(context);
  if (!Buffer.isBuffer(key)) return key;
  const ns = context.session.namespace;
  const entry = ns.lookup(key);
  return entry ? Replies.integer(checkEntry(ns, entry) ? 1 : 0) : Replies.nil;
}

export function length(context: Context): Reply {
  const key = readKey(context);
  if (!Buffer.isBuffer(key)) return key;
  const entry = context.session.namespace.lookup(key);
  return entry ? Replies.integer(entry.length) : Replies.nil;
}

export function keytime(context: Context): Reply {
  const key = readKey(context);
  if (!Buffer.isBuffer(key)) return key;
  const entry = context.session.namespace.lookup(key);
  return entry ? Replies.integer(entry.timestamp) : Replies.nil;
}

export function keycur(context: Context): Reply {
  const denied = checkArity(context.args, 2);
  if (denied) return denied;
  const ns = context.session.namespace;
  if (ns.lock === 'frozen') return Errors.frozen;
  const entry = ns.lookup(context.args[1]!);
  if (!entry) return Errors.keyNotFound;
  return Replies.bulk(encodeCursor({ idLength: entry.id.length, fileId: entry.indexId, length: entry.length, indexOffset: entry.indexOffset, crc: entry.crc }));
}

export function history(context: Context): Reply {
  const { args } = context;
  if (args.length !== 2 && args.length !== 3) return Errors.invalidArguments;
  const ns = context.session.namespace;
  if (ns.lock === 'frozen') return Errors.frozen;
  const key = args[1]!;
  let stored: StoredItem | null;
  if (args.length === 2) {
    const entry = ns.lookup(key);
    if (!entry) return Errors.keyNotFound;
    stored = readItem(ns, entry.indexId, entry.indexOffset);
    if (!stored) return Errors.internal;
  } else {
    const cursor = args[2]!;
    if (cursor.length !== HISTORY_CURSOR_BYTES) return Errors.invalidArguments;
    const fileId = cursor.readUInt32LE(0);
    const offset = cursor.readUInt32LE(4);
    if (fileId === 0 && offset === 0) return Replies.error('No more history');
    stored = readItem(ns, fileId, offset);
    if (!stored) return Replies.error('Invalid arguments (index query)');
    if (!stored.id.equals(key)) return Replies.error('Invalid arguments (invalid key)');
  }
  const read = readValue(ns, itemLocation(ns, stored), stored.id);
  if (!read.ok) {
    context.log.error('history value refused', { namespace: ns.name, why: read.why });
    return Errors.internal;
  }
  const { parentId, parentOffset } = stored.item;
  const next = parentId === 0 && parentOffset === 0 ? Replies.nil : Replies.bulk(encodeHistoryCursor(parentId, parentOffset));
  return Replies.array([next, Replies.bulk(String(stored.item.timestamp)), Replies.bulk(read.value)]);
}
