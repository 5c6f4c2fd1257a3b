// network: a Linux bridge per network workload with the subnet's first address (the containers'
// gateway), NAT (MASQUERADE) for traffic leaving the subnet, and forwarding allowed from the
// bridge and back for established flows. Every iptables rule carries a comment naming the bridge
// so removal (and a sweep) finds exactly ours. Containers join with veths (container.ts).
import { TfgridError } from '../../../base/index.ts';
import { formatIp, gatewayOf, parseCidr } from '../../core/ipv4.ts';
import { ZosError } from '../../errors.ts';
import { run, runQuietly } from '../exec.ts';
import { interfaceName } from '../names.ts';
import type { InstallContext, Manager } from './manager.ts';

export interface NetworkManagerOptions {
  readonly prefix: string;
  /** Turn on IPv4 forwarding (needed for NAT to the outside); a node owns its host. */
  readonly forwarding: boolean;
}

export function bridgeName(prefix: string, context: Pick<InstallContext, 'contractId'>, name: string): string {
  return interfaceName(prefix, 'b', `${context.contractId}/${name}`);
}

/** The iptables rules of a bridge, as argument lists after `-t <table> -A|-D|-C`. */
export function bridgeRules(bridge: string, subnet: string): Array<{ table: string; rule: string[] }> {
  const tag = ['-m', 'comment', '--comment', `tfgrid:${bridge}`];
  return [
    { table: 'nat', rule: ['POSTROUTING', '-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE', ...tag] },
    { table: 'filter', rule: ['FORWARD', '-i', bridge, '-j', 'ACCEPT', ...tag] },
    { table: 'filter', rule: ['FORWARD', '-o', bridge, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT', ...tag] },
  ];
}

export async function linkExists(name: string): Promise<boolean> {
  return runQuietly('ip', ['link', 'show', 'dev', name]);
}

export function networkManager(options: NetworkManagerOptions): Manager<'network'> {
  return {
    async install(context, w) {
      const bridge = bridgeName(options.prefix, context, w.name);
      const subnet = parseCidr(w.data.subnet)!;
      const gateway = formatIp(gatewayOf(subnet));
      if (await linkExists(bridge)) {
        if (!context.restore) throw new TfgridError(ZosError.EXISTS, `bridge ${bridge} exists already`);
      } else {
        await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
        await run('ip', ['addr', 'add', `${gateway}/${subnet.prefix}`, 'dev', bridge]);
        await run('ip', ['link', 'set', bridge, 'up']);
      }
      for (const { table, rule } of bridgeRules(bridge, w.data.subnet)) {
        if (!(await runQuietly('iptables', ['-w', '-t', table, '-C', ...rule]))) await run('iptables', ['-w', '-t', table, '-A', ...rule]);
      }
      if (options.forwarding) await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      return { bridge, gateway, subnet: w.data.subnet };
    },
    async remove(context, w) {
      const bridge = bridgeName(options.prefix, context, w.name);
      for (const { table, rule } of bridgeRules(bridge, w.data.subnet)) {
        while (await runQuietly('iptables', ['-w', '-t', table, '-D', ...rule]));
      }
      await runQuietly('ip', ['link', 'del', bridge]);
    },
  };
}
