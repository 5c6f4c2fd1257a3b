// Writes a block's facts into the index, inside the store's open transaction. Derived columns
// are kept here, fact by fact: a node's used resources and contract count (its live node
// contracts), its rent, its monthly price (farm policy), a farm's public IP counts.
import type { StatementSync } from 'node:sqlite';
import { assert } from '../../base/index.ts';
import type { PricingPolicy, Resources } from '../../chain/index.ts';
import type { BlockFacts, Fact } from '../core/facts.ts';
import { monthlyPriceUsd } from '../core/resources.ts';
import type { IndexStore } from './store.ts';

type FactOf<T extends Fact['type']> = Extract<Fact, { type: T }>;

const sql = {
  block: 'INSERT INTO blocks (height, hash, timestamp_ms, txs) VALUES (?, ?, ?, ?)',
  twin: 'INSERT INTO twins (id, account, encryption_key, relays, created_ms) VALUES (?, ?, ?, ?, ?)',
  twinUpdate: 'UPDATE twins SET encryption_key = ?, relays = ? WHERE id = ?',
  farm: 'INSERT INTO farms (id, name, twin_id, pricing_policy_id, created_ms) VALUES (?, ?, ?, ?, ?)',
  farmUpdate: 'UPDATE farms SET name = ?, pricing_policy_id = ? WHERE id = ?',
  farmPolicy: 'SELECT pricing_policy_id AS policy FROM farms WHERE id = ?',
  farmIps: 'UPDATE farms SET ips_total = ips_total + ?, ips_free = ips_free + ? WHERE id = ?',
  ipAdd: 'INSERT INTO public_ips (farm_id, ip, gateway) VALUES (?, ?, ?)',
  ipRemove: 'DELETE FROM public_ips WHERE farm_id = ? AND ip = ?',
  ipTake: 'UPDATE public_ips SET contract_id = ? WHERE farm_id = ? AND ip = ?',
  ipsOf: 'SELECT farm_id AS farmId, count(*) AS n FROM public_ips WHERE contract_id = ? GROUP BY farm_id',
  ipsFree: 'UPDATE public_ips SET contract_id = 0 WHERE contract_id = ?',
  node: `INSERT INTO nodes (id, farm_id, twin_id, country, city, latitude, longitude, total_cru, total_mru, total_sru, total_hru,
    ip4, gw4, ip6, gw6, domain, interfaces, secure_boot, virtualized, serial, created_ms, updated_ms, last_uptime_ms, power_changed_ms, price_usd)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  nodeUpdate: `UPDATE nodes SET farm_id = ?, country = ?, city = ?, latitude = ?, longitude = ?, total_cru = ?, total_mru = ?, total_sru = ?, total_hru = ?,
    ip4 = ?, gw4 = ?, ip6 = ?, gw6 = ?, domain = ?, interfaces = ?, secure_boot = ?, virtualized = ?, serial = ?, updated_ms = ?, price_usd = ? WHERE id = ?`,
  nodeFarm: 'SELECT farm_id AS farmId, total_cru AS cru, total_mru AS mru, total_sru AS sru, total_hru AS hru FROM nodes WHERE id = ?',
  nodesOfPolicy: 'SELECT n.id, n.total_cru AS cru, n.total_mru AS mru, n.total_sru AS sru, n.total_hru AS hru FROM nodes n JOIN farms f ON f.id = n.farm_id WHERE f.pricing_policy_id = ?',
  nodesOfFarm: 'SELECT id, total_cru AS cru, total_mru AS mru, total_sru AS sru, total_hru AS hru FROM nodes WHERE farm_id = ?',
  nodePrice: 'UPDATE nodes SET price_usd = ? WHERE id = ?',
  uptime: 'INSERT OR REPLACE INTO uptime (node_id, timestamp_ms, uptime_sec) VALUES (?, ?, ?)',
  nodeUptime: 'UPDATE nodes SET uptime_sec = ?, last_uptime_ms = ? WHERE id = ?',
  powerTarget: 'UPDATE nodes SET power_target = ? WHERE id = ?',
  powerState: 'UPDATE nodes SET power_state = ?, power_changed_ms = ? WHERE id = ?',
  nodeUsed: 'UPDATE nodes SET used_cru = used_cru + ?, used_mru = used_mru + ?, used_sru = used_sru + ?, used_hru = used_hru + ?, node_contracts = node_contracts + ? WHERE id = ?',
  nodeRent: 'UPDATE nodes SET rent_contract_id = ?, rented_by = ? WHERE id = ?',
  contract: `INSERT INTO contracts (id, twin_id, kind, state, node_id, name, deployment_hash, deployment_data, public_ips, cru, mru, sru, hru, created_ms, updated_ms, last_billed_ms)
    VALUES (?, ?, ?, 'Created', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  contractGet: 'SELECT kind, state, node_id AS nodeId, cru, mru, sru, hru FROM contracts WHERE id = ?',
  contractUpdate: 'UPDATE contracts SET deployment_hash = ?, deployment_data = coalesce(?, deployment_data), updated_ms = ? WHERE id = ?',
  contractResources: 'UPDATE contracts SET cru = ?, mru = ?, sru = ?, hru = ?, updated_ms = ? WHERE id = ?',
  contractState: 'UPDATE contracts SET state = ?, updated_ms = ? WHERE id = ?',
  contractDelete: "UPDATE contracts SET state = 'Deleted', deleted_ms = ?, delete_reason = ?, updated_ms = ? WHERE id = ?",
  bill: 'INSERT INTO bills (contract_id, height, timestamp_ms, amount, period_ms) VALUES (?, ?, ?, ?, ?)',
  billed: 'UPDATE contracts SET billed_total = billed_total + ?, last_billed_ms = ? WHERE id = ?',
  pricing: 'INSERT OR REPLACE INTO pricing (id, name, cu, su, ipu, unique_name, discount) VALUES (?, ?, ?, ?, ?, ?, ?)',
  pricingAll: 'SELECT id, name, cu, su, ipu, unique_name AS uniqueName, discount FROM pricing',
  certifyFarm: 'UPDATE farms SET certification = ? WHERE id = ?',
  certifyNode: 'UPDATE nodes SET certification = ? WHERE id = ?',
  meta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

type Statements = { readonly [K in keyof typeof sql]: StatementSync };

export class IndexWriter {
  readonly #store: IndexStore;
  readonly #s: Statements;
  /** Pricing policies by id: few, read for every node price. */
  readonly #pricing = new Map<number, PricingPolicy>();
  #height = 0;
  #nowMs = 0;

  constructor(store: IndexStore) {
    this.#store = store;
    this.#s = Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, store.db.prepare(text)])) as unknown as Statements;
    this.reloadPricing();
  }

  reloadPricing(): void {
    this.#pricing.clear();
    for (const row of this.#s.pricingAll.all() as Array<{ id: number; name: string; cu: number; su: number; ipu: number; uniqueName: number; discount: number }>) {
      this.#pricing.set(row.id, { id: row.id, name: row.name, cuUsdUnitsPerHour: row.cu, suUsdUnitsPerHour: row.su, ipuUsdUnitsPerHour: row.ipu, uniqueNameUsdUnitsPerHour: row.uniqueName, dedicatedDiscountPercent: row.discount });
    }
  }

  /** The policies the chain started with (genesis state is in no block). */
  setPricing(policy: PricingPolicy): void {
    this.#s.pricing.run(policy.id, policy.name, policy.cuUsdUnitsPerHour, policy.suUsdUnitsPerHour, policy.ipuUsdUnitsPerHour, policy.uniqueNameUsdUnitsPerHour, policy.dedicatedDiscountPercent);
    this.#pricing.set(policy.id, policy);
    for (const node of this.#s.nodesOfPolicy.all(policy.id) as unknown as Array<Resources & { id: number }>) this.#s.nodePrice.run(monthlyPriceUsd(node, policy), node.id);
  }

  /** Indexes one block; the store's transaction must be open and the block must follow the head. */
  applyBlock(block: BlockFacts): void {
    assert(this.#store.inTransaction, 'blocks are applied inside a transaction');
    this.#height = block.height;
    this.#nowMs = block.timestampMs;
    this.#s.block.run(block.height, block.hash, block.timestampMs, block.transactions);
    for (const fact of block.facts) this.#apply(fact);
    this.#s.meta.run('height', String(block.height));
    this.#s.meta.run('hash', block.hash);
    this.#s.meta.run('timestampMs', String(block.timestampMs));
  }

  #apply(fact: Fact): void {
    const s = this.#s;
    const now = this.#nowMs;
    switch (fact.type) {
      case 'TwinCreated': s.twin.run(fact.twinId, fact.account, fact.encryptionKey, JSON.stringify(fact.relays), now); return;
      case 'TwinUpdated': s.twinUpdate.run(fact.encryptionKey, JSON.stringify(fact.relays), fact.twinId); return;
      case 'FarmCreated': s.farm.run(fact.farmId, fact.name, fact.twinId, fact.pricingPolicyId, now); return;
      case 'FarmUpdated': return this.#farmUpdated(fact);
      case 'FarmPublicIpAdded': s.ipAdd.run(fact.farmId, fact.ip, fact.gateway); s.farmIps.run(1, 1, fact.farmId); return;
      case 'FarmPublicIpRemoved': s.ipRemove.run(fact.farmId, fact.ip); s.farmIps.run(-1, -1, fact.farmId); return;
      case 'NodeCreated': return this.#nodeCreated(fact);
      case 'NodeUpdated': return this.#nodeUpdated(fact);
      case 'NodeUptimeReported': s.uptime.run(fact.nodeId, fact.timestampMs, fact.uptimeSec); s.nodeUptime.run(fact.uptimeSec, fact.timestampMs, fact.nodeId); return;
      case 'NodePowerTargetChanged': s.powerTarget.run(fact.target, fact.nodeId); return;
      case 'NodePowerStateChanged': s.powerState.run(fact.state, now, fact.nodeId); return;
      case 'NodeResourcesReported': for (const report of fact.reports) this.#setContractResources(report.contractId, report.resources); return;
      case 'ContractCreated': return this.#contractCreated(fact);
      case 'ContractUpdated':
        s.contractUpdate.run(fact.deploymentHash, fact.deploymentData ?? null, now, fact.contractId);
        if (fact.resources !== undefined) this.#setContractResources(fact.contractId, fact.resources);
        return;
      case 'ContractBilled': s.bill.run(fact.contractId, this.#height, now, BigInt(fact.amount), fact.periodMs); s.billed.run(BigInt(fact.amount), now, fact.contractId); return;
      case 'ContractGracePeriodStarted': s.contractState.run('GracePeriod', now, fact.contractId); return;
      case 'ContractGracePeriodEnded': s.contractState.run('Created', now, fact.contractId); return;
      case 'ContractDeleted': return this.#contractDeleted(fact);
      case 'PricingPolicySet': this.setPricing({ ...fact.policy }); return;
      case 'ParamsChanged': if (fact.uptimeIntervalMs !== undefined) s.meta.run('uptimeIntervalMs', String(fact.uptimeIntervalMs)); return;
      case 'CertificationChanged': (fact.kind === 'farm' ? s.certifyFarm : s.certifyNode).run(fact.certification, fact.id); return;
    }
  }

  #priceOf(farmId: number, total: Resources): number {
    const policy = (this.#s.farmPolicy.get(farmId) as { policy: number } | undefined)?.policy;
    return monthlyPriceUsd(total, policy === undefined ? undefined : this.#pricing.get(policy));
  }

  #farmUpdated(fact: FactOf<'FarmUpdated'>): void {
    const before = (this.#s.farmPolicy.get(fact.farmId) as { policy: number } | undefined)?.policy;
    this.#s.farmUpdate.run(fact.name, fact.pricingPolicyId, fact.farmId);
    if (before === fact.pricingPolicyId) return;
    for (const node of this.#s.nodesOfFarm.all(fact.farmId) as unknown as Array<Resources & { id: number }>) this.#s.nodePrice.run(this.#priceOf(fact.farmId, node), node.id);
  }

  #nodeColumns(fact: FactOf<'NodeCreated'> | FactOf<'NodeUpdated'>): Array<string | number> {
    const { location: l, resources: r, details: d } = fact;
    const pc = d.publicConfig;
    return [
      fact.farmId, l.country, l.city, l.latitude, l.longitude, r.cru, r.mru, r.sru, r.hru,
      pc?.ip4.ip ?? '', pc?.ip4.gw ?? '', pc?.ip6?.ip ?? '', pc?.ip6?.gw ?? '', pc?.domain ?? '',
      JSON.stringify(d.interfaces), d.secureBoot ? 1 : 0, d.virtualized ? 1 : 0, d.serial,
    ];
  }

  #nodeCreated(fact: FactOf<'NodeCreated'>): void {
    const [farmId, ...rest] = this.#nodeColumns(fact);
    // The creation counts as the first uptime report (the chain's rule).
    this.#s.node.run(fact.nodeId, farmId!, fact.twinId, ...rest, this.#nowMs, this.#nowMs, this.#nowMs, this.#nowMs, this.#priceOf(fact.farmId, fact.resources));
  }

  #nodeUpdated(fact: FactOf<'NodeUpdated'>): void {
    this.#s.nodeUpdate.run(...this.#nodeColumns(fact), this.#nowMs, this.#priceOf(fact.farmId, fact.resources), fact.nodeId);
  }

  #contractCreated(fact: FactOf<'ContractCreated'>): void {
    const r = fact.resources;
    const nodeId = fact.nodeId ?? 0;
    const ips = fact.publicIps ?? [];
    this.#s.contract.run(fact.contractId, fact.twinId, fact.kind, nodeId, fact.name ?? '', fact.deploymentHash ?? '', fact.deploymentData, JSON.stringify(ips), r.cru, r.mru, r.sru, r.hru, this.#nowMs, this.#nowMs, this.#nowMs);
    if (fact.kind === 'rent') this.#s.nodeRent.run(fact.contractId, fact.twinId, nodeId);
    if (fact.kind !== 'node') return;
    this.#s.nodeUsed.run(r.cru, r.mru, r.sru, r.hru, 1, nodeId);
    if (ips.length === 0) return;
    const farmId = (this.#s.nodeFarm.get(nodeId) as { farmId: number }).farmId;
    for (const ip of ips) this.#s.ipTake.run(fact.contractId, farmId, ip);
    this.#s.farmIps.run(0, -ips.length, farmId);
  }

  #setContractResources(contractId: number, next: Resources): void {
    const contract = this.#s.contractGet.get(contractId) as (Resources & { nodeId: number; state: string }) | undefined;
    assert(contract !== undefined, `the chain reported resources of contract ${contractId}, which the index lacks`);
    this.#s.contractResources.run(next.cru, next.mru, next.sru, next.hru, this.#nowMs, contractId);
    this.#s.nodeUsed.run(next.cru - contract.cru, next.mru - contract.mru, next.sru - contract.sru, next.hru - contract.hru, 0, contract.nodeId);
  }

  #contractDeleted(fact: FactOf<'ContractDeleted'>): void {
    const contract = this.#s.contractGet.get(fact.contractId) as (Resources & { nodeId: number; kind: string; state: string }) | undefined;
    assert(contract !== undefined && contract.state !== 'Deleted', `contract ${fact.contractId} deleted twice or never created`);
    this.#s.contractDelete.run(this.#nowMs, fact.reason, this.#nowMs, fact.contractId);
    if (contract.kind === 'rent') this.#s.nodeRent.run(0, 0, contract.nodeId);
    if (contract.kind !== 'node') return;
    this.#s.nodeUsed.run(-contract.cru, -contract.mru, -contract.sru, -contract.hru, -1, contract.nodeId);
    for (const { farmId, n } of this.#s.ipsOf.all(fact.contractId) as Array<{ farmId: number; n: number }>) this.#s.farmIps.run(0, n, farmId);
    this.#s.ipsFree.run(fact.contractId);
  }
}
