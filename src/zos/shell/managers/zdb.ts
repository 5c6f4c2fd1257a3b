// zdb: a namespace on the node's own 0-db server, named <twin>-<contract>-<workload>, with
// maxsize, mode, password and public set by NSSET as the node's admin.
import { TfgridError } from '../../../base/index.ts';
import type { ZdbClient } from '../../../zdb/index.ts';
import { ZosError } from '../../errors.ts';
import type { InstallContext, Manager, WorkloadOf } from './manager.ts';

export interface ZdbManagerOptions {
  readonly admin: ZdbClient;
  /** Addresses and port clients reach the server at (the result's data). */
  readonly ips: readonly string[];
  readonly port: number;
}

function namespaceOf(context: InstallContext, name: string): string {
  return `${context.twinId}-${context.contractId}-${name}`;
}

export function zdbManager(options: ZdbManagerOptions): Manager<'zdb'> {
  const configure = async (namespace: string, w: WorkloadOf<'zdb'>): Promise<void> => {
    await options.admin.nsset(namespace, 'maxsize', w.data.size);
    await options.admin.nsset(namespace, 'password', w.data.password === '' ? '*' : w.data.password);
    await options.admin.nsset(namespace, 'public', w.data.public);
  };
  const result = (namespace: string) => ({ namespace, ips: [...options.ips], port: options.port });
  return {
    async install(context, w) {
      const namespace = namespaceOf(context, w.name);
      const exists = (await options.admin.nslist()).includes(namespace);
      if (exists && !context.restore) throw new TfgridError(ZosError.EXISTS, `0-db namespace ${namespace} exists already`);
      if (!exists) {
        await options.admin.nsnew(namespace);
        // 0-db changes the mode of empty namespaces only: set at creation, never on a restore.
        await options.admin.nsset(namespace, 'mode', w.data.mode);
      }
      await configure(namespace, w);
      return result(namespace);
    },
    async remove(context, w) {
      const namespace = namespaceOf(context, w.name);
      if ((await options.admin.nslist()).includes(namespace)) await options.admin.nsdel(namespace);
    },
    async update(context, _before, after) {
      const namespace = namespaceOf(context, after.name);
      await configure(namespace, after);
      return result(namespace);
    },
  };
}
