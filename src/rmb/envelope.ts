// The envelope: what twins send each other through relays. Binary, length-prefixed, versioned;
// every length has a bound and the whole frame is at most envelopeBytesMax. The byte layout is in
// README.md. Append-only rule: version 1's layout never changes; a new layout is a new version
// with its own decoder.
//
// The signature is the source twin's Ed25519 signature over SHA-256(domain ‖ 0x00 ‖ every byte
// before the signature), so a relay can check who sent an envelope without reading its payload.
// The payload of requests and responses is a `box` (src/crypto) to the destination twin's
// encryption key with the header as associated data: a relay cannot move a payload to another
// envelope (another uid, command or twin) without the box failing to open.
import { randomBytes } from 'node:crypto';
import { TfgridError, isTfgridError } from '../base/index.ts';
import { box, sha256, unbox, verifyEd25519, type Identity } from '../crypto/index.ts';
import { RmbError } from './errors.ts';

export const envelopeVersion = 1;
/** Largest encoded envelope, both directions, on peers and relays. */
export const envelopeBytesMax = 4 * 1024 * 1024;
export const uidLengthBytes = 16;
export const sessionLengthMax = 64;
export const commandLengthMax = 255;
export const errorCodeLengthMax = 64;
export const errorMessageBytesMax = 1024;
/** Longest time to live an envelope may ask for (a day). */
export const ttlMsMax = 24 * 60 * 60 * 1000;
/** How far ahead of our clock a timestamp may be before it counts as malformed. */
export const clockSkewMsMax = 60_000;
const signatureLengthBytes = 64;
const signatureDomain = Buffer.from('tfgrid/rmb/envelope/v1\0');
const fixedHeaderBytes = 1 + 1 + uidLengthBytes + 8 + 4 + 4 + 4;

export const EnvelopeKind = { request: 1, response: 2, error: 3 } as const;

export interface Address {
  readonly twin: number;
  /** Names one connection of the twin; '' means any. [A-Za-z0-9._-]{0,64}. */
  readonly session: string;
}

export type Body =
  | { readonly type: 'request'; readonly command: string }
  | { readonly type: 'response'; readonly reference: Uint8Array }
  | { readonly type: 'error'; readonly reference: Uint8Array; readonly code: string; readonly message: string };

export interface EnvelopeFields {
  readonly uid: Uint8Array;
  readonly timestampMs: number;
  readonly ttlMs: number;
  readonly source: Address;
  readonly destination: Address;
  readonly body: Body;
  readonly payload: Uint8Array;
}

export interface Envelope extends EnvelopeFields {
  readonly signature: Uint8Array;
  /** The whole frame as received (or made). */
  readonly bytes: Uint8Array;
  /** The bytes before the payload length: the payload box's associated data. */
  readonly header: Uint8Array;
}

const sessionPattern = /^[A-Za-z0-9._-]{0,64}$/;
const codePattern = /^[A-Z0-9_]{1,64}$/;
const commandPattern = /^[\x21-\x7e]{1,255}$/;

export function newUid(): Uint8Array {
  return new Uint8Array(randomBytes(uidLengthBytes));
}

export function uidHex(uid: Uint8Array): string {
  return Buffer.from(uid.buffer, uid.byteOffset, uid.byteLength).toString('hex');
}

/** The header (everything before the payload length) of `fields`; checks every bound. */
export function encodeHeader(fields: Omit<EnvelopeFields, 'payload'>): Uint8Array {
  checkFields(fields);
  const source = Buffer.from(fields.source.session, 'latin1');
  const destination = Buffer.from(fields.destination.session, 'latin1');
  const parts: Uint8Array[] = [];
  const fixed = Buffer.alloc(fixedHeaderBytes);
  fixed[0] = envelopeVersion;
  fixed[1] = EnvelopeKind[fields.body.type];
  fixed.set(fields.uid, 2);
  fixed.writeBigUInt64BE(BigInt(fields.timestampMs), 18);
  fixed.writeUInt32BE(fields.ttlMs, 26);
  fixed.writeUInt32BE(fields.source.twin, 30);
  fixed.writeUInt32BE(fields.destination.twin, 34);
  parts.push(fixed, Uint8Array.of(source.length), source, Uint8Array.of(destination.length), destination);
  const body = fields.body;
  if (body.type === 'request') {
    const command = Buffer.from(body.command, 'latin1');
    parts.push(Uint8Array.of(command.length), command);
  } else {
    parts.push(body.reference);
    if (body.type === 'error') {
      const code = Buffer.from(body.code, 'latin1');
      const message = truncateUtf8(body.message, errorMessageBytesMax);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      parts.push(Uint8Array.of(code.length), code, length, message);
    }
  }
  return Buffer.concat(parts);
}

/** A signed frame: header, payload length, payload (as given: already boxed or empty), signature. */
export function signEnvelope(identity: Identity, header: Uint8Array, payload: Uint8Array): Uint8Array {
  const total = header.length + 4 + payload.length + signatureLengthBytes;
  if (total > envelopeBytesMax) throw new TfgridError(RmbError.TOO_LARGE, `envelope of ${total} bytes exceeds ${envelopeBytesMax}`);
  const frame = Buffer.allocUnsafe(total);
  frame.set(header, 0);
  frame.writeUInt32BE(payload.length, header.length);
  frame.set(payload, header.length + 4);
  const signed = frame.subarray(0, total - signatureLengthBytes);
  frame.set(identity.sign(signingDigest(signed)), total - signatureLengthBytes);
  return frame;
}

/**
 * Builds a signed envelope; for requests and responses `plaintext` is boxed to
 * `recipientEncryptionKey` with the header as associated data. Errors carry no payload.
 */
export function makeEnvelope(identity: Identity, fields: Omit<EnvelopeFields, 'payload'>, plaintext: Uint8Array, recipientEncryptionKey: Uint8Array | undefined): Uint8Array {
  const header = encodeHeader(fields);
  if (fields.body.type === 'error' || recipientEncryptionKey === undefined) return signEnvelope(identity, header, plaintext);
  if (plaintext.length > envelopeBytesMax) throw new TfgridError(RmbError.TOO_LARGE, `payload of ${plaintext.length} bytes exceeds ${envelopeBytesMax}`);
  return signEnvelope(identity, header, box(identity, recipientEncryptionKey, plaintext, header));
}

/** Opens a request's or response's payload; RMB_TAMPERED when the box does not open. */
export function openPayload(identity: Identity, senderEncryptionKey: Uint8Array, envelope: Envelope): Uint8Array {
  try {
    return unbox(identity, senderEncryptionKey, envelope.payload, envelope.header);
  } catch (cause) {
    throw new TfgridError(RmbError.TAMPERED, `payload of ${uidHex(envelope.uid)} does not open: ${isTfgridError(cause) ? cause.code : 'error'}`, { cause });
  }
}

/** True when the envelope carries `publicKey`'s signature. */
export function verifyEnvelope(envelope: Envelope, publicKey: Uint8Array): boolean {
  const signed = envelope.bytes.subarray(0, envelope.bytes.length - signatureLengthBytes);
  return verifyEd25519(publicKey, signingDigest(signed), envelope.signature);
}

/** RMB_EXPIRED when the envelope's time is up or its timestamp lies too far ahead. */
export function checkFresh(envelope: Pick<EnvelopeFields, 'timestampMs' | 'ttlMs' | 'uid'>, nowMs: number): TfgridError | undefined {
  if (envelope.timestampMs + envelope.ttlMs < nowMs) return new TfgridError(RmbError.EXPIRED, `envelope ${uidHex(envelope.uid)} expired ${nowMs - envelope.timestampMs - envelope.ttlMs} ms ago`);
  if (envelope.timestampMs > nowMs + clockSkewMsMax) return new TfgridError(RmbError.EXPIRED, `envelope ${uidHex(envelope.uid)} is dated ${envelope.timestampMs - nowMs} ms in the future`);
  return undefined;
}

export function expiresAtMs(envelope: Pick<EnvelopeFields, 'timestampMs' | 'ttlMs'>): number {
  return envelope.timestampMs + envelope.ttlMs;
}

/** Decodes a frame. Throws only coded TfgridErrors (RMB_MALFORMED, RMB_TOO_LARGE), never anything else. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.length > envelopeBytesMax) throw new TfgridError(RmbError.TOO_LARGE, `envelope of ${bytes.length} bytes exceeds ${envelopeBytesMax}`);
  try {
    return decodeV1(new Reader(bytes));
  } catch (error) {
    if (isTfgridError(error)) throw error;
    throw new TfgridError(RmbError.MALFORMED, 'envelope does not decode', { cause: error });
  }
}

function decodeV1(reader: Reader): Envelope {
  const version = reader.u8();
  if (version !== envelopeVersion) throw malformed(`unsupported envelope version ${version}`);
  const kind = reader.u8();
  const uid = reader.bytes(uidLengthBytes);
  const timestamp = reader.u64();
  const ttlMs = reader.u32();
  const sourceTwin = reader.u32();
  const destinationTwin = reader.u32();
  const sourceSession = reader.text(reader.u8(), sessionPattern, 'source session');
  const destinationSession = reader.text(reader.u8(), sessionPattern, 'destination session');
  let body: Body;
  if (kind === EnvelopeKind.request) body = { type: 'request', command: reader.text(reader.u8(), commandPattern, 'command') };
  else if (kind === EnvelopeKind.response) body = { type: 'response', reference: reader.bytes(uidLengthBytes) };
  else if (kind === EnvelopeKind.error) {
    const reference = reader.bytes(uidLengthBytes);
    const code = reader.text(reader.u8(), codePattern, 'error code');
    const messageLength = reader.u16();
    if (messageLength > errorMessageBytesMax) throw malformed(`error message of ${messageLength} bytes exceeds ${errorMessageBytesMax}`);
    body = { type: 'error', reference, code, message: reader.utf8(messageLength) };
  } else throw malformed(`unknown envelope kind ${kind}`);
  const header = reader.bytesSoFar();
  const payload = reader.bytes(reader.u32());
  const signature = reader.bytes(signatureLengthBytes);
  if (!reader.atEnd()) throw malformed(`${reader.remaining()} bytes after the signature`);
  const fields: EnvelopeFields = { uid, timestampMs: timestamp, ttlMs, source: { twin: sourceTwin, session: sourceSession }, destination: { twin: destinationTwin, session: destinationSession }, body, payload };
  checkFields(fields);
  return { ...fields, signature, bytes: reader.buffer, header };
}

function checkFields(fields: Omit<EnvelopeFields, 'payload'>): void {
  const bad = (why: string): TfgridError => new TfgridError(RmbError.MALFORMED, why);
  if (fields.uid.length !== uidLengthBytes) throw bad(`uid must be ${uidLengthBytes} bytes`);
  if (!Number.isSafeInteger(fields.timestampMs) || fields.timestampMs < 0) throw bad('timestamp out of range');
  if (!Number.isInteger(fields.ttlMs) || fields.ttlMs < 1 || fields.ttlMs > ttlMsMax) throw bad(`ttl must be 1…${ttlMsMax} ms`);
  for (const address of [fields.source, fields.destination]) {
    if (!Number.isInteger(address.twin) || address.twin < 1 || address.twin > 0xffff_ffff) throw bad('twin id must be 1…2^32-1');
    if (!sessionPattern.test(address.session)) throw bad('session must match [A-Za-z0-9._-]{0,64}');
  }
  const body = fields.body;
  if (body.type === 'request' && !commandPattern.test(body.command)) throw bad('command must be 1…255 printable ASCII characters');
  if (body.type !== 'request' && body.reference.length !== uidLengthBytes) throw bad(`reference must be ${uidLengthBytes} bytes`);
  if (body.type === 'error' && !codePattern.test(body.code)) throw bad('error code must match [A-Z0-9_]{1,64}');
}

function signingDigest(signed: Uint8Array): Uint8Array {
  return sha256(Buffer.concat([signatureDomain, signed]));
}

function truncateUtf8(text: string, bytesMax: number): Buffer {
  let bytes = Buffer.from(text, 'utf8');
  // Cut on a character boundary so the decoder's strict UTF-8 check accepts it.
  while (bytes.length > bytesMax) bytes = Buffer.from(text = text.slice(0, Math.floor(text.length * 0.9)), 'utf8');
  return bytes;
}

function malformed(why: string): TfgridError {
  return new TfgridError(RmbError.MALFORMED, why);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A bounds-checked cursor: every read checks `end` first. */
class Reader {
  readonly buffer: Uint8Array;
  readonly #view: DataView;
  #offset = 0;
  #headerEnd = 0;

  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
    this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  #need(count: number): number {
    if (count > this.buffer.length - this.#offset) throw malformed(`truncated: ${count} bytes needed at offset ${this.#offset}, ${this.buffer.length - this.#offset} left`);
    const at = this.#offset;
    this.#offset += count;
    return at;
  }
  u8(): number { return this.#view.getUint8(this.#need(1)); }
  u16(): number { return this.#view.getUint16(this.#need(2)); }
  u32(): number { return this.#view.getUint32(this.#need(4)); }
  u64(): number {
    const value = this.#view.getBigUint64(this.#need(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('timestamp beyond 2^53');
    return Number(value);
  }
  bytes(count: number): Uint8Array {
    const at = this.#need(count);
    return this.buffer.subarray(at, at + count);
  }
  text(count: number, pattern: RegExp, what: string): string {
    const text = Buffer.from(this.bytes(count)).toString('latin1');
    if (!pattern.test(text)) throw malformed(`${what} has characters outside ${String(pattern)}`);
    return text;
  }
  utf8(count: number): string {
    try {
      return strictUtf8.decode(this.bytes(count));
    } catch (cause) {
      throw new TfgridError(RmbError.MALFORMED, 'error message is not UTF-8', { cause });
    }
  }
  bytesSoFar(): Uint8Array {
    this.#headerEnd = this.#offset;
    return this.buffer.subarray(0, this.#headerEnd);
  }
  atEnd(): boolean { return this.#offset === this.buffer.length; }
  remaining(): number { return this.buffer.length - this.#offset; }
}
