// Public face of src/flist: the flist format, packing and unpacking, stores, the block cache and the hub.
export { FlistError, type FlistErrorCode } from './errors.ts';
export { Flist, flistFormat, writeFlist, type Route, type FlistInode, type FlistEntry } from './format.ts';
export { blockBytes, sealBlock, openBlock, blockMatches } from './blocks.ts';
export { BlockCache } from './cache.ts';
export { BlockRouter, DirStore, ZdbStore, HttpStore, openStore, parseRoute, redact, type BlockStore } from './stores.ts';
export { packDirectory, type PackOptions, type PackStats } from './pack.ts';
export { packArchive, isImageLayout } from './image.ts';
export { unpack, type UnpackOptions, type UnpackResult } from './unpack.ts';
export { inspectFlist, verifyFlist, type FlistSummary, type VerifyResult } from './inspect.ts';
export { startHub, signRequest, requestDigest, hubRequestDomain, type Hub, type HubOptions, type HubFlist } from './hub.ts';
export { pushFlist, listFlists, downloadFlist, type PushOptions } from './hub-client.ts';
export { buildReadyImages, findBusybox, type ReadyImage } from './images.ts';
