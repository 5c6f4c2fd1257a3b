// Opening a chain's data directory and running it: verify the log, load the newest snapshot that
// matches it, replay the rest (checking each block's state root), then sequence and serve.
// The core is injected (ChainCore) so this file never reaches into the state machine's insides.
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { TfgridError, assert, type Logger } from '../../base/index.ts';
import type { AppliedBlock, Block, BlockInput, StateMachine } from '../core/seam.ts';
import type { BlockCheck } from './block-store.ts';
import { ChainShellError } from './errors.ts';
import { openFileLog, type FileLog } from './file-log.ts';
import { startRpcServer, type RpcServer } from './rpc-server.ts';
import { Sequencer, type SequencerOptions } from './sequencer.ts';
import { listSnapshots, readSnapshot, writeSnapshot } from './snapshot.ts';
import { VerifyPool } from './verify-pool.ts';
import type { ChainView } from './view.ts';

export const snapshotIntervalBlocksDefault = 1_000;
/**
 * Bytes of snapshot encoded per event-loop turn: ~8 ms of work on this machine (p50; 1M
 * contracts: 800 MiB in ~630 slices), so blocks, admissions and reads go on in between.
 */
export const snapshotSliceBytes = 1 << 20;
const replayChunkBlocks = 256;

/** What the shell needs from the core, bound to one genesis and one sequencer key. */
export interface ChainCore {
  /** previousHash of block 1: the core's genesisHash(genesis). */
  readonly genesisHash: string;
  /** The sequencer key the genesis names: the only one whose blocks `check` accepts. */
  readonly sequencer: string;
  genesis(): StateMachine;
  restore(state: Uint8Array): StateMachine;
  /** A block's roots, hash and signature by `sequencer` (the core's checkBlock); the coded error when bad. */
  check: BlockCheck;
  seal(input: BlockInput, applied: AppliedBlock, previousHash: string): Block;
  view(machine: StateMachine): ChainView;
}

export interface OpenedChain {
  machine: StateMachine;
  store: FileLog;
  /** Height the state was restored from (0 = genesis). */
  snapshotHeight: number;
}

export async function openChain(options: { dataDir: string; core: ChainCore; fsync?: boolean; log?: Logger }): Promise<OpenedChain> {
  const { dataDir, core, log } = options;
  const store = await openFileLog({ path: join(dataDir, 'blocks.log'), genesisHash: core.genesisHash, check: core.check, fsync: options.fsync, log });
  try {
    const { machine, height } = await restoreNewest(dataDir, store, core, log);
    for (let from = height + 1; from <= store.height; from += replayChunkBlocks) {
      for (const block of await store.readFrom(from, replayChunkBlocks)) replay(machine, block);
    }
    log?.info('chain opened', { height: store.height, snapshotHeight: height, stateRoot: machine.stateRoot() });
    return { machine, store, snapshotHeight: height };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Applies a logged block and checks it gives the root the block records. */
export function replay(machine: StateMachine, block: Block): void {
  const applied = machine.apply({ height: block.height, timestampMs: block.timestampMs, transactions: block.transactions });
  if (applied.stateRoot !== block.stateRoot) {
    throw new TfgridError(ChainShellError.REPLAY_DIVERGED, `block ${block.height}: replay gives state root ${applied.stateRoot}, the block records ${block.stateRoot}`);
  }
}

async function restoreNewest(dataDir: string, store: FileLog, core: ChainCore, log?: Logger): Promise<{ machine: StateMachine; height: number }> {
  for (const height of await listSnapshots(dataDir)) {
    try {
      if (height > store.height) throw new TfgridError(ChainShellError.SNAPSHOT_CORRUPT, `snapshot at ${height} is past the log's end (${store.height})`);
      const { meta, state } = await readSnapshot(dataDir, height);
      const block = (await store.readFrom(height, 1))[0];
      if (block?.hash !== meta.blockHash || block.stateRoot !== meta.stateRoot) throw new TfgridError(ChainShellError.SNAPSHOT_CORRUPT, `snapshot at ${height} does not match the log's block`);
      const machine = core.restore(state);
      if (machine.height !== height || machine.stateRoot() !== meta.stateRoot) throw new TfgridError(ChainShellError.SNAPSHOT_CORRUPT, `snapshot at ${height} restores to another state root`);
      return { machine, height };
    } catch (error) {
      log?.warn('snapshot skipped', { height, error: error instanceof TfgridError ? error.toJSON() : String(error) });
    }
  }
  return { machine: core.genesis(), height: 0 };
}

export interface ChainNodeOptions {
  dataDir: string;
  core: ChainCore;
  host: string;
  port: number;
  blockIntervalMs?: number;
  idleBlockIntervalMs?: number;
  txsPerBlockMax?: number;
  mempoolTxsMax?: number;
  signerTxsMax?: number;
  snapshotIntervalBlocks?: number;
  verifyWorkers?: number;
  fsync?: boolean;
  log?: Logger;
}

export interface ChainNode {
  readonly rpc: RpcServer;
  readonly sequencer: Sequencer;
  readonly opened: OpenedChain;
  close(): Promise<void>;
}

export async function startChainNode(options: ChainNodeOptions): Promise<ChainNode> {
  const opened = await openChain(options);
  const { machine, store } = opened;
  const pool = new VerifyPool({ workers: options.verifyWorkers });
  const snapshotEvery = options.snapshotIntervalBlocks ?? snapshotIntervalBlocksDefault;
  const snapshots = new SnapshotTaker(machine, options.dataDir, options.log);
  const sequencerOptions: SequencerOptions = {
    machine, store, pool, seal: (input, applied, previousHash) => options.core.seal(input, applied, previousHash),
    blockIntervalMs: options.blockIntervalMs, idleBlockIntervalMs: options.idleBlockIntervalMs, txsPerBlockMax: options.txsPerBlockMax,
    mempoolTxsMax: options.mempoolTxsMax, signerTxsMax: options.signerTxsMax, log: options.log,
    afterBlock: (block) => {
      // Begins now (the state is this block's) and runs in slices between the next blocks.
      if (snapshotEvery > 0 && block.height % snapshotEvery === 0) snapshots.begin(block);
      return Promise.resolve();
    },
  };
  const sequencer = new Sequencer(sequencerOptions);
  sequencer.resumeAfter((await store.readFrom(store.height, 1))[0]);
  const rpc = await startRpcServer({ host: options.host, port: options.port, sequencer, store, view: options.core.view(machine), log: options.log });
  sequencer.start();
  return {
    rpc, sequencer, opened,
    close: async () => {
      await sequencer.stop();
      await snapshots.stop();
      await rpc.close();
      await pool.close();
      await store.close();
    },
  };
}

/**
 * Periodic snapshots that do not stop the chain: the machine's `beginSnapshot` freezes the state
 * (copy-on-write) at the block just made durable, then the encoding runs `snapshotSliceBytes` per
 * event-loop turn while the sequencer keeps making blocks; the file is written asynchronously.
 * One at a time: a snapshot due while the last is still being written is skipped (the next
 * interval takes one). A machine without `beginSnapshot` is snapshotted at once.
 */
class SnapshotTaker {
  readonly #machine: StateMachine;
  readonly #dataDir: string;
  readonly #log: Logger | undefined;
  #running: Promise<void> | undefined;
  #stopping = false;

  constructor(machine: StateMachine, dataDir: string, log?: Logger) {
    this.#machine = machine;
    this.#dataDir = dataDir;
    this.#log = log;
  }

  begin(block: Block): void {
    if (this.#stopping) return;
    if (this.#running !== undefined) {
      this.#log?.warn('snapshot skipped: the previous one is still being written', { height: block.height });
      return;
    }
    this.#running = this.#take(block)
      .catch((error: unknown) => this.#log?.error('snapshot failed', { height: block.height, error: error instanceof TfgridError ? error.toJSON() : String(error) }))
      .finally(() => (this.#running = undefined));
  }

  /** Abandons a snapshot in progress (at its next slice) and waits for it to let go. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#running;
  }

  async #take(block: Block): Promise<void> {
    const meta = { height: block.height, blockHash: block.hash, stateRoot: block.stateRoot };
    if (this.#machine.beginSnapshot === undefined) return writeSnapshot(this.#dataDir, meta, [this.#machine.snapshot()], this.#log);
    const startMs = performance.now();
    const slices = this.#machine.beginSnapshot();
    try {
      assert(slices.stateRoot === block.stateRoot, 'a snapshot begins at the block just made durable');
      let turns = 0;
      while (!slices.step(snapshotSliceBytes)) {
        await setImmediate();
        turns++;
        if (this.#stopping) return;
      }
      this.#log?.debug('snapshot encoded', { height: block.height, turns, ms: Math.round(performance.now() - startMs) });
      await writeSnapshot(this.#dataDir, meta, slices.parts(), this.#log);
    } finally {
      slices.close();
    }
  }
}
