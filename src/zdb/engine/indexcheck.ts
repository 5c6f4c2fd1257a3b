// Step 2 of loading: index items carry no checksum, so before a file is applied its items are
// checked for fields that cannot be right. The rules are in src/zdb/README.md, "Loading, torn
// tails, rebuilds".
import { DATA_ENTRY_BYTES, DATA_HEADER_BYTES, FLAG_DELETED, INDEX_HEADER_BYTES, INDEX_ITEM_BYTES, SEQ_KEY_BYTES, VALUE_BYTES_MAX, decodeIndexItem, type IndexItem } from './format.ts';
import { seqIdAt, zeros } from './loadstate.ts';
import type { Namespace } from './namespace.ts';

/**
 * Structural check of an index file's items, without reading data: plausible fields, the
 * `previous` chain (each item points at the item appended before it, so a shifted item breaks
 * it), user-mode items in data order, seq ids that fit their slot. Returns the items that pass.
 * In the last file, a partial item or zero bytes after them are a torn tail; anything else
 * that fails is damage.
 */
export function checkItems(ns: Namespace, fileId: number, bytes: Buffer, from: { last: boolean; firstId: number; previous: number }): { count: number; end: number; damage: string | null; previous: number } {
  let at = INDEX_HEADER_BYTES;
  let count = 0;
  let previous = from.previous;
  let dataEnd = 0;
  while (at + INDEX_ITEM_BYTES <= bytes.length) {
    const item = decodeIndexItem(bytes, at);
    const size = INDEX_ITEM_BYTES + item.idLength;
    if (at + size > bytes.length) break;
    const why = implausibleItem(ns, fileId, item, bytes, { previous, dataEnd, position: from.firstId + count, idAt: at + INDEX_ITEM_BYTES });
    if (why) return { count, end: at, damage: from.last && zeros(bytes, at) ? null : `item ${count} at ${at}: ${why}`, previous };
    previous = at;
    dataEnd = item.dataOffset + DATA_ENTRY_BYTES + item.idLength + item.length;
    at += size;
    count++;
  }
  if (at < bytes.length && !from.last) return { count, end: at, damage: `partial item at ${at}`, previous };
  return { count, end: at, damage: null, previous };
}

function implausibleItem(ns: Namespace, fileId: number, item: IndexItem, bytes: Buffer, expected: { previous: number; dataEnd: number; position: number; idAt: number }): string | null {
  if (item.idLength === 0) return 'empty key';
  if (item.length > VALUE_BYTES_MAX) return 'value too long';
  if (item.flags > FLAG_DELETED) return `unknown flags ${item.flags}`;
  if (item.previous !== expected.previous) return `previous is ${item.previous}, not ${expected.previous}`;
  if (item.dataOffset < DATA_HEADER_BYTES) return `data offset ${item.dataOffset}`;
  if (ns.mode === 'user') {
    if (item.dataId !== 0 && item.dataId !== fileId) return `data file id ${item.dataId}`;
    if (item.dataOffset < expected.dataEnd) return 'data offsets out of order';
    return null;
  }
  if (item.idLength !== SEQ_KEY_BYTES) return `seq key of ${item.idLength} bytes`;
  const slotId = seqIdAt(bytes, expected.idAt);
  // A slot holds its own id (a new value) or, flagged deleted, an older id (an update's copy).
  if (slotId < 0 || slotId > expected.position) return `id ${slotId} in slot ${expected.position}`;
  if (slotId < expected.position && !(item.flags & FLAG_DELETED)) return `live copy of id ${slotId} in slot ${expected.position}`;
  if (slotId === expected.position && item.dataId < fileId) return `slot points into older data file d${item.dataId}`;
  if (slotId < expected.position && item.dataId > fileId) return `copy points into newer data file d${item.dataId}`;
  return null;
}
