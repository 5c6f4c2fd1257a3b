// The OCI runtime spec (config.json) of a container workload (pure): runc's default spec, the
// workload's command, environment and limits, its volume mounts and its network namespace.
// CPU: `cpu` cores as a CFS quota (cpu × 100 ms per 100 ms period); memory: a hard limit with no
// extra swap.
import type { ContainerData } from './types/container.ts';

export const cfsPeriodUs = 100_000;
const capabilities = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN', 'CAP_SETUID', 'CAP_SETGID', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER'];
const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface OciInput {
  readonly hostname: string;
  /** argv: the entrypoint split into words (core/command.ts). */
  readonly args: readonly string[];
  readonly data: ContainerData;
  /** Host directories of the mounted volumes, by mountpoint. */
  readonly binds: ReadonlyArray<{ source: string; target: string }>;
  /** /var/run/netns/<name>, or undefined for a container without networks (own empty netns). */
  readonly netnsPath: string | undefined;
  readonly cgroupsPath: string;
  /** Set by the node before the workload's own env (which wins): where sibling zdbs are. */
  readonly nodeEnv?: Readonly<Record<string, string>>;
}

/** What a container learns of a zdb of its own deployment, named after the workload. */
export interface SiblingZdb {
  readonly name: string;
  readonly namespace: string;
}

/**
 * ZDB_<NAME>_HOST/_PORT/_NAMESPACE for each zdb of the container's deployment: the node's 0-db
 * at the container's gateway (the node's address on the bridge). The password is not given: the
 * owner wrote it in the spec, and may pass it in `env`.
 */
export function zdbEnv(zdbs: readonly SiblingZdb[], gateway: string, port: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const zdb of zdbs) {
    const prefix = `ZDB_${zdb.name.toUpperCase()}`;
    env[`${prefix}_HOST`] = gateway;
    env[`${prefix}_PORT`] = String(port);
    env[`${prefix}_NAMESPACE`] = zdb.namespace;
  }
  return env;
}

export function ociSpec(input: OciInput): unknown {
  const env = [defaultPath, 'TERM=xterm', ...Object.entries({ ...input.nodeEnv, ...input.data.env }).map(([k, v]) => `${k}=${v}`)];
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false, user: { uid: 0, gid: 0 }, args: input.args, env, cwd: '/',
      capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities, ambient: capabilities },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: input.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...input.binds.map((b) => ({ destination: b.target, type: 'bind', source: b.source, options: ['rbind', 'rw', 'nosuid', 'nodev'] })),
    ],
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        memory: { limit: input.data.compute_capacity.memory, swap: input.data.compute_capacity.memory },
        cpu: { quota: input.data.compute_capacity.cpu * cfsPeriodUs, period: cfsPeriodUs },
      },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, input.netnsPath === undefined ? { type: 'network' } : { type: 'network', path: input.netnsPath }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
