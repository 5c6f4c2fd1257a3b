// The seam between the sequencer and where blocks are kept. The embedded default is a local
// append-only file (file-log.ts); a replicated log (NATS JetStream, later) implements the same
// interface, and neither the sequencer nor the state machine changes. Rules every implementation
// keeps: heights are contiguous from 1; `append` resolves only once the block is durable (fsync,
// or a quorum's ack) and only then are subscribers called; a block handed out has passed its
// CRC, hash-chain and signature checks.
import type { TfgridError } from '../../base/index.ts';
import type { Block } from '../core/seam.ts';

export interface BlockStore {
  /** Height of the last durable block (0 = empty). */
  readonly height: number;
  /** Hash of the last durable block (`genesisHash` when empty). */
  readonly lastHash: string;
  /** Makes `block` durable at height + 1, then notifies subscribers. One append at a time. */
  append(block: Block): Promise<void>;
  /** The blocks from `height` (inclusive), up to `countMax` of them, oldest first. */
  readFrom(height: number, countMax: number): Promise<Block[]>;
  /** Calls `onBlock` for every block made durable from now on; returns the unsubscribe function. */
  subscribe(onBlock: (block: Block) => void): () => void;
  close(): Promise<void>;
}

/**
 * Checks a block's own roots, hash and signature against the pinned sequencer key (the core's
 * `checkBlock`); returns the coded error when bad (CHAIN_WRONG_SEQUENCER, CHAIN_BAD_BLOCK).
 */
export type BlockCheck = (block: Block) => TfgridError | undefined;
