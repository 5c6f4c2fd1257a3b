// SCAN/SCANX and RSCAN: walk the index files forward (physical order) or backward (the
// `previous` chain), skipping deleted items, for at most a time slice per call like 0-db.
import { Replies, type Reply } from '../reply.ts';
import { decodeCursor, encodeCursor } from '../engine/format.ts';
import type { Namespace } from '../engine/namespace.ts';
import { firstLiveItem, lastLiveItem, nextLiveItem, previousLiveItem, readItem, type StoredItem } from '../engine/reads.ts';
import { Errors, type Context } from './context.ts';

/** 0-db returns what it can collect in 2 ms; the item cap bounds the reply size too. */
const SCAN_SLICE_MS = 2;
const SCAN_ITEMS_MAX = 10_000;
const invalidCursor = Replies.error('Invalid key format');

export function scan(context: Context): Reply {
  return walk(context, firstLiveItem, (ns, from) => nextLiveItem(ns, from.fileId, from.offset, from.item.idLength));
}

export function rscan(context: Context): Reply {
  return walk(context, lastLiveItem, previousLiveItem);
}

function walk(context: Context, first: (ns: Namespace) => StoredItem | null, step: (ns: Namespace, from: StoredItem) => StoredItem | null): Reply {
  const ns = context.session.namespace;
  if (ns.lock === 'frozen') return Errors.frozen;
  const items: StoredItem[] = [];
  let cursor: StoredItem | null;
  if (context.args.length === 1) {
    const start = first(ns);
    if (!start) return Errors.noMoreData;
    items.push(start);
    cursor = start;
  } else {
    cursor = resolveCursor(ns, context.args[1]!);
    if (!cursor) return invalidCursor;
  }
  const deadline = performance.now() + SCAN_SLICE_MS;
  while (items.length < SCAN_ITEMS_MAX && performance.now() < deadline) {
    const next = step(ns, cursor);
    if (!next) break;
    items.push(next);
    cursor = next;
  }
  if (items.length === 0) return Errors.noMoreData;
  const last = items[items.length - 1]!;
  const next = encodeCursor({ idLength: last.item.idLength, fileId: last.fileId, length: last.item.length, indexOffset: last.offset, crc: last.item.crc });
  return Replies.array([
    Replies.bulk(next),
    Replies.array(items.map((stored) => Replies.array([Replies.bulk(stored.id), Replies.integer(stored.item.length | 0), Replies.integer(stored.item.timestamp | 0)]))),
  ]);
}

/** A cursor names an item by place and is checked against its length and CRC (deleted is fine). */
function resolveCursor(ns: Namespace, arg: Buffer): StoredItem | null {
  const cursor = decodeCursor(arg);
  if (!cursor) return null;
  const stored = readItem(ns, cursor.fileId, cursor.indexOffset);
  if (!stored || stored.item.idLength !== cursor.idLength || stored.item.length !== cursor.length || stored.item.crc !== cursor.crc) return null;
  return stored;
}
