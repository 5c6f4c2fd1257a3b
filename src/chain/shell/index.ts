// The shell's public face inside src/chain (the CLI and benchmarks import it through
// src/chain/index.ts): the block log, sequencer, RPC server and node wiring.
export { ChainShellError, type ChainShellErrorCode } from './errors.ts';
export type { BlockStore, BlockCheck } from './block-store.ts';
export { openFileLog, FileLog, type FileLogOptions } from './file-log.ts';
export { Sequencer, type SequencerOptions, type Inclusion, type Admission } from './sequencer.ts';
export { VerifyPool } from './verify-pool.ts';
export { startRpcServer, type RpcServer } from './rpc-server.ts';
export { createRpcApp } from './rpc.ts';
export { openChain, startChainNode, replay, type ChainCore, type ChainNode, type ChainNodeOptions, type OpenedChain } from './node.ts';
export { chainCore, devnetGenesis, machineView } from './chain-core.ts';
export type { ChainView } from './view.ts';
