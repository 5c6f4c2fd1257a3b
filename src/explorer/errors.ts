// Error codes of the explorer (indexer and query API). Append only: API clients and tests
// compare these strings. Chain codes (CHAIN_*) pass through unchanged when the chain refuses.
export const ExplorerError = {
  /** A query parameter is unknown or its value is out of range (HTTP 400). */
  INVALID_QUERY: 'EXPLORER_INVALID_QUERY',
  /** No entity with that id in the index (HTTP 404). */
  NOT_FOUND: 'EXPLORER_NOT_FOUND',
  /** A verified block carries an event or payload the indexer cannot read: a chain/indexer version mismatch. */
  BAD_EVENT: 'EXPLORER_BAD_EVENT',
  /** The chain at the URL is not the one indexed (genesis, sequencer or a stored block hash differs). */
  CHAIN_MISMATCH: 'EXPLORER_CHAIN_MISMATCH',
  /** The index file was written by a newer or unknown schema version. */
  INDEX_UNSUPPORTED_VERSION: 'EXPLORER_INDEX_UNSUPPORTED_VERSION',
  /** Live statistics need the message bus: no peer is configured. */
  NO_BUS: 'EXPLORER_NO_BUS',
  /** The node did not answer over the message bus, or answered something unreadable. */
  NODE_UNREACHABLE: 'EXPLORER_NODE_UNREACHABLE',
  /** Indexing stopped on something unexpected (retried after a delay). */
  INDEX_FAILED: 'EXPLORER_INDEX_FAILED',
  /** The web UI is not built and could not be built (vite missing). */
  WEB_NOT_BUILT: 'EXPLORER_WEB_NOT_BUILT',
} as const;
export type ExplorerErrorCode = (typeof ExplorerError)[keyof typeof ExplorerError];
