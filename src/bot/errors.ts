// Error codes of the 3Bot. Append only: the CLI, scripts and tests compare these.
export const BotError = {
  /** grid.yaml is not the YAML subset we read (tabs, anchors, block strings…): line-numbered. */
  SPEC_SYNTAX: 'BOT_SPEC_SYNTAX',
  /** grid.yaml parsed but a field is missing, unknown or out of range: line-numbered. */
  SPEC_INVALID: 'BOT_SPEC_INVALID',
  /** No set of up nodes meets a deployment's requirements (the message says what ruled them out). */
  NO_CAPACITY: 'BOT_NO_CAPACITY',
  /** An image name is not on the hub, or no hub is configured to resolve it. */
  IMAGE_NOT_FOUND: 'BOT_IMAGE_NOT_FOUND',
  /** A workload ended in error or did not settle in time; the contracts made were rolled back. */
  DEPLOY_FAILED: 'BOT_DEPLOY_FAILED',
  /** A chain transaction was included with a failed result. */
  CHAIN_REFUSED: 'BOT_CHAIN_REFUSED',
  /** The identity has no twin on the chain (`tfgrid twin create --relay …` registers one). */
  NO_TWIN: 'BOT_NO_TWIN',
  /** No deployment of that name in the desired state. */
  NOT_FOUND: 'BOT_NOT_FOUND',
  /** A deployment of that name is already active (`tfgrid down <name>` first). */
  EXISTS: 'BOT_EXISTS',
  /** A stored desired-state record does not match its schema (written by a newer 3Bot?). */
  STATE_INVALID: 'BOT_STATE_INVALID',
  /** A node did not answer over the message bus. */
  NODE_UNREACHABLE: 'BOT_NODE_UNREACHABLE',
  /** The explorer answered with an error or something that is not its /nodes shape. */
  EXPLORER: 'BOT_EXPLORER',
  /** A node refused a deployment for a reason of its own (capacity, a storage-only node, a network clash): another node may take it. */
  NODE_REFUSED: 'BOT_NODE_REFUSED',
} as const;
export type BotErrorCode = (typeof BotError)[keyof typeof BotError];
