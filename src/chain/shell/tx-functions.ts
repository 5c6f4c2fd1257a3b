// The transaction functions the shell needs from the core, in one place so that the worker
// threads and the sequencer agree.
export { txHash, verifyTxSignature } from '../core/tx/envelope.ts';
