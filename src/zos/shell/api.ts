// The node's only interface: message-bus commands from twins (zos v3's names). Every payload is
// JSON checked by a schema; the caller is the envelope's authenticated source twin, never a field
// of the payload. `zos.admin.*` answers only the farmer's twin.
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import type { Peer } from '../../rmb/index.ts';
import { ZosError } from '../errors.ts';
import type { ZosNode } from './node.ts';

const contract = z.strictObject({ contract_id: z.number().int().min(1) });
const none = z.strictObject({}).default({});

const requests = {
  'zos.deployment.deploy': z.json(),
  'zos.deployment.update': z.json(),
  'zos.deployment.get': contract,
  'zos.deployment.list': none,
  'zos.deployment.changes': contract,
  'zos.deployment.logs': z.strictObject({ contract_id: z.number().int().min(1), name: z.string().max(64), bytes: z.number().int().min(1).max(1 << 20).default(64 * 1024) }),
  'zos.statistics.get': none,
  'zos.system.version': none,
  'zos.network.interfaces': none,
  'zos.storage.pools': none,
  'zos.admin.interfaces': none,
  'zos.admin.deployments': none,
} as const;
export type ZosCommand = keyof typeof requests;
export const zosCommands = Object.keys(requests) as ZosCommand[];

function parse<S extends z.ZodType>(schema: S, payload: Uint8Array, command: string): z.infer<S> {
  let json: unknown;
  try {
    json = payload.length === 0 ? undefined : JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new TfgridError(ZosError.INVALID, `${command}: the payload is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new TfgridError(ZosError.INVALID, `${command}: ${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function serveZos(peer: Peer, node: ZosNode): void {
  const on = <C extends ZosCommand>(command: C, fn: (request: z.infer<(typeof requests)[C]>, caller: number) => unknown): void => {
    peer.handle(command, async (payload, context) => {
      const request = parse(requests[command], payload, command) as z.infer<(typeof requests)[C]>;
      if (command.startsWith('zos.admin.') && context.source.twin !== node.farmTwinId) throw new TfgridError(ZosError.UNAUTHORIZED, `${command} is for the farmer's twin ${node.farmTwinId} only`);
      return Buffer.from(JSON.stringify(await fn(request, context.source.twin) ?? null));
    });
  };
  on('zos.deployment.deploy', (r, caller) => node.deploy(caller, r));
  on('zos.deployment.update', (r, caller) => node.update(caller, r));
  on('zos.deployment.get', (r, caller) => node.deployment(caller, r.contract_id));
  on('zos.deployment.list', (_r, caller) => node.deployments(caller));
  on('zos.deployment.changes', (r, caller) => node.changes(caller, r.contract_id));
  on('zos.deployment.logs', (r, caller) => node.logs(caller, r.contract_id, r.name, r.bytes));
  on('zos.statistics.get', () => node.statistics());
  on('zos.system.version', () => node.version());
  on('zos.network.interfaces', () => node.interfaces(false));
  on('zos.storage.pools', () => node.pools());
  on('zos.admin.interfaces', () => node.interfaces(true));
  on('zos.admin.deployments', () => node.deployments(undefined));
}
