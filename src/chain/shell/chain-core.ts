// Binds the real core (src/chain/core) to the shell's ChainCore seam for one genesis document
// and one sequencer key. previousHash of block 1 is the genesis hash: hex digestOf(
// 'tfgrid/chain/genesis/v1', the genesis document), so a log made for another genesis is refused
// at its first block. Also makes the devnet genesis `tfgrid chain` writes on first run.
import type { Identity } from '../../crypto/index.ts';
import { digestOf, toHex } from '../../crypto/index.ts';
import { signBlock, verifyBlock } from '../core/block.ts';
import { defaultPricingPolicy, devnetParams, parseGenesis, type Genesis } from '../core/genesis.ts';
import { ChainMachine } from '../core/machine.ts';
import { tftUnits } from '../core/entities.ts';
import type { ChainCore } from './node.ts';
import type { ChainView } from './view.ts';

export const genesisDomain = 'tfgrid/chain/genesis/v1';

export function genesisHashOf(genesis: unknown): string {
  return toHex(digestOf(genesisDomain, genesis));
}

export function chainCore(options: { genesis: unknown; sequencer: Identity }): ChainCore {
  const { genesis, sequencer } = options;
  parseGenesis(genesis); // refuse a bad genesis before anything is opened
  return {
    genesisHash: genesisHashOf(genesis),
    genesis: () => ChainMachine.fromGenesis(genesis),
    restore: (state) => ChainMachine.restore(state),
    check: verifyBlock,
    seal: (input, applied, previousHash) => signBlock(sequencer, { ...input, previousHash }, applied),
    view: (machine) => machineView(machine as ChainMachine),
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

/** A devnet genesis: devnet timings, the default pricing policy, `funded` accounts with 1M TFT each. */
export function devnetGenesis(options: { admin: string; funded: readonly string[]; timestampMs: number; chainId?: string }): Genesis {
  const balance = (1_000_000n * tftUnits).toString();
  return {
    version: 1,
    chainId: options.chainId ?? 'tfgrid-devnet',
    timestampMs: options.timestampMs,
    params: { ...devnetParams, tftPriceUsdUnits: 100_000, defaultPricingPolicyId: defaultPricingPolicy.id, admin: options.admin, treasury: options.admin },
    pricingPolicies: [{ ...defaultPricingPolicy }],
    accounts: [...new Set([options.admin, ...options.funded])].map((address) => ({ address, balance })),
  };
}
