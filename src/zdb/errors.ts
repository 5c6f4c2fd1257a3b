// Stable error codes of the zdb component (client and server). Append only: programs match on
// these strings. Protocol faults found while decoding RESP are not thrown: the parsers return
// them as values (see `RespFault` in resp.ts) and the caller turns them into PROTOCOL_ERROR.
export const ZdbError = {
  /** The first connection to the server could not be opened (or its session set up). */
  CONNECT_FAILED: 'ZDB_CONNECT_FAILED',
  /** The connection dropped while the call was in flight: it may or may not have run. */
  CONNECTION_LOST: 'ZDB_CONNECTION_LOST',
  /** No reply within the call's timeout. */
  TIMEOUT: 'ZDB_TIMEOUT',
  /** The server replied with an error; the detail is the server's text. */
  SERVER_ERROR: 'ZDB_SERVER_ERROR',
  /** The peer sent bytes that are not valid RESP2, or a reply nobody asked for. */
  PROTOCOL_ERROR: 'ZDB_PROTOCOL_ERROR',
  /** A well-formed reply of a shape the command never returns. */
  UNEXPECTED_REPLY: 'ZDB_UNEXPECTED_REPLY',
  /** Too many calls pending (in flight or waiting for a connection). */
  QUEUE_FULL: 'ZDB_QUEUE_FULL',
  /** The client was closed. */
  CLOSED: 'ZDB_CLOSED',
  /** A caller passed a value the protocol cannot carry (e.g. a seq id out of range). */
  INVALID_ARGUMENT: 'ZDB_INVALID_ARGUMENT',
  /** A disk read or write of the storage engine failed (ENOSPC, EIO, short write...). */
  IO_FAILED: 'ZDB_IO_FAILED',
  /** Stored bytes failed validation (CRC, header/key mismatch): the engine refuses to serve them. */
  CORRUPT: 'ZDB_CORRUPT',
  /** A file has an unknown magic or version (not a 0-db v2 index/data/descriptor file). */
  FORMAT_UNSUPPORTED: 'ZDB_FORMAT_UNSUPPORTED',
  /** The `--hook` executable refused an event that must succeed (`ready`). */
  HOOK_FAILED: 'ZDB_HOOK_FAILED',
  /** The data or index directory is in use by another running server (its `.lockfile`). */
  LOCKED: 'ZDB_LOCKED',
} as const;
export type ZdbErrorCode = (typeof ZdbError)[keyof typeof ZdbError];
