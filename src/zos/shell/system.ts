// What a node needs from its host: root (namespaces, cgroups, mounts, iptables) and a few
// Debian programs. `tfgrid node` names the packages to install; tests skip with the same words.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const systemPrograms = [
  { program: 'runc', package: 'runc' },
  { program: 'ip', package: 'iproute2' },
  { program: 'iptables', package: 'iptables' },
  { program: 'mkfs.ext4', package: 'e2fsprogs' },
  { program: 'mount', package: 'mount' },
  { program: 'truncate', package: 'coreutils' },
  { program: 'sysctl', package: 'procps' },
] as const;

function onPath(program: string): boolean {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What is missing, as a sentence for a farmer (or undefined when nothing is). */
export function missingSystem(): string | undefined {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the node must run as root (namespaces, cgroups, mounts, iptables)');
  const packages = systemPrograms.filter((p) => !onPath(p.program)).map((p) => p.package);
  if (packages.length > 0) problems.push(`install the Debian packages: apt-get install ${[...new Set(packages)].join(' ')}`);
  return problems.length === 0 ? undefined : problems.join('; ');
}
