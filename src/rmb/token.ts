// The connection token: a twin proves to a relay that it holds the twin's key. Short-lived and
// bound to one session id; sent base64url in the `token` query parameter of the WebSocket URL
// (browsers cannot set WebSocket headers). Layout (big-endian):
//   0x01 | twin u32 | session length u8 | session | issuedAtMs u64 | expiresAtMs u64 | signature (64)
// signature = Ed25519(twin key, SHA-256("tfgrid/rmb/token/v1" ‖ 0x00 ‖ every byte before it)).
import { TfgridError } from '../base/index.ts';
import { sha256, verifyEd25519, type Identity } from '../crypto/index.ts';
import { RmbError } from './errors.ts';

export const tokenVersion = 1;
/** Longest validity a relay accepts (expiresAt − issuedAt). */
export const tokenLifetimeMsMax = 5 * 60_000;
export const tokenLifetimeMsDefault = 60_000;
const tokenClockSkewMs = 30_000;
const tokenBytesMax = 1 + 4 + 1 + 64 + 8 + 8 + 64;
const domain = Buffer.from('tfgrid/rmb/token/v1\0');
const sessionPattern = /^[A-Za-z0-9._-]{1,64}$/;

export interface Token {
  readonly twin: number;
  readonly session: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

export function makeToken(identity: Identity, token: Token): string {
  if (!sessionPattern.test(token.session)) throw new TfgridError(RmbError.INVALID_ARGUMENT, 'session must match [A-Za-z0-9._-]{1,64}');
  const session = Buffer.from(token.session, 'latin1');
  const body = Buffer.alloc(1 + 4 + 1 + session.length + 16);
  body[0] = tokenVersion;
  body.writeUInt32BE(token.twin, 1);
  body[5] = session.length;
  session.copy(body, 6);
  body.writeBigUInt64BE(BigInt(token.issuedAtMs), 6 + session.length);
  body.writeBigUInt64BE(BigInt(token.expiresAtMs), 14 + session.length);
  return Buffer.concat([body, identity.sign(sha256(Buffer.concat([domain, body])))]).toString('base64url');
}

/** Decodes and checks times (not the signature: that needs the phonebook). Throws RMB_UNAUTHORIZED. */
export function readToken(text: string, nowMs: number): Token & { readonly signed: Uint8Array; readonly signature: Uint8Array } {
  const bad = (why: string): TfgridError => new TfgridError(RmbError.UNAUTHORIZED, `token ${why}`);
  if (text.length > Math.ceil((tokenBytesMax * 4) / 3)) throw bad('too long');
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length < 6 || bytes[0] !== tokenVersion) throw bad('malformed or of an unknown version');
  const sessionLength = bytes[5]!;
  if (bytes.length !== 6 + sessionLength + 16 + 64) throw bad('has the wrong length');
  const session = bytes.subarray(6, 6 + sessionLength).toString('latin1');
  if (!sessionPattern.test(session)) throw bad('has a malformed session id');
  const issuedAt = bytes.readBigUInt64BE(6 + sessionLength);
  const expiresAt = bytes.readBigUInt64BE(14 + sessionLength);
  if (issuedAt > BigInt(Number.MAX_SAFE_INTEGER) || expiresAt > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('has times out of range');
  const token = { twin: bytes.readUInt32BE(1), session, issuedAtMs: Number(issuedAt), expiresAtMs: Number(expiresAt) };
  if (token.expiresAtMs <= token.issuedAtMs || token.expiresAtMs - token.issuedAtMs > tokenLifetimeMsMax) throw bad(`lifetime must be 1…${tokenLifetimeMsMax} ms`);
  if (token.expiresAtMs < nowMs) throw bad('expired');
  if (token.issuedAtMs > nowMs + tokenClockSkewMs) throw bad('issued in the future');
  const signedLength = 6 + sessionLength + 16;
  return { ...token, signed: bytes.subarray(0, signedLength), signature: bytes.subarray(signedLength) };
}

export function verifyToken(token: { signed: Uint8Array; signature: Uint8Array }, publicKey: Uint8Array): boolean {
  return verifyEd25519(publicKey, sha256(Buffer.concat([domain, token.signed])), token.signature);
}
