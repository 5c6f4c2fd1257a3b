// Public face of src/explorer: the indexer, the query API and the process that serves them with
// the web UI. Other components import only this file. Additive: append.
export { ExplorerError, type ExplorerErrorCode } from './errors.ts';
export { ExplorerStatus, nodeStatus, statusBounds, type ExplorerStatusName } from './core/status.ts';
export { freeResources, zosReservedMru, monthlyPriceUsd } from './core/resources.ts';
export { nodeQuerySchema, type NodeQuery } from './core/node-query.ts';
export { blockFacts, type BlockFacts, type Fact } from './core/facts.ts';
export { uptimeTimeline, type UptimeTimeline, type UptimeSegment } from './core/uptime.ts';
export { IndexStore, type ChainIdentity, type Head } from './shell/store.ts';
export { Indexer, indexerDefaults, type IndexerOptions, type IndexerStatus } from './shell/indexer.ts';
export { createApiApp, type ApiDeps } from './shell/api.ts';
export { busStatistics, statisticsCommand, nodeStatisticsSchema, type NodeStatistics, type StatisticsSource } from './shell/live-stats.ts';
export { startExplorer, type Explorer, type ExplorerOptions } from './shell/server.ts';
export { ensureWebBuilt, webDistDefault } from './shell/web-build.ts';
export type { NodeView, Page } from './shell/read-nodes.ts';
export type { FarmView, TwinView, ContractView, BillView } from './shell/read-lists.ts';
export type { StatsView } from './shell/read-stats.ts';
