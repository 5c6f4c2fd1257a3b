// Public face of src/zstor: encrypted, erasure-coded storage dispersed over 0-db namespaces.
export { ZstorError, type ZstorErrorCode } from './errors.ts';
export { Zstor, type FileInfo, type ZstorStatus } from './zstor.ts';
export { loadConfig, parseConfig, type ZstorConfig, type BackendConfig } from './config.ts';
export type { ScrubReport } from './repair.ts';
export { segmentsInFlightMax, type Progress } from './store.ts';
export type { BackendHealth } from './backends.ts';
export { servicePass, runService, type PassSummary } from './service.ts';
export { ReedSolomon, bestKernel } from './rs/reed-solomon.ts';
export { tsKernel, type RsKernel } from './rs/kernel.ts';
export { createWasmKernel } from './rs/wasm-kernel.ts';
