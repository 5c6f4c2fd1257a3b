// What a verified block means for the index: its events, each joined with the payload of the
// transaction that caused it when the event alone does not say everything (a node's public
// config, a contract's declared resources and deployment data, reported resources, prices).
// Pure: block in, facts out. The events are the chain's record of what happened (the block's
// resultsRoot commits to them); the payloads are parsed with the chain's own schemas, so defaults
// are the chain's. Events of types the index does not use are skipped.
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import { txKinds, type Block, type ChainEvent } from '../../chain/index.ts';
import { ExplorerError } from '../errors.ts';

const id = z.number().int().min(1);
const count = z.number().int().min(0);
const resources = z.object({ cru: count, mru: count, sru: count, hru: count });
const location = z.object({ country: z.string(), city: z.string(), latitude: z.number(), longitude: z.number() });
const power = z.enum(['Up', 'Down']);
const amount = z.string().regex(/^[0-9]{1,30}$/);
const ipConfig = z.object({ ip: z.string(), gw: z.string() });
const nodeDetails = z.object({
  publicConfig: z.object({ ip4: ipConfig, ip6: ipConfig.nullable(), domain: z.string().nullable() }).nullable(),
  interfaces: z.array(z.object({ name: z.string(), mac: z.string(), ips: z.array(z.string()) })),
  secureBoot: z.boolean(),
  virtualized: z.boolean(),
  serial: z.string(),
});
const pricing = z.object({ id, name: z.string(), cuUsdUnitsPerHour: count, suUsdUnitsPerHour: count, ipuUsdUnitsPerHour: count, uniqueNameUsdUnitsPerHour: count, dedicatedDiscountPercent: count });

/** The events the index reads, with the fields it reads (the chain may add fields: not strict). */
const eventSchemas = {
  TwinCreated: z.object({ twinId: id, account: z.string(), encryptionKey: z.string(), relays: z.array(z.string()) }),
  TwinUpdated: z.object({ twinId: id, encryptionKey: z.string(), relays: z.array(z.string()) }),
  FarmCreated: z.object({ farmId: id, name: z.string(), twinId: id, pricingPolicyId: id }),
  FarmUpdated: z.object({ farmId: id, name: z.string(), pricingPolicyId: id }),
  FarmPublicIpAdded: z.object({ farmId: id, ip: z.string(), gateway: z.string() }),
  FarmPublicIpRemoved: z.object({ farmId: id, ip: z.string() }),
  NodeCreated: z.object({ nodeId: id, farmId: id, twinId: id, resources, location }),
  NodeUpdated: z.object({ nodeId: id, farmId: id, resources, location }),
  NodeUptimeReported: z.object({ nodeId: id, uptimeSec: count, timestampMs: count }),
  NodePowerTargetChanged: z.object({ nodeId: id, target: power }),
  NodePowerStateChanged: z.object({ nodeId: id, state: power }),
  NodeResourcesReported: z.object({ nodeId: id, contractIds: z.array(id) }),
  ContractCreated: z.object({ contractId: id, kind: z.enum(['node', 'name', 'rent']), twinId: id, nodeId: id.optional(), deploymentHash: z.string().optional(), publicIps: z.array(z.string()).optional(), name: z.string().optional() }),
  ContractUpdated: z.object({ contractId: id, deploymentHash: z.string() }),
  ContractBilled: z.object({ contractId: id, twinId: id, amount, periodMs: count }),
  ContractGracePeriodStarted: z.object({ contractId: id }),
  ContractGracePeriodEnded: z.object({ contractId: id }),
  ContractDeleted: z.object({ contractId: id, reason: z.string() }),
  PricingPolicySet: z.object({ policyId: id }),
  ParamsChanged: z.object({ changed: z.array(z.string()) }),
  CertificationChanged: z.object({ kind: z.enum(['farm', 'node']), id, certification: z.string() }),
} as const;
type EventType = keyof typeof eventSchemas;
type EventOf<T extends EventType> = z.output<(typeof eventSchemas)[T]> & { type: T };

export type Fact =
  | EventOf<'TwinCreated'> | EventOf<'TwinUpdated'> | EventOf<'FarmCreated'> | EventOf<'FarmUpdated'>
  | EventOf<'FarmPublicIpAdded'> | EventOf<'FarmPublicIpRemoved'>
  | (EventOf<'NodeCreated'> & { details: z.output<typeof nodeDetails> })
  | (EventOf<'NodeUpdated'> & { details: z.output<typeof nodeDetails> })
  | EventOf<'NodeUptimeReported'> | EventOf<'NodePowerTargetChanged'> | EventOf<'NodePowerStateChanged'>
  | (EventOf<'NodeResourcesReported'> & { reports: Array<{ contractId: number; resources: z.output<typeof resources> }> })
  | (EventOf<'ContractCreated'> & { deploymentData: string; resources: z.output<typeof resources> })
  | (EventOf<'ContractUpdated'> & { deploymentData: string | undefined; resources: z.output<typeof resources> | undefined })
  | EventOf<'ContractBilled'> | EventOf<'ContractGracePeriodStarted'> | EventOf<'ContractGracePeriodEnded'> | EventOf<'ContractDeleted'>
  | (EventOf<'PricingPolicySet'> & { policy: z.output<typeof pricing> })
  | (EventOf<'ParamsChanged'> & { uptimeIntervalMs: number | undefined })
  | EventOf<'CertificationChanged'>;

export interface BlockFacts {
  readonly height: number;
  readonly hash: string;
  readonly timestampMs: number;
  readonly transactions: number;
  readonly facts: readonly Fact[];
}

/**
 * Which event each payload-carrying transaction type emits. Each of these types emits exactly
 * one event of its kind and no other type emits that kind (for ContractCreated: of kind node),
 * so the n-th such event in a block belongs to the n-th such successful transaction.
 */
const payloadEvent: Readonly<Record<string, EventType>> = {
  'node.create': 'NodeCreated',
  'node.update': 'NodeUpdated',
  'node.report': 'NodeResourcesReported',
  'contract.node.create': 'ContractCreated',
  'contract.node.update': 'ContractUpdated',
  'pricing.set': 'PricingPolicySet',
  'params.set': 'ParamsChanged',
};

function bad(block: Block, detail: string): TfgridError {
  return new TfgridError(ExplorerError.BAD_EVENT, `block ${block.height}: ${detail}`);
}

/** Parsed payloads of the block's successful transactions, queued per the event they explain. */
function payloadQueues(block: Block): Map<EventType, unknown[]> {
  const queues = new Map<EventType, unknown[]>();
  block.transactions.forEach((tx, index) => {
    const event = payloadEvent[tx.type];
    if (event === undefined || block.results[index]?.ok !== true) return;
    const parsed = txKinds.get(tx.type)?.schema.safeParse(tx.payload);
    if (parsed === undefined || !parsed.success) throw bad(block, `transaction ${index} (${tx.type}) was accepted but its payload does not parse`);
    let queue = queues.get(event);
    if (queue === undefined) queues.set(event, (queue = []));
    queue.push(parsed.data);
  });
  return queues;
}

export function blockFacts(block: Block): BlockFacts {
  const queues = payloadQueues(block);
  const next = (type: EventType): unknown => {
    const payload = queues.get(type)?.shift();
    if (payload === undefined) throw bad(block, `a ${type} event without the transaction that explains it`);
    return payload;
  };
  const facts: Fact[] = [];
  for (const event of block.events) {
    const fact = readEvent(block, event, next);
    if (fact !== undefined) facts.push(fact);
  }
  for (const [type, left] of queues) if (left.length > 0) throw bad(block, `${left.length} ${type} transaction(s) without their event`);
  return { height: block.height, hash: block.hash, timestampMs: block.timestampMs, transactions: block.transactions.length, facts };
}

function readEvent(block: Block, event: ChainEvent, next: (type: EventType) => unknown): Fact | undefined {
  if (!Object.hasOwn(eventSchemas, event.type)) return undefined;
  const type = event.type as EventType;
  const parsed = eventSchemas[type].safeParse(event);
  if (!parsed.success) throw bad(block, `${type}: ${z.prettifyError(parsed.error)}`);
  const base = { ...parsed.data, type } as Fact;
  switch (base.type) {
    case 'NodeCreated':
    case 'NodeUpdated':
      return { ...base, details: nodeDetails.parse(next(base.type)) };
    case 'NodeResourcesReported': {
      const { reports } = next(base.type) as { reports: Array<{ contractId: number; resources: z.output<typeof resources> }> };
      return { ...base, reports };
    }
    case 'ContractCreated': {
      if (base.kind !== 'node') return { ...base, deploymentData: '', resources: { cru: 0, mru: 0, sru: 0, hru: 0 } };
      const payload = next(base.type) as { deploymentData: string; resources: z.output<typeof resources> };
      return { ...base, deploymentData: payload.deploymentData, resources: payload.resources };
    }
    case 'ContractUpdated': {
      const payload = next(base.type) as { deploymentData?: string; resources?: z.output<typeof resources> };
      return { ...base, deploymentData: payload.deploymentData, resources: payload.resources };
    }
    case 'PricingPolicySet':
      return { ...base, policy: pricing.parse(next(base.type)) };
    case 'ParamsChanged':
      return { ...base, uptimeIntervalMs: (next(base.type) as { uptimeIntervalMs?: number }).uptimeIntervalMs };
    default:
      return base;
  }
}
