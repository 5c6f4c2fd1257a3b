// RESP2 shared vocabulary: byte values, decoded value types, protocol faults and default limits.

export const CR = 13;
export const LF = 10;
export const STAR = 42; // *
export const DOLLAR = 36; // $
export const PLUS = 43; // +
export const MINUS = 45; // -
export const COLON = 58; // :
export const ZERO = 48;
export const NINE = 57;
export const EMPTY = Buffer.alloc(0);

/** Why a peer's bytes were rejected. Stable: servers may map these to their own error texts. */
export const RespFault = {
  INVALID_MULTIBULK_LENGTH: 'INVALID_MULTIBULK_LENGTH',
  ARRAY_TOO_LONG: 'ARRAY_TOO_LONG',
  EXPECTED_BULK: 'EXPECTED_BULK',
  INVALID_BULK_LENGTH: 'INVALID_BULK_LENGTH',
  BULK_TOO_LARGE: 'BULK_TOO_LARGE',
  MISSING_CRLF: 'MISSING_CRLF',
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  INLINE_TOO_LONG: 'INLINE_TOO_LONG',
  UNBALANCED_QUOTES: 'UNBALANCED_QUOTES',
  INLINE_DISABLED: 'INLINE_DISABLED',
  INVALID_REPLY_TYPE: 'INVALID_REPLY_TYPE',
  INVALID_INTEGER: 'INVALID_INTEGER',
  LINE_TOO_LONG: 'LINE_TOO_LONG',
  NESTING_TOO_DEEP: 'NESTING_TOO_DEEP',
} as const;
export type RespFaultCode = (typeof RespFault)[keyof typeof RespFault];

/** A protocol violation. The parser that returned it is dead: reply and close the connection. */
export interface RespProtocolError {
  readonly type: 'error';
  readonly fault: RespFaultCode;
  /** Redis's wording where Redis has one ("Protocol error: invalid bulk length"). */
  readonly message: string;
}

/** An error reply (`-message`). A plain value, not an Error: parsing it is not a failure. */
export class RespError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** A decoded reply: simple string → string, bulk → Buffer, integer → number (bigint beyond
 *  2^53), null bulk and null array → null, error → RespError, array → array. */
export type RespReply = string | Buffer | number | bigint | null | RespError | RespReply[];
/** What RespWriter.value() encodes; the same mapping as RespReply (string is a SIMPLE string). */
export type RespValue = string | Uint8Array | number | bigint | null | RespError | readonly RespValue[];

export const respDefaults = {
  /** Redis's limit on a command's argument count. */
  arrayLengthMax: 1024 * 1024,
  /** 0-db values are at most 8 MiB; the slack covers keys and replies that wrap a value. */
  bulkBytesMax: 8 * 1024 * 1024 + 64 * 1024,
  /** Redis's PROTO_INLINE_MAX_SIZE; also bounds simple-string and error reply lines. */
  lineBytesMax: 64 * 1024,
  /** Replies nest arrays (0-db SCAN: 3 levels); anything deeper than this is hostile. */
  depthMax: 16,
} as const;


export function protocolError(fault: RespFaultCode, message: string): RespProtocolError {
  return { type: 'error', fault, message };
}

export function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
}
