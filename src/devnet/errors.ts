// Error codes of the devnet. Append only.
export const DevnetError = {
  /** A devnet from this directory is already running. */
  RUNNING: 'DEVNET_RUNNING',
  /** A component did not start or answer its health check. */
  START_FAILED: 'DEVNET_START_FAILED',
  /** The devnet's state file is damaged. */
  STATE: 'DEVNET_STATE',
  /** No devnet state in this directory. */
  NOT_RUNNING: 'DEVNET_NOT_RUNNING',
  /** A port the devnet needs already has a listener (another program, or another devnet). */
  PORT_IN_USE: 'DEVNET_PORT_IN_USE',
} as const;
export type DevnetErrorCode = (typeof DevnetError)[keyof typeof DevnetError];
