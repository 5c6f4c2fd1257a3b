// What every workload type provides (the "what" half of zos's split; managers in shell/ are the
// "how"): a data schema, the capacity it consumes, the workloads it refers to, and its place in
// the install order.
import type { z } from 'zod';
import type { Resources } from '../capacity.ts';
import type { WorkloadTypeName } from '../deployment.ts';

/** Which unit the node's disk sells: its data disk is an SSD (sru) or an HDD (hru). */
export type StorageUnit = 'sru' | 'hru';

export interface Reference {
  readonly name: string;
  readonly type: WorkloadTypeName;
  /** Where in the data it was found, for error messages. */
  readonly field: string;
}

export interface WorkloadKind<S extends z.ZodType> {
  readonly type: WorkloadTypeName;
  readonly schema: S;
  /** Install order (zos: volume → zdb → network → container); removal is the reverse. */
  readonly order: number;
  capacity(data: z.infer<S>, storage: StorageUnit): Resources;
  references(data: z.infer<S>): Reference[];
}

export function storageBytes(storage: StorageUnit, bytes: number): Resources {
  return { cru: 0, mru: 0, sru: storage === 'sru' ? bytes : 0, hru: storage === 'hru' ? bytes : 0 };
}
