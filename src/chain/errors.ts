// Error codes of the chain's state machine: why a transaction or a block was refused. Append
// only: clients, the RPC and tests compare these strings. The shell's codes (log, mempool, RPC)
// live in shell/errors.ts.
export const ChainError = {
  /** The transaction envelope is malformed (fields, hex lengths, nonce range, size). */
  INVALID_TX: 'CHAIN_INVALID_TX',
  /** The signature does not verify over the transaction (checked when the machine is asked to). */
  BAD_SIGNATURE: 'CHAIN_BAD_SIGNATURE',
  /** The nonce is not the signer's next one (a replay or out of order). */
  BAD_NONCE: 'CHAIN_BAD_NONCE',
  /** No transaction type of that name. */
  UNKNOWN_TX_TYPE: 'CHAIN_UNKNOWN_TX_TYPE',
  /** The payload does not match its type's schema. */
  INVALID_PAYLOAD: 'CHAIN_INVALID_PAYLOAD',
  /** The signer's account has never been funded. */
  UNKNOWN_ACCOUNT: 'CHAIN_UNKNOWN_ACCOUNT',
  UNKNOWN_TWIN: 'CHAIN_UNKNOWN_TWIN',
  UNKNOWN_FARM: 'CHAIN_UNKNOWN_FARM',
  UNKNOWN_NODE: 'CHAIN_UNKNOWN_NODE',
  UNKNOWN_CONTRACT: 'CHAIN_UNKNOWN_CONTRACT',
  UNKNOWN_PRICING_POLICY: 'CHAIN_UNKNOWN_PRICING_POLICY',
  UNKNOWN_IP: 'CHAIN_UNKNOWN_IP',
  INSUFFICIENT_FUNDS: 'CHAIN_INSUFFICIENT_FUNDS',
  /** A farm name, contract name or public IP already taken. */
  DUPLICATE_NAME: 'CHAIN_DUPLICATE_NAME',
  /** The account already has a twin, or the twin already has a node. */
  ALREADY_EXISTS: 'CHAIN_ALREADY_EXISTS',
  /** A node contract with this (node, deployment hash) exists. */
  DUPLICATE_DEPLOYMENT: 'CHAIN_DUPLICATE_DEPLOYMENT',
  /** The signer does not own the entity (farm, node, contract) it acts on. */
  NOT_OWNER: 'CHAIN_NOT_OWNER',
  /** Only the chain's admin account may do this (pricing policies, parameters). */
  NOT_ADMIN: 'CHAIN_NOT_ADMIN',
  /** The node is rented by another twin, or already rented. */
  NODE_RENTED: 'CHAIN_NODE_RENTED',
  /** The node has active contracts of other twins (renting) or of the renter (canceling a rent). */
  NODE_HAS_CONTRACTS: 'CHAIN_NODE_HAS_CONTRACTS',
  /** The farm has fewer free public IPs than asked. */
  NO_FREE_IP: 'CHAIN_NO_FREE_IP',
  /** The public IP is reserved by a contract. */
  IP_IN_USE: 'CHAIN_IP_IN_USE',
  /** The contract is not of the kind or state the transaction needs. */
  INVALID_CONTRACT_STATE: 'CHAIN_INVALID_CONTRACT_STATE',
  /**
   * A block does not follow the last one (height, timestamp going back), or fails its own checks
   * (tx root, results root, header hash, signature; `checkBlock`).
   */
  BAD_BLOCK: 'CHAIN_BAD_BLOCK',
  /** A snapshot has an unknown magic or version. */
  SNAPSHOT_UNSUPPORTED_VERSION: 'CHAIN_SNAPSHOT_UNSUPPORTED_VERSION',
  /** A snapshot is truncated, malformed, or its contents do not give its recorded root. */
  SNAPSHOT_INVALID: 'CHAIN_SNAPSHOT_INVALID',
  /** The genesis file does not match its schema. */
  INVALID_GENESIS: 'CHAIN_INVALID_GENESIS',
  /**
   * A block is signed by another key than the sequencer the genesis names, or a sequencer was
   * started with another identity than the genesis's.
   */
  WRONG_SEQUENCER: 'CHAIN_WRONG_SEQUENCER',
} as const;
export type ChainErrorCode = (typeof ChainError)[keyof typeof ChainError];
