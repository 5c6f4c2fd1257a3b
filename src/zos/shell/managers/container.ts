// container: rootfs from the flist, a network namespace with a veth into each network's bridge,
// the OCI spec, then runc under supervision. Install failures remove what was made (the engine
// calls remove, which tolerates any half of it).
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TfgridError, type Logger } from '../../../base/index.ts';
import { formatIp, gatewayOf, parseCidr } from '../../core/ipv4.ts';
import { parseCommand } from '../../core/command.ts';
import { ociSpec, zdbEnv, type SiblingZdb } from '../../core/oci.ts';
import { resultString } from '../../core/results.ts';
import { ZosError } from '../../errors.ts';
import { run, runQuietly } from '../exec.ts';
import { interfaceName } from '../names.ts';
import { flistEntrypoint, localFlist, prepareRootfs, type RootfsOptions } from '../rootfs.ts';
import { ContainerProcess, readTail } from '../runc.ts';
import { resourceId, type InstallContext, type Manager, type WorkloadOf } from './manager.ts';
import { bridgeName } from './network.ts';
import { volumePaths } from './volume.ts';

export interface ContainerManagerOptions extends RootfsOptions {
  readonly prefix: string;
  readonly dir: string;
  readonly volumeDir: string;
  readonly runcRoot: string;
  readonly log: Logger;
  readonly startGraceMs?: number;
  /** The node's 0-db port when containers can reach it at their gateway (it listens on all addresses). */
  readonly zdbPort?: number;
  /** The bridge on the farm's public network, for containers with a public IP. */
  readonly publicBridge?: string;
}

/** Host-side veth of a container's public interface. */
const publicVeth = (prefix: string, id: string): string => interfaceName(prefix, 'v', `${id}/public`);

export interface ContainerManager extends Manager<'container'> {
  /** The tail of a container's stdout and stderr. */
  logs(context: Pick<InstallContext, 'contractId'>, name: string, bytesMax: number): string;
}

/** A locally administered unicast MAC (02:…) from a hash of `key`. */
export function macOf(key: string): string {
  const bytes = createHash('sha256').update(key).digest().subarray(0, 5);
  return ['02', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

async function joinNetworks(options: ContainerManagerOptions, context: InstallContext, id: string, w: WorkloadOf<'container'>): Promise<string[]> {
  await run('ip', ['netns', 'add', id]);
  await run('ip', ['-n', id, 'link', 'set', 'lo', 'up']);
  const ips: string[] = [];
  for (const [index, nic] of w.data.network.interfaces.entries()) {
    const network = context.installed.get(nic.network);
    if (network?.type !== 'network') throw new TfgridError(ZosError.INVALID_REFERENCE, `network ${nic.network} is not installed`);
    const subnet = parseCidr(network.data.subnet)!;
    const host = interfaceName(options.prefix, 'v', `${id}/${index}`);
    const peer = interfaceName(options.prefix, 'p', `${id}/${index}`);
    const inside = `eth${index}`;
    // The container side's MAC follows from its address: a container made again (update,
    // restart) answers at the MAC the host's neighbour cache already holds for that address.
    await run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'address', macOf(`${context.contractId}/${nic.network}/${nic.ip}`)]);
    await run('ip', ['link', 'set', peer, 'netns', id]);
    await run('ip', ['link', 'set', host, 'master', bridgeName(options.prefix, context, nic.network), 'up']);
    await run('ip', ['-n', id, 'link', 'set', peer, 'name', inside]);
    await run('ip', ['-n', id, 'addr', 'add', `${nic.ip}/${subnet.prefix}`, 'dev', inside]);
    await run('ip', ['-n', id, 'link', 'set', inside, 'up']);
    // With a public IP the default route goes out through the farm's gateway instead.
    if (index === 0 && w.data.network.public_ip === '') await run('ip', ['-n', id, 'route', 'add', 'default', 'via', formatIp(gatewayOf(subnet))]);
    ips.push(nic.ip);
  }
  if (w.data.network.public_ip !== '') ips.push(await joinPublic(options, context, id, w.data.network.public_ip));
  return ips;
}

/** A veth into the node's public bridge carrying the `ip` workload's address; returns the address. */
async function joinPublic(options: ContainerManagerOptions, context: InstallContext, id: string, ipWorkload: string): Promise<string> {
  const held = context.installed.get(ipWorkload);
  const data = held?.type === 'ip' ? { ip: resultString(held, 'ip'), gateway: resultString(held, 'gateway') } : undefined;
  if (data?.ip === undefined || data.gateway === undefined) throw new TfgridError(ZosError.INVALID_REFERENCE, `public IP ${ipWorkload} is not installed`);
  if (options.publicBridge === undefined) throw new TfgridError(ZosError.UNSUPPORTED, 'this node has no public bridge');
  const host = publicVeth(options.prefix, id);
  const peer = interfaceName(options.prefix, 'p', `${id}/public`);
  await run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'address', macOf(`${context.contractId}/public/${data.ip}`)]);
  await run('ip', ['link', 'set', peer, 'netns', id]);
  await run('ip', ['link', 'set', host, 'master', options.publicBridge, 'up']);
  await run('ip', ['-n', id, 'link', 'set', peer, 'name', 'pub0']);
  await run('ip', ['-n', id, 'addr', 'add', data.ip, 'dev', 'pub0']);
  await run('ip', ['-n', id, 'link', 'set', 'pub0', 'up']);
  await run('ip', ['-n', id, 'route', 'add', 'default', 'via', data.gateway]);
  return data.ip.split('/')[0]!;
}

/** The deployment's installed zdbs and, through the first network, where the container reaches them. */
function siblingZdbEnv(options: ContainerManagerOptions, context: InstallContext, w: WorkloadOf<'container'>): Record<string, string> {
  const first = w.data.network.interfaces[0];
  const network = first === undefined ? undefined : context.installed.get(first.network);
  if (options.zdbPort === undefined || network?.type !== 'network') return {};
  const zdbs: SiblingZdb[] = [];
  for (const sibling of context.installed.values()) {
    const namespace = sibling.type === 'zdb' ? resultString(sibling, 'namespace') : undefined;
    if (namespace !== undefined) zdbs.push({ name: sibling.name, namespace });
  }
  return zdbEnv(zdbs, formatIp(gatewayOf(parseCidr(network.data.subnet)!)), options.zdbPort);
}

export function containerManager(options: ContainerManagerOptions): ContainerManager {
  const running = new Map<string, ContainerProcess>();
  const bundleOf = (id: string): string => join(options.dir, id);
  const removeAll = async (id: string): Promise<void> => {
    const process = running.get(id);
    running.delete(id);
    if (process !== undefined) await process.stop();
    else await runQuietly('runc', ['--root', options.runcRoot, 'delete', '--force', id]);
    for (let index = 0; index < 4; index++) await runQuietly('ip', ['link', 'del', interfaceName(options.prefix, 'v', `${id}/${index}`)]);
    await runQuietly('ip', ['link', 'del', publicVeth(options.prefix, id)]);
    await runQuietly('ip', ['netns', 'del', id]);
  };
  return {
    async install(context, w) {
      const id = resourceId(options.prefix, context, w.name);
      const bundle = bundleOf(id);
      await removeAll(id); // a restore starts the container afresh; a new one finds nothing
      await mkdir(bundle, { recursive: true, mode: 0o700 });
      const flistPath = await localFlist(w.data.flist, options);
      const parsed = parseCommand(w.data.entrypoint === '' ? flistEntrypoint(flistPath) : w.data.entrypoint);
      if ('error' in parsed) throw new TfgridError(ZosError.INVALID, `container ${w.name}: the flist's entrypoint tag is not a command line: ${parsed.error}`);
      const args = parsed.args;
      if (args.length === 0) throw new TfgridError(ZosError.INVALID, `container ${w.name}: no entrypoint, and the flist has no entrypoint tag`);
      await prepareRootfs(w.data.flist, flistPath, join(bundle, 'rootfs'), options);
      const ips = await joinNetworks(options, context, id, w);
      const binds = w.data.mounts.map((m) => ({ source: volumePaths({ dir: options.volumeDir, prefix: options.prefix }, context, m.volume).mountpoint, target: m.mountpoint }));
      const spec = ociSpec({ hostname: w.name, args, data: w.data, binds, netnsPath: `/var/run/netns/${id}`, cgroupsPath: `/${id}`, nodeEnv: siblingZdbEnv(options, context, w) });
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
      const process = new ContainerProcess({ runcRoot: options.runcRoot, id, bundle, logPath: join(bundle, 'output.log'), log: options.log, ...(options.startGraceMs === undefined ? {} : { startGraceMs: options.startGraceMs }) });
      running.set(id, process);
      await process.start();
      return { id, ips };
    },
    async remove(context, w) {
      const id = resourceId(options.prefix, context, w.name);
      await removeAll(id);
      await rm(bundleOf(id), { recursive: true, force: true });
    },
    async stop(context, w) {
      const id = resourceId(options.prefix, context, w.name);
      await removeAll(id);
    },
    logs(context, name, bytesMax) {
      return readTail(join(bundleOf(resourceId(options.prefix, context, name)), 'output.log'), bytesMax);
    },
  };
}
