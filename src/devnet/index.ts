// Public face of src/devnet: a whole grid on one machine.
export { DevnetError, type DevnetErrorCode } from './errors.ts';
export { devnetUp, devnetDown, devnetStatus, readState, devnetPassphrase, type DevnetOptions, type DevnetState, type DevnetComponent, type ComponentStatus } from './devnet.ts';
