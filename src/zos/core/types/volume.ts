// volume: a directory with a size quota, mounted into containers.
import { z } from 'zod';
import { storageBytes, type WorkloadKind } from './kind.ts';

export const volumeBytesMin = 16 * 2 ** 20;

export const volumeData = z.strictObject({ size: z.number().int().min(volumeBytesMin).max(Number.MAX_SAFE_INTEGER) });
export type VolumeData = z.infer<typeof volumeData>;

export const volumeKind: WorkloadKind<typeof volumeData> = {
  type: 'volume', schema: volumeData, order: 0,
  capacity: (data, storage) => storageBytes(storage, data.size),
  references: () => [],
};
