// The node's books: one file per deployment (data/deployments/<contract>.json), written
// atomically after every result change, so a restart re-applies exactly what was agreed.
// Format version 1: { version, deployment (with results), history }. Append fields only.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TfgridError, writeFileAtomic } from '../../base/index.ts';
import { deploymentSchema, resultSchema, workloadSchema, type Deployment } from '../core/deployment.ts';
import type { Change } from '../core/results.ts';
import { ZosError } from '../errors.ts';

export const storeVersion = 1;

const recordSchema = z.strictObject({
  version: z.literal(storeVersion),
  deployment: deploymentSchema,
  // Types and states are the deployment's own (a hand-written list once missed `ip`, and a node
  // holding a public-IP deployment could not start again).
  history: z.array(z.strictObject({ name: z.string(), type: workloadSchema.shape.type, version: z.number(), created: z.number(), state: resultSchema.shape.state, message: z.string() })),
});

export interface StoredDeployment {
  readonly deployment: Deployment;
  readonly history: readonly Change[];
}

export class DeploymentStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Every stored deployment; a file that does not parse is a coded error (the books are the node's). */
  loadAll(): StoredDeployment[] {
    return readdirSync(this.dir).filter((f) => /^\d+\.json$/.test(f)).map((f) => this.#read(join(this.dir, f)));
  }

  #read(path: string): StoredDeployment {
    const parsed = recordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new TfgridError(ZosError.INVALID, `${path}: not a stored deployment: ${parsed.error.issues[0]?.message ?? ''}`);
    return { deployment: parsed.data.deployment, history: parsed.data.history };
  }

  async save(record: StoredDeployment): Promise<void> {
    await writeFileAtomic(join(this.dir, `${record.deployment.contract_id}.json`), JSON.stringify({ version: storeVersion, ...record }), { mode: 0o600 });
  }

  async remove(contractId: number): Promise<void> {
    await rm(join(this.dir, `${contractId}.json`), { force: true });
  }
}
