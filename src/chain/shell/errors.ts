// Error codes of the chain's shell (log, snapshots, sequencer, RPC). Append only: programs
// compare these strings. The state machine's own codes (bad nonce, funds…) live in ../errors.ts.
export const ChainShellError = {
  /** A log record in the middle of the file fails its CRC, hash chain or signature. */
  LOG_CORRUPT: 'CHAIN_LOG_CORRUPT',
  /** The log file starts with an unknown magic or version. */
  LOG_UNSUPPORTED_VERSION: 'CHAIN_LOG_UNSUPPORTED_VERSION',
  /** A snapshot file fails its checks (it is skipped; an older one or genesis is used). */
  SNAPSHOT_CORRUPT: 'CHAIN_SNAPSHOT_CORRUPT',
  /** Replaying a logged block gave another state root than the block records. */
  REPLAY_DIVERGED: 'CHAIN_REPLAY_DIVERGED',
  /** The mempool holds its maximum: retry later. */
  MEMPOOL_FULL: 'CHAIN_MEMPOOL_FULL',
  /** One signer has its maximum of transactions waiting. */
  SIGNER_PENDING_FULL: 'CHAIN_SIGNER_PENDING_FULL',
  /** The same transaction (same hash) is already pending or included. */
  DUPLICATE_TX: 'CHAIN_DUPLICATE_TX',
  /** A request does not match its schema (RPC input). */
  INVALID_REQUEST: 'CHAIN_INVALID_REQUEST',
  /** The request body exceeds the maximum size. */
  REQUEST_TOO_LARGE: 'CHAIN_REQUEST_TOO_LARGE',
  /** No such block, entity or route. */
  NOT_FOUND: 'CHAIN_NOT_FOUND',
  /** Waiting for inclusion took longer than asked. */
  WAIT_TIMEOUT: 'CHAIN_WAIT_TIMEOUT',
  /** The sequencer is stopping; nothing more is accepted. */
  STOPPING: 'CHAIN_STOPPING',
  /** The chain could not be reached (client side). */
  UNREACHABLE: 'CHAIN_UNREACHABLE',
} as const;
export type ChainShellErrorCode = (typeof ChainShellError)[keyof typeof ChainShellError];
