// farm.create / farm.update / farm.ip.add / farm.ip.remove: a farmer's farm, by its owner twin.
// Names are unique over the chain; public IPs (CIDR + gateway) unique within the farm, and an IP
// reserved by a contract cannot be removed.
import { z } from 'zod';
import { ChainError } from '../../errors.ts';
import { FarmCertification } from '../entities.ts';
import type { ChainState } from '../state/state.ts';
import { defineTx, ownedFarm, refuse, signerTwin } from './context.ts';
import { cidr4, farmName, id, ipv4 } from './fields.ts';

export const farmIpsMax = 256;

function checkName(state: ChainState, name: string, farmId: number | undefined): void {
  const holder = state.farmByName.get(name);
  if (holder !== undefined && holder !== farmId) refuse(ChainError.DUPLICATE_NAME, `farm name ${name} is taken by farm ${holder}`);
}

function checkPolicy(state: ChainState, policyId: number): void {
  if (!state.pricing.has(policyId)) refuse(ChainError.UNKNOWN_PRICING_POLICY, `pricing policy ${policyId} does not exist`);
}

export const farmCreate = defineTx('farm.create', z.strictObject({ name: farmName, pricingPolicyId: id.optional() }), (context, payload) => {
  const { state } = context;
  const twin = signerTwin(context);
  checkName(state, payload.name, undefined);
  const pricingPolicyId = payload.pricingPolicyId ?? state.getParams().defaultPricingPolicyId;
  checkPolicy(state, pricingPolicyId);
  const farmId = state.takeId('nextFarmId');
  state.farms.set(farmId, { id: farmId, name: payload.name, twinId: twin.id, pricingPolicyId, certification: FarmCertification.notCertified, publicIps: [], createdMs: context.nowMs });
  context.emit({ type: 'FarmCreated', farmId, name: payload.name, twinId: twin.id, pricingPolicyId });
});

export const farmUpdate = defineTx('farm.update', z.strictObject({ farmId: id, name: farmName.optional(), pricingPolicyId: id.optional() }), (context, payload) => {
  const { state } = context;
  const farm = ownedFarm(context, payload.farmId);
  if (payload.name !== undefined) checkName(state, payload.name, farm.id);
  if (payload.pricingPolicyId !== undefined) checkPolicy(state, payload.pricingPolicyId);
  const next = { ...farm, name: payload.name ?? farm.name, pricingPolicyId: payload.pricingPolicyId ?? farm.pricingPolicyId };
  state.farms.set(farm.id, next);
  context.emit({ type: 'FarmUpdated', farmId: farm.id, name: next.name, pricingPolicyId: next.pricingPolicyId });
});

export const farmIpAdd = defineTx('farm.ip.add', z.strictObject({ farmId: id, ip: cidr4, gateway: ipv4 }), (context, payload) => {
  const farm = ownedFarm(context, payload.farmId);
  if (farm.publicIps.some((ip) => ip.ip === payload.ip)) refuse(ChainError.DUPLICATE_NAME, `farm ${farm.id} already has ${payload.ip}`);
  if (farm.publicIps.length >= farmIpsMax) refuse(ChainError.INVALID_PAYLOAD, `a farm has at most ${farmIpsMax} public IPs`);
  context.state.farms.set(farm.id, { ...farm, publicIps: [...farm.publicIps, { ip: payload.ip, gateway: payload.gateway, contractId: 0 }] });
  context.emit({ type: 'FarmPublicIpAdded', farmId: farm.id, ip: payload.ip, gateway: payload.gateway });
});

export const farmIpRemove = defineTx('farm.ip.remove', z.strictObject({ farmId: id, ip: cidr4 }), (context, payload) => {
  const farm = ownedFarm(context, payload.farmId);
  const ip = farm.publicIps.find((entry) => entry.ip === payload.ip) ?? refuse(ChainError.UNKNOWN_IP, `farm ${farm.id} has no ${payload.ip}`);
  if (ip.contractId !== 0) refuse(ChainError.IP_IN_USE, `${payload.ip} is reserved by contract ${ip.contractId}`);
  context.state.farms.set(farm.id, { ...farm, publicIps: farm.publicIps.filter((entry) => entry !== ip) });
  context.emit({ type: 'FarmPublicIpRemoved', farmId: farm.id, ip: payload.ip });
});
