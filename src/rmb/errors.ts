// Stable error codes of the message bus. Append-only: never rename or reuse a code.
export const RmbError = {
  /** A frame or token that does not decode: bad version, length out of bounds, trailing bytes. */
  MALFORMED: 'RMB_MALFORMED',
  /** Larger than envelopeBytesMax (or a field larger than its bound). */
  TOO_LARGE: 'RMB_TOO_LARGE',
  /** The signature does not match the source twin's key in the phonebook. */
  BAD_SIGNATURE: 'RMB_BAD_SIGNATURE',
  /** timestamp + ttl is in the past, or the timestamp is too far in the future. */
  EXPIRED: 'RMB_EXPIRED',
  /** The payload does not open: changed ciphertext, swapped between envelopes, wrong key. */
  TAMPERED: 'RMB_TAMPERED',
  /** The twin is not in the phonebook. */
  UNKNOWN_TWIN: 'RMB_UNKNOWN_TWIN',
  /** A connection token that is expired, badly signed, or for another twin. */
  UNAUTHORIZED: 'RMB_UNAUTHORIZED',
  /** The envelope's source is not the twin (or session) the connection authenticated as. */
  FORGED_SOURCE: 'RMB_FORGED_SOURCE',
  /** The destination is not connected and the relay fails fast, or no relay could take it. */
  UNREACHABLE: 'RMB_UNREACHABLE',
  /** The relay's queue for the destination (or in total) is full. */
  QUEUE_FULL: 'RMB_QUEUE_FULL',
  /** The source twin sent faster than its rate limit. */
  RATE_LIMITED: 'RMB_RATE_LIMITED',
  /** No response within the request's timeout (after its retries). */
  TIMEOUT: 'RMB_TIMEOUT',
  /** The remote handler threw; details carry its code and message. */
  REMOTE_ERROR: 'RMB_REMOTE_ERROR',
  /** The destination has no handler for the command. */
  UNKNOWN_COMMAND: 'RMB_UNKNOWN_COMMAND',
  /** The peer was closed. */
  CLOSED: 'RMB_CLOSED',
  /** An argument out of range (command name, session id, ttl). */
  INVALID_ARGUMENT: 'RMB_INVALID_ARGUMENT',
  /**
   * A box-authenticated envelope whose box does not open with the source twin's phonebook key
   * (made by another key, changed, moved to another header). Version 1's counterpart: BAD_SIGNATURE.
   */
  NOT_AUTHENTIC: 'RMB_NOT_AUTHENTIC',
  /**
   * The relay's queue file could not be read or written (disk full, I/O error): queued envelopes
   * are no longer durable; the relay goes on queueing in memory.
   */
  QUEUE_STORAGE: 'RMB_QUEUE_STORAGE',
  /** Another relay (a live process) holds this queue directory. */
  QUEUE_LOCKED: 'RMB_QUEUE_LOCKED',
} as const;
export type RmbErrorCode = (typeof RmbError)[keyof typeof RmbError];
