// Proof of capacity: what this machine really has. Logical cores and RAM from the OS; the size
// of the disk holding the data directory, counted as SSD (sru) unless the kernel says the
// device is rotational (hru).
import { availableParallelism, totalmem } from 'node:os';
import { readFileSync, statSync, statfsSync } from 'node:fs';
import type { Resources } from '../core/capacity.ts';
import type { StorageUnit } from '../core/types/kind.ts';

export interface Measured {
  readonly total: Resources;
  readonly storage: StorageUnit;
}

function rotational(path: string): boolean {
  try {
    const dev = statSync(path).dev;
    const major = Math.floor(dev / 256) & 0xfff;
    const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    // A partition's queue is its parent's: /sys/dev/block/M:m/../queue for partitions.
    for (const candidate of [`/sys/dev/block/${major}:${minor}/queue/rotational`, `/sys/dev/block/${major}:${minor}/../queue/rotational`]) {
      try {
        return readFileSync(candidate, 'utf8').trim() === '1';
      } catch { /* try the next */ }
    }
  } catch { /* unknown: SSD */ }
  return false;
}

export function measureCapacity(dataDir: string): Measured {
  const fs = statfsSync(dataDir);
  const diskBytes = fs.blocks * fs.bsize;
  const storage: StorageUnit = rotational(dataDir) ? 'hru' : 'sru';
  return {
    total: { cru: availableParallelism(), mru: totalmem(), sru: storage === 'sru' ? diskBytes : 0, hru: storage === 'hru' ? diskBytes : 0 },
    storage,
  };
}
