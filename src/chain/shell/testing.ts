// Test helpers for the shell, used before and beside the real core: a tiny deterministic state
// machine (accounts with nonces and a counter), a block sealer and checker with the seam's
// hashing rules, and signed-transaction builders. Not part of the public API.
import { TfgridError } from '../../base/index.ts';
import type { Identity} from '../../crypto/index.ts';
import { digestOf, fromHex, toHex, verifyEd25519 } from '../../crypto/index.ts';
import { ChainError } from '../errors.ts';
import { blockDomain, txDomain, type AppliedBlock, type Block, type BlockInput, type SignedTx, type StateMachine } from '../core/seam.ts';
import type { BlockCheck } from './block-store.ts';
import type { ChainCore } from './node.ts';
import type { ChainView } from './view.ts';

export const testGenesisHash = '00'.repeat(32);

export class ToyMachine implements StateMachine {
  height = 0;
  readonly nonces = new Map<string, number>();
  total = 0;

  static restore(bytes: Uint8Array): ToyMachine {
    const data = JSON.parse(Buffer.from(bytes).toString('utf8')) as { height: number; total: number; nonces: [string, number][] };
    const machine = new ToyMachine();
    machine.height = data.height;
    machine.total = data.total;
    for (const [k, v] of data.nonces) machine.nonces.set(k, v);
    return machine;
  }

  precheck(tx: SignedTx, pendingCount: number): TfgridError | undefined {
    const expected = (this.nonces.get(tx.signer) ?? 0) + pendingCount + 1;
    if (tx.nonce !== expected) return new TfgridError(ChainError.BAD_NONCE, `nonce ${tx.nonce}, expected ${expected}`);
    if (tx.type !== 'add') return new TfgridError(ChainError.UNKNOWN_TX_TYPE, tx.type);
    return undefined;
  }

  apply(block: BlockInput): AppliedBlock {
    this.height = block.height;
    const results = block.transactions.map((tx) => {
      const expected = (this.nonces.get(tx.signer) ?? 0) + 1;
      if (tx.nonce !== expected) return { ok: false as const, code: ChainError.BAD_NONCE, message: 'bad nonce' };
      this.nonces.set(tx.signer, expected);
      this.total += Number((tx.payload as { amount: number }).amount);
      return { ok: true as const };
    });
    return { results, events: block.transactions.map((tx) => ({ type: 'Added', signer: tx.signer })), stateRoot: this.stateRoot() };
  }

  stateRoot(): string {
    return toHex(digestOf('toy/state', { height: this.height, total: this.total, nonces: [...this.nonces].sort() }));
  }

  snapshot(): Uint8Array {
    return new Uint8Array(Buffer.from(JSON.stringify({ height: this.height, total: this.total, nonces: [...this.nonces] })));
  }
}

export function sealWith(sequencer: Identity): (input: BlockInput, applied: AppliedBlock, previousHash: string) => Block {
  return (input, applied, previousHash) => {
    const header = {
      version: 1 as const, height: input.height, previousHash, timestampMs: input.timestampMs, sequencer: sequencer.publicKeyHex,
      txRoot: toHex(digestOf('toy/txs', input.transactions)), resultsRoot: toHex(digestOf('toy/results', [applied.results, applied.events])), stateRoot: applied.stateRoot,
    };
    const hash = toHex(digestOf(blockDomain, header));
    return { ...header, transactions: input.transactions, results: applied.results, events: applied.events, hash, signature: toHex(sequencer.sign(fromHex(hash))) };
  };
}

/** The toy blocks' check, with the sequencer key pinned like the real core's checkBlock. */
export function toyCheck(sequencer: string): BlockCheck {
  return (block) => {
    const { transactions, results, events, hash, signature, ...header } = block;
    if (block.sequencer !== sequencer) return new TfgridError(ChainError.WRONG_SEQUENCER, `block ${block.height} is signed by ${block.sequencer}`);
    const bad = (why: string): TfgridError => new TfgridError(ChainError.BAD_BLOCK, `block ${block.height}: ${why}`);
    if (toHex(digestOf(blockDomain, header)) !== hash) return bad('hash mismatch');
    if (toHex(digestOf('toy/txs', transactions)) !== block.txRoot || toHex(digestOf('toy/results', [results, events])) !== block.resultsRoot) return bad('root mismatch');
    if (!verifyEd25519(fromHex(block.sequencer), fromHex(hash), fromHex(signature))) return bad('bad sequencer signature');
    return undefined;
  };
}

export function signedAdd(id: Identity, nonce: number, amount = 1): SignedTx {
  const body = { type: 'add', signer: id.publicKeyHex, nonce, payload: { amount } };
  return { ...body, signature: toHex(id.signValue(txDomain, body)) };
}

/** A ChainCore over the toy machine, for shell tests that do not need the real rules. */
export function toyCore(sequencer: Identity): ChainCore {
  const seal = sealWith(sequencer);
  return {
    genesisHash: testGenesisHash,
    sequencer: sequencer.publicKeyHex,
    genesis: () => new ToyMachine(),
    restore: (state) => ToyMachine.restore(state),
    check: toyCheck(sequencer.publicKeyHex),
    seal,
    view: (machine) => toyView(machine as ToyMachine),
  };
}

export function toyView(machine: ToyMachine): ChainView {
  const none = (): undefined => undefined;
  return {
    params: () => ({ toy: true, height: machine.height }),
    account: (address) => (machine.nonces.has(address) ? { address, nonce: machine.nonces.get(address), balance: 10n ** 20n } : undefined),
    twin: none, twinByAccount: none, farm: none, farmByName: none, node: none, nodeByTwin: none, contract: none, contractByNodeHash: none,
    list: (_kind, page) => ({ items: [...machine.nonces.keys()].slice(page.afterId, page.afterId + page.limit), nextAfterId: undefined }),
  };
}
