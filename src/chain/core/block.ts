// Block header hashing, sealing and checking (the seam's Block). hash = hex digestOf(blockDomain,
// header) where the header is every field but transactions, results, events, hash and signature;
// txRoot commits to the transactions (their hashes, in order), resultsRoot to results and
// events; the sequencer signs the 32 hash bytes with Ed25519.
import { TfgridError } from '../../base/index.ts';
import { digestOf, fromHex, toHex, verifyEd25519, type Identity } from '../../crypto/index.ts';
import { ChainError } from '../errors.ts';
import { blockDomain, type AppliedBlock, type Address, type Block, type BlockHeader, type BlockInput, type ChainEvent, type SignedTx, type TxResult } from './seam.ts';
import { txHash } from './tx/envelope.ts';

export const txRootDomain = 'tfgrid/chain/txroot/v1';
export const resultsRootDomain = 'tfgrid/chain/resultsroot/v1';

export type { BlockHeader };

export function txRoot(transactions: readonly SignedTx[]): string {
  return toHex(digestOf(txRootDomain, transactions.map(txHash)));
}

export function resultsRoot(results: readonly TxResult[], events: readonly ChainEvent[]): string {
  return toHex(digestOf(resultsRootDomain, { results, events }));
}

export function blockHeader(block: Block): BlockHeader {
  const { version, height, previousHash, timestampMs, sequencer, txRoot, resultsRoot, stateRoot } = block;
  return { version, height, previousHash, timestampMs, sequencer, txRoot, resultsRoot, stateRoot };
}

export function blockHash(header: BlockHeader): string {
  return toHex(digestOf(blockDomain, header));
}

/** Seals an applied block: roots, hash, and the sequencer's signature over the hash. */
export function signBlock(sequencer: Identity, input: BlockInput & { readonly previousHash: string }, applied: AppliedBlock): Block {
  const header: BlockHeader = {
    version: 1,
    height: input.height,
    previousHash: input.previousHash,
    timestampMs: input.timestampMs,
    sequencer: sequencer.publicKeyHex,
    txRoot: txRoot(input.transactions),
    resultsRoot: resultsRoot(applied.results, applied.events),
    stateRoot: applied.stateRoot,
  };
  const hash = blockHash(header);
  return { ...header, transactions: input.transactions, results: applied.results, events: applied.events, hash, signature: toHex(sequencer.sign(fromHex(hash))) };
}

/**
 * Checks a block's roots, hash and signature by the key the block names (not its place in the
 * chain): the reason, or undefined. It does not pin the key — anyone can sign a well-formed
 * block — so everything that accepts blocks uses `checkBlock` with the genesis's sequencer.
 */
export function verifyBlock(block: Block): string | undefined {
  try {
    if (block.version !== 1) return `unknown block version ${String(block.version)}`;
    if (txRoot(block.transactions) !== block.txRoot) return 'txRoot does not match the transactions';
    if (resultsRoot(block.results, block.events) !== block.resultsRoot) return 'resultsRoot does not match the results and events';
    if (blockHash(blockHeader(block)) !== block.hash) return 'hash does not match the header';
    if (!verifyEd25519(fromHex(block.sequencer, 32, 'sequencer'), fromHex(block.hash, 32, 'hash'), fromHex(block.signature, 64, 'signature'))) return 'bad sequencer signature';
    return undefined;
  } catch (error) {
    return `malformed block: ${(error as Error).message}`;
  }
}

/**
 * The check every reader of blocks uses (log on open, replay, client, block feed): the block is
 * signed by `sequencer` (the genesis's key; CHAIN_WRONG_SEQUENCER otherwise) and its roots, hash
 * and signature hold (CHAIN_BAD_BLOCK otherwise). Not its place in the chain: callers check the
 * height and previousHash.
 */
export function checkBlock(block: Block, sequencer: Address): TfgridError | undefined {
  if (block.sequencer !== sequencer) {
    return new TfgridError(ChainError.WRONG_SEQUENCER, `block ${String(block.height)} is signed by ${String(block.sequencer)}, not by the chain's sequencer ${sequencer}`);
  }
  const problem = verifyBlock(block);
  return problem === undefined ? undefined : new TfgridError(ChainError.BAD_BLOCK, `block ${String(block.height)}: ${problem}`);
}
