// The seams of src/chain, fixed first so that the pure core (state machine) and the shell
// (log, sequencer, RPC) can be built apart. Field names are part of the wire and disk formats:
// append only; never rename or retype a field.
import type { TfgridError } from '../../base/index.ts';

/** Hex of a 32-byte Ed25519 public key: an account address. */
export type Address = string;

/** A transaction as submitted, stored and hashed (all fields JSON; bigints as decimal strings). */
export interface SignedTx {
  /** e.g. "transfer", "twin.create", "contract.node.create". */
  readonly type: string;
  /** The signer's Ed25519 public key, 64 hex digits. */
  readonly signer: Address;
  /** Per account, strictly increasing by one from 1. */
  readonly nonce: number;
  /** Type-specific; validated by the type's schema. */
  readonly payload: unknown;
  /** Ed25519 over digestOf(txDomain, { type, signer, nonce, payload }), 128 hex digits. */
  readonly signature: string;
}

export const txDomain = 'tfgrid/chain/tx/v1';
export const blockDomain = 'tfgrid/chain/block/v1';

/** Outcome of one transaction in a block (a tx that fails at apply time is included, its nonce used). */
export type TxResult = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

/** Something that happened, for subscribers and indexers. `type` is e.g. "ContractCreated". */
export interface ChainEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface BlockInput {
  readonly height: number;
  readonly timestampMs: number;
  readonly transactions: readonly SignedTx[];
}

export interface AppliedBlock {
  readonly results: readonly TxResult[];
  readonly events: readonly ChainEvent[];
  /** Commitment to the whole state after this block, 64 hex digits. */
  readonly stateRoot: string;
}

/** The hashed part of a block: every field except the lists, `hash` and `signature`. */
export interface BlockHeader {
  readonly version: 1;
  readonly height: number;
  readonly previousHash: string;
  readonly timestampMs: number;
  readonly sequencer: Address;
  readonly txRoot: string;
  readonly resultsRoot: string;
  readonly stateRoot: string;
}

/**
 * A block as logged and served. `hash` = hex SHA-256 digest (blockDomain) of the header: every
 * field except `transactions`, `results`, `events`, `hash` and `signature`, with `txRoot` and
 * `resultsRoot` committing to those lists. `signature` is the sequencer's over the hash bytes.
 */
export interface Block extends BlockHeader {
  readonly transactions: readonly SignedTx[];
  readonly results: readonly TxResult[];
  readonly events: readonly ChainEvent[];
  readonly hash: string;
  readonly signature: string;
}

/**
 * A snapshot encoded a slice at a time (see StateMachine.beginSnapshot): the state as it was when
 * it began, whatever is applied between the slices.
 */
export interface SnapshotSlices {
  /** The state root at the start: the snapshot's. */
  readonly stateRoot: string;
  /** Encodes about `bytesMax` more bytes; true when done. */
  step(bytesMax: number): boolean;
  /** The snapshot bytes, in order, once `step` answered true (their concatenation is `snapshot()`'s). */
  parts(): readonly Uint8Array[];
  /** Ends the view (finished or abandoned). */
  close(): void;
}

/** The deterministic state machine: no clock, randomness or I/O; time comes from the block. */
export interface StateMachine {
  /** Height of the last applied block (0 = genesis only). */
  readonly height: number;
  /**
   * Would `tx` be accepted on top of the current state, given `pendingCount` earlier txs of the
   * same signer already waiting for a block? Checks schema, nonce, existence, ownership, funds.
   * Signatures are checked by the caller (in worker threads). Returns the error, never throws.
   */
  precheck(tx: SignedTx, pendingCount: number): TfgridError | undefined;
  /** Applies a block's transactions in order, then the per-block work (billing, uptime status). */
  apply(block: BlockInput): AppliedBlock;
  stateRoot(): string;
  /** The whole state as bytes (versioned), and back: restore(snapshot()) has the same root. */
  snapshot(): Uint8Array;
  /** Optional: the same bytes, encoded in slices while blocks go on being applied. */
  beginSnapshot?(): SnapshotSlices;
}
