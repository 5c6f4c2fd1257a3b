// Binds the real core (src/chain/core) to the shell's ChainCore seam for one genesis document.
// previousHash of block 1 is the core's genesisHash, and every block must be signed by the
// sequencer key the genesis names (checkBlock), so a log made for another genesis or signed by
// another key is refused. Also makes the devnet genesis `tfgrid chain` writes on first run.
import { TfgridError, assert } from '../../base/index.ts';
import type { Identity } from '../../crypto/index.ts';
import { ChainError } from '../errors.ts';
import { checkBlock, signBlock } from '../core/block.ts';
import { defaultPricingPolicy, devnetParams, genesisHash, parseGenesis, type Genesis } from '../core/genesis.ts';
import { ChainMachine } from '../core/machine.ts';
import { tftUnits } from '../core/entities.ts';
import type { ChainCore } from './node.ts';
import type { ChainView } from './view.ts';

/**
 * `sequencer` is the identity that seals new blocks; it must be the genesis's sequencer
 * (CHAIN_WRONG_SEQUENCER otherwise). Without it the core only reads and checks (a replica, a
 * replay): sealing is then a programming error.
 */
export function chainCore(options: { genesis: unknown; sequencer?: Identity }): ChainCore {
  const { genesis, sequencer } = options;
  const pinned = parseGenesis(genesis).sequencer; // refuse a bad genesis before anything is opened
  if (sequencer !== undefined && sequencer.publicKeyHex !== pinned) {
    throw new TfgridError(ChainError.WRONG_SEQUENCER, `the genesis names sequencer key ${pinned}; this node would sign with ${sequencer.publicKeyHex}`, { details: { expected: pinned, actual: sequencer.publicKeyHex } });
  }
  const hash = genesisHash(genesis as Genesis);
  return {
    genesisHash: hash,
    sequencer: pinned,
    genesis: () => ChainMachine.fromGenesis(genesis),
    restore: (state) => ChainMachine.restore(state),
    check: (block) => checkBlock(block, pinned),
    seal: (input, applied, previousHash) => {
      assert(sequencer !== undefined, 'a core without a sequencer identity does not seal blocks');
      return signBlock(sequencer, { ...input, previousHash }, applied);
    },
    view: (machine) => {
      const view = machineView(machine as ChainMachine);
      return { ...view, params: () => ({ ...(view.params() as object), sequencer: pinned, genesisHash: hash }) };
    },
  };
}

export function machineView(machine: ChainMachine): ChainView {
  const q = machine.query;
  return {
    params: () => ({ ...q.params(), height: machine.height, timestampMs: machine.timestampMs, chainId: q.meta().chainId }),
    account: (address) => q.account(address),
    twin: (id) => q.twin(id),
    twinByAccount: (address) => q.twinByAccount(address),
    farm: (id) => q.farm(id),
    farmByName: (name) => q.farmByName(name),
    node: (id) => q.node(id),
    nodeByTwin: (twinId) => q.nodeByTwin(twinId),
    contract: (id) => q.contract(id),
    contractByNodeHash: (nodeId, hash) => q.contractByNodeHash(nodeId, hash),
    list: (kind, page) => q.list(kind, { afterId: page.afterId, limit: page.limit, filter: page.filter }),
  };
}

/** A devnet genesis: devnet timings, the default pricing policy, `sequencer`'s key pinned, `funded` accounts with 1M TFT each. */
export function devnetGenesis(options: { admin: string; sequencer: string; funded: readonly string[]; timestampMs: number; chainId?: string }): Genesis {
  const balance = (1_000_000n * tftUnits).toString();
  return {
    version: 1,
    chainId: options.chainId ?? 'tfgrid-devnet',
    sequencer: options.sequencer,
    timestampMs: options.timestampMs,
    params: { ...devnetParams, tftPriceUsdUnits: 100_000, defaultPricingPolicyId: defaultPricingPolicy.id, admin: options.admin, treasury: options.admin },
    pricingPolicies: [{ ...defaultPricingPolicy }],
    accounts: [...new Set([options.admin, ...options.funded])].map((address) => ({ address, balance })),
  };
}
