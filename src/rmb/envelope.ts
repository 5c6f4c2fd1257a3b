// The envelope: what twins send each other through relays. Binary, length-prefixed, versioned;
// every length has a bound and the whole frame is at most envelopeBytesMax. The byte layout is in
// README.md. Append-only rule: version 1's layout never changes; a new layout is a new version
// with its own decoder.
//
// The authenticator is chosen by the version byte. Version 2 (`box`, the default): no signature;
// the payload is always a `box` from the source twin's static X25519 key to the destination's
// (also for errors and empty payloads) with the header as associated data, so a box that opens
// proves to the recipient that the source twin made this exact header and payload. A version 2
// error's code and message travel inside its box (private and authenticated), not in the header. Version 1
// (`sig`, still decoded and used where no box is possible): the signature is the source twin's Ed25519 signature over SHA-256(domain ‖ 0x00 ‖ every byte
// before the signature), so a relay can check who sent an envelope without reading its payload.
// The payload of requests and responses is a `box` (src/crypto) to the destination twin's
// encryption key with the header as associated data: a relay cannot move a payload to another
// envelope (another uid, command or twin) without the box failing to open.
import { TfgridError, isTfgridError } from '../base/index.ts';
import { box, randomBytesPooled, boxOverheadBytes, sha256, unbox, verifyEd25519, type Identity } from '../crypto/index.ts';
import { RmbError } from './errors.ts';

/** Newest version: 2, box-authenticated. Version 1 is signed (Ed25519). */
export const envelopeVersion = 2;
export const EnvelopeVersion = { sig: 1, box: 2 } as const;
/** How the recipient knows who made an envelope: an Ed25519 signature, or the payload box. */
export type Authenticator = keyof typeof EnvelopeVersion;
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
  /** Version 2: code and message are '' as decoded — they are in the box; `openAuthentic` reads them. */
  | { readonly type: 'error'; readonly reference: Uint8Array; readonly code: string; readonly message: string };

/** A version 2 envelope after its box opened: the full body and the plaintext (empty for errors). */
export interface Authentic {
  readonly body: Body;
  readonly payload: Uint8Array;
}

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
  readonly auth: Authenticator;
  /** Version 1 only; empty for box-authenticated envelopes. */
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
  return randomBytesPooled(uidLengthBytes);
}

export function uidHex(uid: Uint8Array): string {
  return Buffer.from(uid.buffer, uid.byteOffset, uid.byteLength).toString('hex');
}

/** The header (everything before the payload length) of `fields`; checks every bound. */
export function encodeHeader(fields: Omit<EnvelopeFields, 'payload'>, auth: Authenticator = 'box'): Uint8Array {
  checkFields(fields);
  const source = Buffer.from(fields.source.session, 'latin1');
  const destination = Buffer.from(fields.destination.session, 'latin1');
  const parts: Uint8Array[] = [];
  const fixed = Buffer.alloc(fixedHeaderBytes);
  fixed[0] = EnvelopeVersion[auth];
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
    if (body.type === 'error' && auth === 'sig') parts.push(encodeErrorText(body.code, body.message));
  }
  return Buffer.concat(parts);
}

/** code (1 + k) ‖ message (2 + m): in a version 1 header, or the plaintext of a version 2 error's box. */
function encodeErrorText(codeText: string, messageText: string): Buffer {
  const code = Buffer.from(codeText, 'latin1');
  const message = truncateUtf8(messageText, errorMessageBytesMax);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([Uint8Array.of(code.length), code, length, message]);
}

function readErrorText(reader: Reader): { code: string; message: string } {
  const code = reader.text(reader.u8(), codePattern, 'error code');
  const messageLength = reader.u16();
  if (messageLength > errorMessageBytesMax) throw malformed(`error message of ${messageLength} bytes exceeds ${errorMessageBytesMax}`);
  return { code, message: reader.utf8(messageLength) };
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
 * Builds an envelope. `box` (the default when the recipient's key is known): the payload — empty
 * for errors — is boxed to `recipientEncryptionKey` with the header as associated data, and that
 * box is the authenticator; an error's code and message are boxed (`plaintext` must be empty).
 * `sig` (version 1): signed; requests and responses are boxed when a key
 * is given, errors carry no payload.
 */
export function makeEnvelope(identity: Identity, fields: Omit<EnvelopeFields, 'payload'>, plaintext: Uint8Array, recipientEncryptionKey: Uint8Array | undefined, auth: Authenticator = recipientEncryptionKey === undefined ? 'sig' : 'box'): Uint8Array {
  const header = encodeHeader(fields, auth);
  if (auth === 'sig' && (fields.body.type === 'error' || recipientEncryptionKey === undefined)) return signEnvelope(identity, header, plaintext);
  if (recipientEncryptionKey === undefined) throw new TfgridError(RmbError.INVALID_ARGUMENT, 'a box-authenticated envelope needs the recipient\'s encryption key');
  if (plaintext.length > envelopeBytesMax) throw new TfgridError(RmbError.TOO_LARGE, `payload of ${plaintext.length} bytes exceeds ${envelopeBytesMax}`);
  const body = fields.body;
  const content = auth === 'box' && body.type === 'error' ? encodeErrorText(body.code, body.message) : plaintext;
  const boxed = box(identity, recipientEncryptionKey, content, header);
  return auth === 'sig' ? signEnvelope(identity, header, boxed) : frameEnvelope(header, boxed);
}

/** A version 2 frame: header, payload length, payload (a box), nothing after. */
export function frameEnvelope(header: Uint8Array, payload: Uint8Array): Uint8Array {
  const total = header.length + 4 + payload.length;
  if (total > envelopeBytesMax) throw new TfgridError(RmbError.TOO_LARGE, `envelope of ${total} bytes exceeds ${envelopeBytesMax}`);
  const frame = Buffer.allocUnsafe(total);
  frame.set(header, 0);
  frame.writeUInt32BE(payload.length, header.length);
  frame.set(payload, header.length + 4);
  return frame;
}

/**
 * Authenticates a box-authenticated envelope and returns its plaintext: RMB_NOT_AUTHENTIC when the
 * box does not open with the source twin's key (made by another key, changed, or moved).
 */
export function openAuthentic(identity: Identity, senderEncryptionKey: Uint8Array, envelope: Envelope): Authentic {
  let plaintext: Uint8Array;
  try {
    plaintext = unbox(identity, senderEncryptionKey, envelope.payload, envelope.header);
  } catch (cause) {
    throw new TfgridError(RmbError.NOT_AUTHENTIC, `envelope ${uidHex(envelope.uid)} is not boxed by twin ${envelope.source.twin}'s key: ${isTfgridError(cause) ? cause.code : 'error'}`, { cause });
  }
  const body = envelope.body;
  if (body.type !== 'error') return { body, payload: plaintext };
  try {
    const reader = new Reader(plaintext);
    const text = readErrorText(reader);
    if (!reader.atEnd()) throw malformed(`${reader.remaining()} bytes after the error message`);
    return { body: { type: 'error', reference: body.reference, ...text }, payload: new Uint8Array(0) };
  } catch (error) {
    if (isTfgridError(error)) throw error;
    throw new TfgridError(RmbError.MALFORMED, 'boxed error does not decode', { cause: error });
  }
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
  if (envelope.auth !== 'sig') return false;
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
    return decodeV1V2(new Reader(bytes));
  } catch (error) {
    if (isTfgridError(error)) throw error;
    throw new TfgridError(RmbError.MALFORMED, 'envelope does not decode', { cause: error });
  }
}

function decodeV1V2(reader: Reader): Envelope {
  const version = reader.u8();
  if (version !== EnvelopeVersion.sig && version !== EnvelopeVersion.box) throw malformed(`unsupported envelope version ${version}`);
  const auth: Authenticator = version === EnvelopeVersion.sig ? 'sig' : 'box';
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
    body = { type: 'error', reference, ...(auth === 'sig' ? readErrorText(reader) : { code: '', message: '' }) };
  } else throw malformed(`unknown envelope kind ${kind}`);
  const header = reader.bytesSoFar();
  const payload = reader.bytes(reader.u32());
  if (auth === 'box' && payload.length < boxOverheadBytes) throw malformed(`a box-authenticated envelope's payload of ${payload.length} bytes is shorter than a box`);
  const signature = auth === 'sig' ? reader.bytes(signatureLengthBytes) : new Uint8Array(0);
  if (!reader.atEnd()) throw malformed(`${reader.remaining()} bytes after the ${auth === 'sig' ? 'signature' : 'payload'}`);
  const fields: EnvelopeFields = { uid, timestampMs: timestamp, ttlMs, source: { twin: sourceTwin, session: sourceSession }, destination: { twin: destinationTwin, session: destinationSession }, body, payload };
  checkFields(fields, auth === 'box');
  return { ...fields, auth, signature, bytes: reader.buffer, header };
}

function checkFields(fields: Omit<EnvelopeFields, 'payload'>, errorTextBoxed = false): void {
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
  if (body.type === 'error' && !errorTextBoxed && !codePattern.test(body.code)) throw bad('error code must match [A-Z0-9_]{1,64}');
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
