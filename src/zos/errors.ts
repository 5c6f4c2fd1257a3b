// Error codes of the Zero-OS node agent. Append only: 3Bots over the message bus, the CLI and
// tests compare these. Acceptance errors are returned to the caller and nothing is installed;
// install errors are recorded in the workload's result (state "error", message "CODE: detail").
export const ZosError = {
  /** A request, deployment or workload does not match its schema. */
  INVALID: 'ZOS_INVALID',
  /** A workload name is not `^[a-zA-Z0-9_]+$` of at most 36 characters, or is used twice. */
  INVALID_NAME: 'ZOS_INVALID_NAME',
  /** A workload refers to a missing workload, or one of the wrong type (mounts, networks). */
  INVALID_REFERENCE: 'ZOS_INVALID_REFERENCE',
  /** The deployment's hash is not the contract's deployment hash. */
  HASH_MISMATCH: 'ZOS_HASH_MISMATCH',
  /** A signature does not verify, the required weight is not met, or the owner did not sign. */
  BAD_SIGNATURE: 'ZOS_BAD_SIGNATURE',
  /** No contract with that id on the chain. */
  CONTRACT_NOT_FOUND: 'ZOS_CONTRACT_NOT_FOUND',
  /** The contract is not a node contract for this node, or not the deployment's twin's. */
  CONTRACT_MISMATCH: 'ZOS_CONTRACT_MISMATCH',
  /** The contract is not in state Created (grace period). */
  CONTRACT_NOT_CREATED: 'ZOS_CONTRACT_NOT_CREATED',
  /** The node lacks the free memory or storage, or a container asks for more cores than it has. */
  OVER_CAPACITY: 'ZOS_OVER_CAPACITY',
  /** The calling twin may not do this (not the deployment's twin; admin: not the farmer). */
  UNAUTHORIZED: 'ZOS_UNAUTHORIZED',
  /** No deployment (or workload) of that contract on this node. */
  NOT_FOUND: 'ZOS_NOT_FOUND',
  /** A deployment for that contract exists already (use update). */
  EXISTS: 'ZOS_EXISTS',
  /** An update's version is not above the current one, or a changed workload keeps its old version. */
  INVALID_VERSION: 'ZOS_INVALID_VERSION',
  /** A network's subnet overlaps another network on this node, or an address is taken. */
  NETWORK_CONFLICT: 'ZOS_NETWORK_CONFLICT',
  /** The container's flist could not be fetched or unpacked. */
  FLIST: 'ZOS_FLIST',
  /** The container exited during its start grace period. */
  CONTAINER_EXITED: 'ZOS_CONTAINER_EXITED',
  /** A system command (runc, ip, iptables, mount, mkfs) failed. */
  SYSTEM: 'ZOS_SYSTEM',
  /** A workload depends on a workload that failed. */
  DEPENDENCY_FAILED: 'ZOS_DEPENDENCY_FAILED',
  /** A program the node needs is missing (runc, ip, iptables, mkfs.ext4) or the node is not root. */
  MISSING_SYSTEM: 'ZOS_MISSING_SYSTEM',
  /** The node is not registered yet, or is shutting down. */
  NOT_READY: 'ZOS_NOT_READY',
  /** A storage-only node (run without root) takes zdb workloads only. */
  UNSUPPORTED: 'ZOS_UNSUPPORTED',
} as const;
export type ZosErrorCode = (typeof ZosError)[keyof typeof ZosError];
