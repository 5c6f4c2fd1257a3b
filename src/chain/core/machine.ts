// The deterministic state machine: (state, block) → (state, results, events, root). No clock,
// randomness or I/O; time is the block's timestamp. A transaction is checked in this order:
// envelope shape → signer's account → nonce → (signature, if asked) → the nonce is consumed →
// type → payload schema → handler. A handler that refuses leaves no trace but the nonce.
import { TfgridError, isTfgridError } from '../../base/index.ts';
import { ChainError } from '../errors.ts';
import { billDueContracts } from './billing/lifecycle.ts';
import { flagDownNodes } from './billing/uptime.ts';
import { genesisState } from './genesis.ts';
import { ChainQueries } from './queries.ts';
import type { AppliedBlock, BlockInput, ChainEvent, SignedTx, SnapshotSlices, StateMachine, TxResult } from './seam.ts';
import { SnapshotEncoder, encodeSnapshot, restoreState } from './snapshot.ts';
import type { ChainState } from './state/state.ts';
import type { TxContext, TxKind } from './tx/context.ts';
import { checkEnvelope, verifyTxSignature } from './tx/envelope.ts';
import { txKinds } from './tx/registry.ts';

export interface MachineOptions {
  /**
   * Check every transaction's signature in `apply` (CHAIN_BAD_SIGNATURE). The sequencer checks
   * them before inclusion (in worker threads) and replays trust the signed log, so off by default.
   */
  readonly verifySignatures?: boolean;
}

/** Result of the stateless part of the checks: the type and the parsed payload. */
interface Checked {
  readonly kind: TxKind;
  readonly payload: unknown;
}

function failure(error: TfgridError): TxResult {
  return { ok: false, code: error.code, message: error.message };
}

export class ChainMachine implements StateMachine {
  readonly state: ChainState;
  readonly query: ChainQueries;
  readonly #verifySignatures: boolean;

  constructor(state: ChainState, options: MachineOptions = {}) {
    this.state = state;
    this.query = new ChainQueries(state);
    this.#verifySignatures = options.verifySignatures ?? false;
  }

  static fromGenesis(genesis: unknown, options: MachineOptions = {}): ChainMachine {
    return new ChainMachine(genesisState(genesis), options);
  }

  /** Restores a `snapshot()`; throws CHAIN_SNAPSHOT_* when it is not one. */
  static restore(bytes: Uint8Array, options: MachineOptions = {}): ChainMachine {
    return new ChainMachine(restoreState(bytes), options);
  }

  get height(): number {
    return this.state.getMeta().height;
  }

  get timestampMs(): number {
    return this.state.getMeta().timestampMs;
  }

  precheck(tx: SignedTx, pendingCount: number): TfgridError | undefined {
    const envelope = checkEnvelope(tx);
    if (envelope !== undefined) return envelope;
    const account = this.state.accounts.get(tx.signer);
    if (account === undefined) return new TfgridError(ChainError.UNKNOWN_ACCOUNT, `account ${tx.signer} does not exist (fund it first)`);
    const expected = account.nonce + 1 + Math.max(0, Math.floor(pendingCount));
    if (tx.nonce !== expected) return new TfgridError(ChainError.BAD_NONCE, `nonce ${tx.nonce}, expected ${expected}`);
    const checked = this.#checkPayload(tx);
    if (checked instanceof TfgridError) return checked;
    // With earlier transactions of this signer pending, the state they will make is unknown
    // (a twin.create then a farm.create): only the stateless checks above apply.
    if (pendingCount > 0) return undefined;
    const nowMs = this.timestampMs;
    try {
      this.state.dryRun(() => checked.kind.handler(this.#context(tx, nowMs, () => {}), checked.payload));
      return undefined;
    } catch (error) {
      if (isTfgridError(error)) return error;
      throw error;
    }
  }

  apply(block: BlockInput): AppliedBlock {
    const meta = this.state.getMeta();
    if (block.height !== meta.height + 1) throw new TfgridError(ChainError.BAD_BLOCK, `block ${block.height} does not follow height ${meta.height}`);
    if (!Number.isSafeInteger(block.timestampMs) || block.timestampMs < meta.timestampMs) {
      throw new TfgridError(ChainError.BAD_BLOCK, `block ${block.height} time ${block.timestampMs} is before the last block's ${meta.timestampMs}`);
    }
    const nowMs = block.timestampMs;
    this.state.updateMeta({ height: block.height, timestampMs: nowMs });
    const events: ChainEvent[] = [];
    const results = block.transactions.map((tx) => this.#applyTx(tx, nowMs, events));
    const emit = (event: ChainEvent): void => void events.push(event);
    flagDownNodes(this.state, nowMs, emit);
    billDueContracts(this.state, nowMs, emit);
    return { results, events, stateRoot: this.state.root() };
  }

  stateRoot(): string {
    return this.state.root();
  }

  snapshot(): Uint8Array {
    return encodeSnapshot(this.state);
  }

  beginSnapshot(): SnapshotSlices {
    return new SnapshotEncoder(this.state);
  }

  #applyTx(tx: SignedTx, nowMs: number, events: ChainEvent[]): TxResult {
    const envelope = checkEnvelope(tx);
    if (envelope !== undefined) return failure(envelope);
    const account = this.state.accounts.get(tx.signer);
    if (account === undefined) return failure(new TfgridError(ChainError.UNKNOWN_ACCOUNT, `account ${tx.signer} does not exist`));
    if (tx.nonce !== account.nonce + 1) return failure(new TfgridError(ChainError.BAD_NONCE, `nonce ${tx.nonce}, expected ${account.nonce + 1}`));
    if (this.#verifySignatures && !verifyTxSignature(tx)) return failure(new TfgridError(ChainError.BAD_SIGNATURE, 'signature does not verify'));
    this.state.accounts.set(tx.signer, { ...account, nonce: tx.nonce });
    const checked = this.#checkPayload(tx);
    if (checked instanceof TfgridError) return failure(checked);
    const txEvents: ChainEvent[] = [];
    try {
      this.state.atomically(() => checked.kind.handler(this.#context(tx, nowMs, (event) => txEvents.push(event)), checked.payload));
    } catch (error) {
      if (isTfgridError(error)) return failure(error);
      throw error;
    }
    for (const event of txEvents) events.push(event);
    return { ok: true };
  }

  #checkPayload(tx: SignedTx): Checked | TfgridError {
    const kind = txKinds.get(tx.type);
    if (kind === undefined) return new TfgridError(ChainError.UNKNOWN_TX_TYPE, `no transaction type ${tx.type}`);
    const parsed = kind.schema.safeParse(tx.payload);
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');
      return new TfgridError(ChainError.INVALID_PAYLOAD, `${tx.type}: ${where}`);
    }
    return { kind, payload: parsed.data };
  }

  #context(tx: SignedTx, nowMs: number, emit: (event: ChainEvent) => void): TxContext {
    return { state: this.state, signer: tx.signer, nowMs, emit };
  }
}
