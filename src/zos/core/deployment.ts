// The deployment format of zos v3 (pkg/gridtypes): what a twin asks a node to run. Field names
// are zos's snake_case JSON names. Stored deployments and bus payloads go through these schemas;
// never rename or retype a field (deployments on disk and on other twins would stop parsing).
import { z } from 'zod';

export const workloadNameMaxChars = 36;
export const workloadsMax = 64;
export const signaturesMax = 16;
export const textMaxChars = 1024;

export const WorkloadType = { zdb: 'zdb', volume: 'volume', network: 'network', ip: 'ip', container: 'container' } as const;
export type WorkloadTypeName = (typeof WorkloadType)[keyof typeof WorkloadType];

export const ResultState = { init: 'init', ok: 'ok', error: 'error', deleted: 'deleted' } as const;
export type ResultStateName = (typeof ResultState)[keyof typeof ResultState];

const uint32 = z.number().int().min(0).max(0xffff_ffff);
const text = z.string().max(textMaxChars);

export const resultSchema = z.strictObject({
  /** Unix seconds of the state change. */
  created: z.number().int().min(0),
  state: z.enum([ResultState.init, ResultState.ok, ResultState.error, ResultState.deleted]),
  message: z.string().max(4096),
  data: z.json().nullable(),
});
export type Result = z.infer<typeof resultSchema>;

export const workloadSchema = z.strictObject({
  version: uint32,
  /** Checked against `^[a-zA-Z0-9_]+$` by validation (a typed ZOS_INVALID_NAME, not a schema error). */
  name: z.string().max(256),
  type: z.enum([WorkloadType.zdb, WorkloadType.volume, WorkloadType.network, WorkloadType.ip, WorkloadType.container]),
  /** Type-specific; checked by the type's schema in `workloads.ts`. */
  data: z.json(),
  metadata: text.default(''),
  description: text.default(''),
  result: resultSchema.optional(),
});
export type Workload = z.infer<typeof workloadSchema>;

export const signatureRequestSchema = z.strictObject({ twin_id: uint32, required: z.boolean(), weight: z.number().int().min(1).max(1000) });
export const signatureSchema = z.strictObject({
  twin_id: uint32,
  /** 128 hex: Ed25519 over the 32 hash bytes. */
  signature: z.string().regex(/^[0-9a-f]{128}$/, 'an Ed25519 signature is 128 lowercase hex'),
  signature_type: z.literal('ed25519'),
});

export const deploymentSchema = z.strictObject({
  version: uint32,
  twin_id: uint32,
  contract_id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  metadata: text.default(''),
  description: text.default(''),
  /** Unix seconds; 0 for none. Past expiration the node refuses the deployment. */
  expiration: z.number().int().min(0).default(0),
  signature_requirement: z.strictObject({
    requests: z.array(signatureRequestSchema).min(1).max(signaturesMax),
    weight_required: z.number().int().min(1).max(16_000),
    signatures: z.array(signatureSchema).max(signaturesMax).default([]),
    signature_style: z.string().max(32).default(''),
  }),
  workloads: z.array(workloadSchema).min(1).max(workloadsMax),
});
export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentInput = z.input<typeof deploymentSchema>;
