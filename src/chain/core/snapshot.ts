// Snapshot of the whole state, version 1 (README: "Snapshot format"). Big-endian integers:
//   magic "TFCS" | u16 version | 32-byte state root | u8 table count
//   per table, in state-root order: u8 name length | name | u32 record count | u32 byte length |
//     records: canonical JSON of [key, value] each followed by "\n" (JSON never holds a raw newline)
// Decoding bounds every length by the bytes left and refuses unknown versions; the rebuilt
// state must give the recorded root, so a flipped byte anywhere is caught.
import { z } from 'zod';
import { TfgridError, assert, isTfgridError } from '../../base/index.ts';
import { toHex } from '../../crypto/index.ts';
import { ChainError } from '../errors.ts';
import type { Meta } from './entities.ts';
import { ChainState, tableNames, type TableName } from './state/state.ts';
import type { TableKey } from './state/table.ts';
import { paramsFields } from './tx/fields.ts';

const paramsSchema = z.strictObject(paramsFields);

export const snapshotMagic = 'TFCS';
export const snapshotVersion = 1;
const headerBytes = 4 + 2 + 32 + 1;
/** One record (an entity) at most. */
export const snapshotRecordBytesMax = 1024 * 1024;
const chunkBytes = 16 << 20;

/** Fields held as bigint in memory and as decimal strings in JSON. */
const bigintFields: Partial<Record<TableName, string>> = { accounts: 'balance', contracts: 'debt' };

export function encodeSnapshot(state: ChainState): Uint8Array {
  const encoder = new SnapshotEncoder(state);
  while (!encoder.step(Number.POSITIVE_INFINITY));
  return new Uint8Array(Buffer.concat(encoder.parts()));
}

/**
 * Encodes a snapshot a slice at a time, so a big state (800 MiB for 1M contracts) does not stop
 * the event loop: the tables are frozen at construction (copy-on-write, see Table.freeze), the
 * caller calls `step` between other work — blocks may be applied in between — until it answers
 * true, then takes `parts()` (the snapshot bytes, in order). The snapshot is the state as it was
 * at construction, with that moment's root. `close()` ends the view (always call it).
 */
export class SnapshotEncoder {
  readonly stateRoot: string;
  readonly #state: ChainState;
  readonly #parts: Buffer[] = [];
  #table = 0;
  #bucket = 0;
  #chunks: Buffer[] = [];
  #chunk = Buffer.allocUnsafe(chunkBytes);
  #offset = 0;
  #count = 0;
  #closed = false;

  constructor(state: ChainState) {
    this.#state = state;
    this.stateRoot = state.root();
    for (const name of tableNames) state.table(name).freeze();
    const header = Buffer.alloc(headerBytes);
    header.write(snapshotMagic, 0, 'latin1');
    header.writeUInt16BE(snapshotVersion, 4);
    Buffer.from(this.stateRoot, 'hex').copy(header, 6);
    header.writeUInt8(tableNames.length, 38);
    this.#parts.push(header);
  }

  get done(): boolean {
    return this.#table === tableNames.length;
  }

  /** Encodes whole buckets until about `bytesMax` more bytes are out; true when all is encoded. */
  step(bytesMax: number): boolean {
    assert(!this.#closed, 'step after close');
    let budget = bytesMax;
    while (!this.done && budget > 0) {
      const name = tableNames[this.#table]!;
      const table = this.#state.table(name);
      if (this.#bucket === table.bucketCount) {
        this.#finishTable(name);
        continue;
      }
      budget -= 1; // empty buckets cost too
      // Entries are written as UTF-8 straight into 16 MiB chunks: no giant strings, little garbage.
      for (const [key, value] of table.frozenEntries(this.#bucket++)) {
        const line = `[${JSON.stringify(key)},${table.encodeValue(value)}]\n`;
        if (this.#offset + line.length * 3 > this.#chunk.length) {
          this.#chunks.push(this.#chunk.subarray(0, this.#offset));
          this.#chunk = Buffer.allocUnsafe(Math.max(chunkBytes, line.length * 3));
          this.#offset = 0;
        }
        const written = this.#chunk.write(line, this.#offset, 'utf8');
        this.#offset += written;
        budget -= written;
        this.#count++;
      }
    }
    if (this.done) this.close();
    return this.done;
  }

  /** The snapshot bytes in order (header, then per table its head and records). */
  parts(): readonly Buffer[] {
    assert(this.done, 'parts of a finished snapshot');
    return this.#parts;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const name of tableNames) this.#state.table(name).thaw();
  }

  #finishTable(name: TableName): void {
    if (this.#offset > 0) this.#chunks.push(this.#chunk.subarray(0, this.#offset));
    const bytes = this.#chunks.reduce((sum, part) => sum + part.length, 0);
    const head = Buffer.alloc(1 + name.length + 8);
    head.writeUInt8(name.length, 0);
    head.write(name, 1, 'latin1');
    head.writeUInt32BE(this.#count, 1 + name.length);
    head.writeUInt32BE(bytes, 5 + name.length);
    this.#parts.push(head, ...this.#chunks);
    this.#chunks = [];
    this.#chunk = Buffer.allocUnsafe(this.#table + 1 < tableNames.length ? chunkBytes : 0);
    this.#offset = 0;
    this.#count = 0;
    this.#table++;
    this.#bucket = 0;
  }
}

function invalid(detail: string): never {
  throw new TfgridError(ChainError.SNAPSHOT_INVALID, detail);
}

/** Decodes a snapshot into a state with the same root; CHAIN_SNAPSHOT_* when it is not one. */
export function restoreState(bytes: Uint8Array): ChainState {
  try {
    return decodeSnapshot(bytes);
  } catch (error) {
    if (isTfgridError(error)) throw error;
    // A record of the right JSON shape but the wrong fields fails inside an encoder or a hook.
    throw new TfgridError(ChainError.SNAPSHOT_INVALID, `a record does not fit its table: ${(error as Error).message}`, { cause: error });
  }
}

function decodeSnapshot(bytes: Uint8Array): ChainState {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < headerBytes) invalid(`${buffer.length} bytes is shorter than the header`);
  if (buffer.toString('latin1', 0, 4) !== snapshotMagic) throw new TfgridError(ChainError.SNAPSHOT_UNSUPPORTED_VERSION, 'not a chain snapshot (magic)');
  const version = buffer.readUInt16BE(4);
  if (version !== snapshotVersion) throw new TfgridError(ChainError.SNAPSHOT_UNSUPPORTED_VERSION, `snapshot version ${version}; this build reads ${snapshotVersion}`);
  const root = toHex(buffer.subarray(6, 38));
  if (buffer.readUInt8(38) !== tableNames.length) invalid(`${buffer.readUInt8(38)} tables, expected ${tableNames.length}`);
  let offset = headerBytes;
  let state: ChainState | undefined;
  for (const name of tableNames) {
    const section = readSection(buffer, offset, name);
    offset = section.end;
    const records = decodeRecords(buffer.subarray(section.start, section.end), section.count, name);
    if (state === undefined) state = new ChainState(metaTime(records));
    const table = state.table(name);
    for (const [key, value] of records) table.set(key, value);
    // Later tables' index hooks read the params: check them before going on.
    if (name === 'params' && !paramsSchema.safeParse(state.params.get('params')).success) invalid('params entry missing or malformed');
  }
  if (offset !== buffer.length) invalid(`${buffer.length - offset} bytes after the last table`);
  const rebuilt = state!.root();
  if (rebuilt !== root) invalid(`contents give root ${rebuilt}, header says ${root}`);
  return state!;
}

function readSection(buffer: Buffer, offset: number, name: TableName): { start: number; end: number; count: number } {
  if (offset + 1 > buffer.length) invalid(`truncated before table ${name}`);
  const nameBytes = buffer.readUInt8(offset);
  if (offset + 1 + nameBytes + 8 > buffer.length) invalid(`truncated in the header of table ${name}`);
  const found = buffer.toString('latin1', offset + 1, offset + 1 + nameBytes);
  if (found !== name) invalid(`table ${found} where ${name} was expected`);
  const count = buffer.readUInt32BE(offset + 1 + nameBytes);
  const length = buffer.readUInt32BE(offset + 5 + nameBytes);
  const start = offset + 9 + nameBytes;
  if (start + length > buffer.length) invalid(`table ${name} announces ${length} bytes, ${buffer.length - start} left`);
  if (count > length / 4) invalid(`table ${name} announces ${count} records in ${length} bytes`);
  return { start, end: start + length, count };
}

function decodeRecords(bytes: Buffer, count: number, name: TableName): Array<[TableKey, unknown]> {
  const records: Array<[TableKey, unknown]> = [];
  let offset = 0;
  const numeric = name !== 'meta' && name !== 'params' && name !== 'accounts';
  const bigintField = bigintFields[name];
  for (let i = 0; i < count; i++) {
    const end = bytes.indexOf(10, offset);
    if (end < 0) invalid(`table ${name}: record ${i} has no end`);
    if (end - offset > snapshotRecordBytesMax) invalid(`table ${name}: record ${i} is ${end - offset} bytes`);
    let entry: unknown;
    try {
      entry = JSON.parse(bytes.toString('utf8', offset, end));
    } catch (error) {
      invalid(`table ${name}: record ${i} is not JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(entry) || entry.length !== 2) invalid(`table ${name}: record ${i} is not a [key, value] pair`);
    const [key, value] = entry as [unknown, unknown];
    if (numeric ? !Number.isSafeInteger(key) : typeof key !== 'string') invalid(`table ${name}: record ${i} has a bad key`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(`table ${name}: record ${i} value is not an object`);
    if (bigintField !== undefined) {
      const record = value as Record<string, unknown>;
      const text = record[bigintField];
      if (typeof text !== 'string' || !/^[0-9]{1,40}$/.test(text)) invalid(`table ${name}: record ${i} ${bigintField} is not a decimal integer`);
      record[bigintField] = BigInt(text);
    }
    records.push([key as TableKey, value]);
    offset = end + 1;
  }
  if (offset !== bytes.length) invalid(`table ${name}: ${bytes.length - offset} bytes after its records`);
  return records;
}

function metaTime(records: Array<[TableKey, unknown]>): number {
  const meta = records.find(([key]) => key === 'meta')?.[1] as Meta | undefined;
  if (meta === undefined || !Number.isSafeInteger(meta.timestampMs)) invalid('meta entry missing');
  return meta.timestampMs;
}
