// ip: which of the contract's reserved public IPs this workload holds. The chain reserved them
// at contract creation and frees them when the contract ends, so there is nothing to make or
// remove on the host here; the container that names this workload attaches the address
// (container.ts). A restore keeps the address it had.
import { TfgridError } from '../../../base/index.ts';
import { resultString } from '../../core/results.ts';
import { ZosError } from '../../errors.ts';
import type { Manager } from './manager.ts';

export interface PublicIp {
  /** CIDR, e.g. 198.51.100.10/24. */
  readonly ip: string;
  readonly gateway: string;
}

export interface IpManagerOptions {
  /** The public IPs the chain reserved for a contract, in the chain's order. */
  reserved(contractId: number): Promise<PublicIp[]>;
}

export function ipManager(options: IpManagerOptions): Manager<'ip'> {
  return {
    async install(context, w) {
      const reserved = await options.reserved(context.contractId);
      const own = resultString(context.installed.get(w.name), 'ip');
      const taken = new Set([...context.installed.values()].filter((x) => x.type === 'ip' && x.name !== w.name).map((x) => resultString(x, 'ip')));
      const pick = reserved.find((r) => r.ip === own) ?? reserved.find((r) => !taken.has(r.ip));
      if (pick === undefined) throw new TfgridError(ZosError.CONTRACT_MISMATCH, `contract ${context.contractId} has no reserved public IP left for ${w.name} (${reserved.length} reserved)`);
      if (pick.gateway === '') throw new TfgridError(ZosError.CONTRACT_MISMATCH, `${pick.ip} is not among its farm's public IPs on the chain (no gateway known)`);
      return { ip: pick.ip, gateway: pick.gateway };
    },
    async remove() {
      // The chain frees the address with the contract; the container's veth went with the container.
    },
  };
}
