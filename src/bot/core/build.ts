// From a deployment's spec and a placement to the Zero-OS workloads one node runs: volumes, zdbs,
// the network (this placement's /24 of the spec's ip_range) and the containers on it, each
// container at the next address (.2, .3, …). Pure: the shell signs and sends the result.
import type { Workload } from '../../zos/index.ts';
import { networkWorkload, type DeploymentSpec } from './spec.ts';

/** The n-th /24 of a 10.x.0.0/16 (n from 1 to 254; the caller keeps n unique per grid). */
export function subnetOf(ipRange: string, n: number): string {
  const octets = ipRange.split('/')[0]!.split('.');
  return `${octets[0]}.${octets[1]}.${((n - 1) % 254) + 1}.0/24`;
}

/** Container name → its address in the subnet, in spec order. */
export function containerIps(spec: DeploymentSpec, subnet: string): Record<string, string> {
  const base = subnet.split('/')[0]!.split('.').slice(0, 3).join('.');
  return Object.fromEntries(Object.keys(spec.containers).map((name, i) => [name, `${base}.${i + 2}`]));
}

/** The `ip` workload holding a container's public IP. */
export const publicIpWorkload = (container: string): string => `${container}_pub`;

/** `flists`: container name → the flist the node fetches (image names already resolved). */
export function buildWorkloads(spec: DeploymentSpec, options: { ipRange: string; subnet: string; flists: Record<string, string> }): Workload[] {
  const w = (name: string, type: Workload['type'], data: Workload['data']): Workload => ({ version: 0, name, type, data, metadata: '', description: '' });
  const ips = containerIps(spec, options.subnet);
  const workloads: Workload[] = [];
  for (const [name, v] of Object.entries(spec.volumes)) workloads.push(w(name, 'volume', { size: v.size }));
  for (const [name, z] of Object.entries(spec.zdbs)) workloads.push(w(name, 'zdb', { size: z.size, mode: z.mode, password: z.password, public: z.public }));
  const containers = Object.entries(spec.containers);
  if (containers.length > 0) workloads.push(w(networkWorkload, 'network', { ip_range: options.ipRange, subnet: options.subnet, peers: [] }));
  for (const [name, c] of containers) if (c.public_ip) workloads.push(w(publicIpWorkload(name), 'ip', { v4: true }));
  for (const [name, c] of containers) {
    workloads.push(w(name, 'container', {
      flist: options.flists[name] ?? c.flist ?? '',
      entrypoint: c.entrypoint,
      env: c.env,
      compute_capacity: { cpu: c.cpu, memory: c.memory },
      mounts: Object.entries(c.mounts).map(([volume, mountpoint]) => ({ volume, mountpoint })),
      network: { interfaces: [{ network: networkWorkload, ip: ips[name]! }], public_ip: c.public_ip ? publicIpWorkload(name) : '' },
    }));
  }
  return workloads;
}
