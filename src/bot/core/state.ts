// The desired state, as the twin's BCDB records it: one object per named deployment in the
// collection `bot.deployments` (its spec, where each replica runs and under which contract, and
// the latest events saying why things moved), plus `bot.meta/network` holding the subnet
// counter. BCDB keeps every version, so the whole history stays verifiable; the record keeps the
// last `eventsMax` events for quick reading. Format version 1: fields may be added, never
// renamed or retyped.
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import { BotError } from '../errors.ts';
import { specSchema } from './spec.ts';

export const deploymentsCollection = 'bot.deployments';
export const metaCollection = 'bot.meta';
export const eventsMax = 32;

const deploymentSpecSchema = specSchema.shape.deployments.valueType;

export const replicaSchema = z.strictObject({
  index: z.number().int().min(0),
  /** 0: not placed (a move failed; the reconciler tries again). */
  nodeId: z.number().int().min(0),
  nodeTwin: z.number().int().min(0),
  farmId: z.number().int().min(0),
  contractId: z.number().int().min(0),
  subnet: z.string(),
  /** Container name → private address. */
  ips: z.record(z.string(), z.string()),
  /** Container name → public IPv4, for containers with public_ip. */
  publicIps: z.record(z.string(), z.string()).optional(),
  sinceMs: z.number().int().min(0),
});
export type Replica = z.infer<typeof replicaSchema>;

export const eventSchema = z.strictObject({
  atMs: z.number().int().min(0),
  replica: z.number().int().min(-1),
  kind: z.enum(['placed', 'moved', 'failed', 'removed']),
  fromNode: z.number().int().min(0).optional(),
  toNode: z.number().int().min(0).optional(),
  contractId: z.number().int().min(0).optional(),
  reason: z.string().max(1024),
});
export type BotEvent = z.infer<typeof eventSchema>;

export const recordSchema = z.strictObject({
  v: z.literal(1),
  name: z.string(),
  status: z.enum(['active', 'down']),
  ipRange: z.string(),
  spec: z.json(),
  replicas: z.array(replicaSchema),
  events: z.array(eventSchema).max(eventsMax),
});
export type DesiredRecord = Omit<z.infer<typeof recordSchema>, 'spec'> & { spec: z.infer<typeof deploymentSpecSchema> };

/** Checks a stored body (after reading) against the format: BOT_STATE_INVALID otherwise. */
export function parseRecord(body: unknown): DesiredRecord {
  const parsed = recordSchema.safeParse(body);
  const spec = parsed.success ? deploymentSpecSchema.safeParse(parsed.data.spec) : undefined;
  if (!parsed.success || spec === undefined || !spec.success) {
    const issue = (parsed.success ? spec?.error?.issues[0] : parsed.error.issues[0]);
    throw new TfgridError(BotError.STATE_INVALID, `a desired-state record does not match format 1: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
  }
  return { ...parsed.data, spec: spec.data };
}

/** The record with `event` appended, keeping the newest `eventsMax`. */
export function withEvent(record: DesiredRecord, event: BotEvent): DesiredRecord {
  return { ...record, events: [...record.events, event].slice(-eventsMax) };
}
