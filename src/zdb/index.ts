// Public face of src/zdb: the 0-db v2.0.7-compatible storage engine and command layer, the server
// shell and the client. Other components import only this file.
export { ZdbError, type ZdbErrorCode } from './errors.ts';
export { Replies, type Reply } from './reply.ts';
export { openZdb, readCacheBytesDefault, Session, type Zdb, type ZdbOptions } from './commands/zdb.ts';
export type { Counters as ZdbCounters } from './commands/context.ts';
export { crc32c as zdbCrc32c } from './engine/crc32c.ts';
export { startZdbServer, type ZdbServer, type ZdbServerOptions, type CommandExecutor, type Peer } from './server/server.ts';
export * from './client.ts';
