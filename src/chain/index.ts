// Public face of src/chain: the deterministic state machine (core) and, from the shell, the
// log, sequencer, RPC and client. Other components import only this file. Additive: append.
export { ChainError, type ChainErrorCode } from './errors.ts';
export * from './core/seam.ts';
export * from './core/entities.ts';
export { ChainMachine, type MachineOptions } from './core/machine.ts';
export { ChainQueries, accountView, contractView, listLimitMax, type AccountView, type ContractView, type ListFilter, type ListKind, type ListOptions, type ListPage } from './core/queries.ts';
export { genesisState, genesisSchema, genesisHash, genesisDomain, parseGenesis, productionParams, devnetParams, defaultPricingPolicy, type Genesis } from './core/genesis.ts';
export { encodeSnapshot, restoreState, snapshotVersion, SnapshotEncoder } from './core/snapshot.ts';
export { ChainState } from './core/state/state.ts';
export { buildTx, verifyTxSignature, txHash, checkEnvelope, txHashDomain, txPayloadBytesMax } from './core/tx/envelope.ts';
export { TxType, txKinds, type TxTypeName } from './core/tx/registry.ts';
export { blockHash, blockHeader, signBlock, verifyBlock, checkBlock, txRoot, resultsRoot, type BlockHeader } from './core/block.ts';
export { computeUnits, storageUnits, cloudUnits, resourcesCostUsdUnits, rentCostUsdUnits, nameCostUsdUnits, usdToTftUnits } from './core/billing/cost.ts';
// Shell (log, sequencer, RPC, node wiring) and the typed client.
export * from './shell/index.ts';
export { ChainClient, type ChainClientOptions, type TxPayloads, type Submitted, type Included, type Health, type SubmitOptions, type Subscription, type ListPageOf } from './client.ts';
