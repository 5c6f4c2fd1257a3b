// The base layer's shared conventions: coded errors, assertions, structured logs, durable files.
export { TfgridError, isTfgridError, assert, type ErrorDetails } from './errors.ts';
export { createLogger, parseLogLevel, LogLevels, type Logger, type LogLevel, type LogFields, type LoggerOptions } from './log.ts';
export { tfgridHome } from './home.ts';
export { BufferRecycler } from './buffers.ts';
export { writeFileAtomic, writeFileSyncDurable, fsyncDir, fsyncDirSync, type WriteFileAtomicOptions } from './files.ts';
export { acquireDirLock, holderAlive, LOCK_FILE, type DirLock, type DirLockCodes, type LockRecord } from './dirlock.ts';
