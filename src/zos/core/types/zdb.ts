// zdb: a namespace on the node's own 0-db server.
import { z } from 'zod';
import { storageBytes, type WorkloadKind } from './kind.ts';

export const zdbData = z.strictObject({
  /** maxsize of the namespace, bytes. */
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  mode: z.enum(['user', 'seq']).default('user'),
  /** Empty: no password. */
  password: z.string().max(128).regex(/^[^\s*]*$/, 'no spaces or "*"').default(''),
  /** Public namespaces can be read without the password. */
  public: z.boolean().default(false),
});
export type ZdbData = z.infer<typeof zdbData>;

export const zdbKind: WorkloadKind<typeof zdbData> = {
  type: 'zdb', schema: zdbData, order: 1,
  capacity: (data, storage) => storageBytes(storage, data.size),
  references: () => [],
};
