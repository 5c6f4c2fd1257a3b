// Ready images built from the machine's own Debian packages, so workloads can be tested without
// the internet: `busybox` (a shell and the usual tools, from busybox-static) and `httpd`
// (busybox's web server serving /www). Each is a tiny rootfs packed into an flist, with an
// `entrypoint` tag the node agent runs.
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TfgridError, type Logger } from '../base/index.ts';
import { FlistError } from './errors.ts';
import type { Route } from './format.ts';
import { packDirectory, type PackStats } from './pack.ts';

const busyboxPaths = ['/bin/busybox', '/usr/bin/busybox'];
const applets = ['sh', 'ash', 'ls', 'cat', 'echo', 'env', 'id', 'ps', 'sleep', 'mkdir', 'rm', 'cp', 'mv', 'ln', 'wc', 'grep', 'sed', 'head', 'tail', 'date', 'hostname', 'ip', 'ifconfig', 'ping', 'wget', 'nc', 'httpd', 'df', 'du', 'mount', 'uname', 'true', 'false', 'test', 'vi', 'top', 'free', 'kill', 'chmod', 'touch', 'find', 'sort', 'tr', 'dd'];

export interface ReadyImage {
  readonly name: string;
  readonly path: string;
  readonly entrypoint: string;
  readonly stats: PackStats;
}

export function findBusybox(): string | undefined {
  return busyboxPaths.find((path) => existsSync(path));
}

/** Builds `busybox.fl` and `httpd.fl` in `outDir`, their blocks sent through `routes`. */
export async function buildReadyImages(outDir: string, routes: readonly Route[], options: { logger?: Logger } = {}): Promise<ReadyImage[]> {
  const busybox = findBusybox();
  if (busybox === undefined) throw new TfgridError(FlistError.SOURCE, 'busybox not found: install the busybox-static package (apt-get install busybox-static)');
  await mkdir(outDir, { recursive: true });
  const images = [
    { name: 'busybox', entrypoint: '/bin/sh', www: false },
    { name: 'httpd', entrypoint: '/bin/httpd -f -p 80 -h /www', www: true },
  ];
  const built: ReadyImage[] = [];
  for (const image of images) {
    const root = await mkdtemp(join(tmpdir(), `tfgrid-image-${image.name}-`));
    try {
      await rootfs(root, busybox, image.www);
      const path = join(outDir, `${image.name}.fl`);
      const stats = await packDirectory(root, path, { routes, tags: { name: image.name, entrypoint: image.entrypoint, source: 'debian busybox-static' }, ...(options.logger === undefined ? {} : { logger: options.logger }) });
      built.push({ name: image.name, path, entrypoint: image.entrypoint, stats });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  return built;
}

async function rootfs(root: string, busybox: string, www: boolean): Promise<void> {
  for (const dir of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var/log']) await mkdir(join(root, dir), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile(busybox, join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  for (const applet of applets) await symlink('busybox', join(root, 'bin', applet));
  await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  await writeFile(join(root, 'etc', 'hostname'), 'tfgrid\n');
  if (www) {
    await mkdir(join(root, 'www'));
    await writeFile(join(root, 'www', 'index.html'), '<!doctype html><title>tfgrid</title><h1>Hello from a tfgrid workload</h1>\n');
  }
}
