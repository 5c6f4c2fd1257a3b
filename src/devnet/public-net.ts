// The devnet's stand-in for a farm's public network (root only): a Linux bridge holding the
// farm's gateway address in a documentation range (RFC 5737, never routed on the internet), and
// the farm's public IPs in the same range registered on the chain. Nodes attach containers with a
// public IP to the bridge (`--public-bridge`), so they answer at that address from this host.
import { execFileSync } from 'node:child_process';
import type { ChainClient } from '../chain/index.ts';

export interface PublicNet {
  readonly bridge: string;
  /** e.g. 198.51.100.0/24: the gateway is .1, the farm's IPs .10 to .(9 + count). */
  readonly subnet: string;
}

export const publicIpsPerFarm = 10;

function ip(args: string[]): boolean {
  try {
    execFileSync('ip', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function addressesOf(net: PublicNet): { gateway: string; prefix: string; hosts: string[] } {
  const [base, prefix] = net.subnet.split('/') as [string, string];
  const head = base.split('.').slice(0, 3).join('.');
  return { gateway: `${head}.1`, prefix, hosts: Array.from({ length: publicIpsPerFarm }, (_, i) => `${head}.${10 + i}`) };
}

/** Makes the bridge (if missing) and registers the farm's IPs (those it lacks). */
export async function setUpPublicNet(net: PublicNet, farmer: ChainClient, farmId: number): Promise<void> {
  const { gateway, prefix, hosts } = addressesOf(net);
  if (!ip(['link', 'show', 'dev', net.bridge])) {
    execFileSync('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `${gateway}/${prefix}`, 'dev', net.bridge]);
  }
  execFileSync('ip', ['link', 'set', net.bridge, 'up']);
  const farm = await farmer.farm(farmId);
  for (const host of hosts) {
    const cidr = `${host}/${prefix}`;
    if (farm?.publicIps.some((p) => p.ip === cidr) !== true) await farmer.addFarmIp({ farmId, ip: cidr, gateway }, { wait: true, timeoutMs: 15_000 });
  }
}

export function tearDownPublicNet(net: PublicNet): void {
  ip(['link', 'del', net.bridge]);
}
