// Where candidate nodes come from: the explorer's /nodes (free resources already computed, up
// nodes only) when one is configured, else the chain itself (every node, with its live
// contracts summed as used). Prices and free public IPs come from the chain either way: the
// farm's pricing policy and its IP list.
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import type { ChainClient, Farm, Node, PricingPolicy, Resources } from '../../chain/index.ts';
import { systemReserve } from '../../zos/index.ts';
import { BotError } from '../errors.ts';
import type { Candidate } from '../core/rank.ts';

/** Pages read at most, so a huge grid bounds one search (100 per chain page, 1000 per explorer page). */
const pagesMax = 100;
/** Zero-OS keeps this share of memory and disk for itself (the node's default). */
const reservePercent = 10;

export interface Pricing {
  readonly tftPriceUsdUnits: number;
  readonly farms: ReadonlyMap<number, { readonly policy: PricingPolicy; readonly gold: boolean; readonly freePublicIps: number }>;
}

async function all<T>(chain: ChainClient, kind: 'farms' | 'nodes' | 'pricingPolicies' | 'contracts', filter: { nodeId?: number } = {}): Promise<T[]> {
  const items: T[] = [];
  let afterId: number | undefined;
  for (let page = 0; page < pagesMax; page++) {
    const got = await chain.list(kind, { limit: 100, filter, ...(afterId === undefined ? {} : { afterId }) });
    items.push(...(got.items as T[]));
    if (got.nextAfterId === undefined) break;
    afterId = got.nextAfterId;
  }
  return items;
}

export async function loadPricing(chain: ChainClient): Promise<Pricing> {
  const [params, policies, farms] = await Promise.all([chain.params(), all<PricingPolicy>(chain, 'pricingPolicies'), all<Farm>(chain, 'farms')]);
  const byId = new Map(policies.map((p) => [p.id, p]));
  const fallback = byId.get(params.defaultPricingPolicyId) ?? policies[0];
  if (fallback === undefined) throw new TfgridError(BotError.NO_CAPACITY, 'the chain has no pricing policy');
  return { tftPriceUsdUnits: params.tftPriceUsdUnits, farms: new Map(farms.map((f) => [f.id, { policy: byId.get(f.pricingPolicyId) ?? fallback, gold: f.certification === 'Gold', freePublicIps: f.publicIps.filter((ip) => ip.contractId === 0).length }])) };
}

export async function candidatesFromChain(chain: ChainClient, pricing: Pricing): Promise<Candidate[]> {
  const nodes = await all<Node>(chain, 'nodes');
  return Promise.all(nodes.map(async (node) => {
    const contracts = await all<{ kind: string; resources?: Resources }>(chain, 'contracts', { nodeId: node.id });
    const used = contracts.filter((c) => c.kind === 'node' && c.resources !== undefined).reduce<Resources>((sum, c) => ({ cru: sum.cru + c.resources!.cru, mru: sum.mru + c.resources!.mru, sru: sum.sru + c.resources!.sru, hru: sum.hru + c.resources!.hru }), { cru: 0, mru: 0, sru: 0, hru: 0 });
    const system = systemReserve(node.resources, reservePercent);
    const free = { cru: node.resources.cru - used.cru, mru: node.resources.mru - system.mru - used.mru, sru: node.resources.sru - system.sru - used.sru, hru: node.resources.hru - system.hru - used.hru };
    return candidate(node.id, node.twinId, node.farmId, node.location, node.certification === 'Certified', node.status === 'up', node.resources, free, pricing);
  }));
}

const resourcesSchema = z.object({ cru: z.number(), mru: z.number(), sru: z.number(), hru: z.number() });
const explorerNodeSchema = z.object({
  nodeId: z.number().int(), farmId: z.number().int(), twinId: z.number().int(), status: z.string(), certification: z.string(),
  location: z.object({ country: z.string(), city: z.string() }),
  totalResources: resourcesSchema, freeResources: resourcesSchema,
});
const explorerPageSchema = z.object({ total: z.number(), items: z.array(explorerNodeSchema) });

export async function candidatesFromExplorer(explorerUrl: string, pricing: Pricing): Promise<Candidate[]> {
  const found: Candidate[] = [];
  for (let page = 1; page <= pagesMax; page++) {
    const url = `${explorerUrl.replace(/\/+$/, '')}/nodes?status=up&size=1000&page=${page}`;
    let body: unknown;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      body = await response.json();
      if (!response.ok) throw new Error(JSON.stringify(body));
    } catch (error) {
      throw new TfgridError(BotError.EXPLORER, `${url}: ${(error as Error).message}`, { cause: error });
    }
    const parsed = explorerPageSchema.safeParse(body);
    if (!parsed.success) throw new TfgridError(BotError.EXPLORER, `${url}: not the explorer's /nodes shape (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
    for (const n of parsed.data.items) found.push(candidate(n.nodeId, n.twinId, n.farmId, n.location, n.certification === 'Certified', n.status === 'up', n.totalResources, n.freeResources, pricing));
    if (page * 1000 >= parsed.data.total) break;
  }
  return found;
}

function candidate(nodeId: number, twinId: number, farmId: number, location: { country: string; city: string }, certified: boolean, up: boolean, total: Resources, free: Resources, pricing: Pricing): Candidate {
  const farm = pricing.farms.get(farmId);
  const policy = farm?.policy ?? [...pricing.farms.values()][0]?.policy;
  if (policy === undefined) throw new TfgridError(BotError.NO_CAPACITY, `node ${nodeId}: its farm ${farmId} is not on the chain`);
  return { nodeId, twinId, farmId, country: location.country, city: location.city, certified: certified || farm?.gold === true, up, total, free, freePublicIps: farm?.freePublicIps ?? 0, policy };
}

export async function findCandidates(chain: ChainClient, explorerUrl: string | undefined): Promise<{ candidates: Candidate[]; pricing: Pricing }> {
  const pricing = await loadPricing(chain);
  const candidates = explorerUrl === undefined ? await candidatesFromChain(chain, pricing) : await candidatesFromExplorer(explorerUrl, pricing);
  return { candidates, pricing };
}
