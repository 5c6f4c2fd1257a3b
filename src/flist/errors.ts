// Error codes of flists and the hub. Append only: the CLI, the hub's HTTP answers and tests compare these.
export const FlistError = {
  /** A request, option, route or store URL is malformed. */
  INVALID: 'FLIST_INVALID',
  /** The flist file is not a readable flist of a known version (truncated, corrupt, not SQLite). */
  CORRUPT: 'FLIST_CORRUPT',
  /** No route reaches a store holding the block (or every store that should hold it lost it). */
  BLOCK_MISSING: 'FLIST_BLOCK_MISSING',
  /** A block's bytes do not hash to its id, or do not decrypt with its key. */
  BLOCK_CORRUPT: 'FLIST_BLOCK_CORRUPT',
  /** A path would leave the target directory ('..', '/', an entry under a non-directory). */
  UNSAFE_PATH: 'FLIST_UNSAFE_PATH',
  /** Device files, or ownership other than our own, need root. */
  PRIVILEGED: 'FLIST_PRIVILEGED',
  /** A store could not be reached or refused a read or write. */
  STORE: 'FLIST_STORE',
  /** The source (directory, tarball, image) cannot be read or is not what it claims. */
  SOURCE: 'FLIST_SOURCE',
  /** The target directory exists and is not empty. */
  TARGET_NOT_EMPTY: 'FLIST_TARGET_NOT_EMPTY',
  /** The hub refused an upload: bad signature, stale or replayed request. */
  DENIED: 'FLIST_DENIED',
  /** The hub has no such flist or block. */
  NOT_FOUND: 'FLIST_NOT_FOUND',
} as const;

export type FlistErrorCode = (typeof FlistError)[keyof typeof FlistError];
