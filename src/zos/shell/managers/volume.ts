// volume: a sparse ext4 image of the requested size, loop-mounted at
// <data>/volumes/<prefix>-<contract>-<name>. The kernel enforces the quota (writes past it get
// ENOSPC), which a periodic `du` could not: it would notice only after the disk filled. The
// image is sparse, so an empty volume takes little real disk; the node still counts its whole
// size as used (it has promised it).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runQuietly } from '../exec.ts';
import { resourceId, type InstallContext, type Manager } from './manager.ts';

export interface VolumeManagerOptions {
  readonly dir: string;
  readonly prefix: string;
}

export interface VolumePaths {
  readonly image: string;
  readonly mountpoint: string;
}

export function volumePaths(options: VolumeManagerOptions, context: Pick<InstallContext, 'contractId'>, name: string): VolumePaths {
  const id = resourceId(options.prefix, context, name);
  return { image: join(options.dir, `${id}.img`), mountpoint: join(options.dir, id) };
}

export function isMounted(path: string): boolean {
  // /proc/self/mounts escapes spaces as \040; our paths have none (names are [a-zA-Z0-9_]).
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === path);
}

export function volumeManager(options: VolumeManagerOptions): Manager<'volume'> {
  return {
    async install(context, w) {
      const paths = volumePaths(options, context, w.name);
      await mkdir(paths.mountpoint, { recursive: true, mode: 0o755 });
      if (!(context.restore && existsSync(paths.image))) {
        await run('truncate', ['-s', String(w.data.size), paths.image]);
        await run('mkfs.ext4', ['-q', '-F', '-m', '0', paths.image]);
      }
      if (!isMounted(paths.mountpoint)) await run('mount', ['-o', 'loop', paths.image, paths.mountpoint]);
      return { id: resourceId(options.prefix, context, w.name), size: w.data.size };
    },
    async remove(context, w) {
      const paths = volumePaths(options, context, w.name);
      if (isMounted(paths.mountpoint)) await run('umount', [paths.mountpoint]).catch(() => runQuietly('umount', ['-l', paths.mountpoint]));
      await rm(paths.image, { force: true });
      await rmdir(paths.mountpoint).catch(() => undefined);
    },
  };
}
