// Stable error codes of Zero-Stor. Append only: programs match on these strings.
export const ZstorError = {
  /** zstor.toml is not valid TOML, or a key is missing, unknown or out of range. */
  CONFIG_INVALID: 'ZSTOR_CONFIG_INVALID',
  /** A caller passed an argument the API cannot take (a path outside the root, shards out of range). */
  INVALID_ARGUMENT: 'ZSTOR_INVALID_ARGUMENT',
  /** No metadata for this path. */
  NOT_FOUND: 'ZSTOR_NOT_FOUND',
  /** The master (or metadata) key in the config is not the one the data was stored with. */
  WRONG_KEY: 'ZSTOR_WRONG_KEY',
  /** Fewer than `minimal_shards` intact shards of a segment could be read: the data is lost (or unreachable now). */
  SHARDS_LOST: 'ZSTOR_SHARDS_LOST',
  /** Stored bytes failed authentication after reconstruction (should be impossible with intact checksums). */
  CORRUPT: 'ZSTOR_CORRUPT',
  /** Fewer metadata shards than the quorum could be read (or agreed). */
  META_QUORUM_LOST: 'ZSTOR_META_QUORUM_LOST',
  /** Metadata could not be written to every metadata backend (writes need all of them, as in 0-stor). */
  META_WRITE_FAILED: 'ZSTOR_META_WRITE_FAILED',
  /** Metadata bytes do not decode (unknown version, bad length): a bug or tampering. */
  META_INVALID: 'ZSTOR_META_INVALID',
  /** No set of healthy backends with free space satisfies the redundancy policy. */
  PLACEMENT_IMPOSSIBLE: 'ZSTOR_PLACEMENT_IMPOSSIBLE',
  /** A shard or metadata value does not decode (bad header, wrong version). */
  SHARD_INVALID: 'ZSTOR_SHARD_INVALID',
  /** The file is larger than one metadata record can describe. */
  TOO_LARGE: 'ZSTOR_TOO_LARGE',
  /** Reading the input stream or writing the output failed. */
  IO_FAILED: 'ZSTOR_IO_FAILED',
  /** The store was closed. */
  CLOSED: 'ZSTOR_CLOSED',
} as const;
export type ZstorErrorCode = (typeof ZstorError)[keyof typeof ZstorError];
