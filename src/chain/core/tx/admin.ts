// pricing.set / params.set / admin.certify: the chain admin's transactions (tfchain's council).
// The genesis file sets the first values; the admin account named in the params may change them.
import { z } from 'zod';
import { ChainError } from '../../errors.ts';
import { FarmCertification, NodeCertification } from '../entities.ts';
import { defineTx, refuse, requireAdmin, requireFarm, requireNode } from './context.ts';
import { id, paramsFields, pricingPolicyFields } from './fields.ts';

/** Creates or replaces a pricing policy. */
export const pricingSet = defineTx('pricing.set', z.strictObject({ id, ...pricingPolicyFields }), (context, payload) => {
  requireAdmin(context);
  context.state.pricing.set(payload.id, { ...payload });
  context.emit({ type: 'PricingPolicySet', policyId: payload.id, name: payload.name });
});

/** Changes some parameters; the others keep their values. */
export const paramsSet = defineTx('params.set', z.strictObject(paramsFields).partial(), (context, payload) => {
  requireAdmin(context);
  const { state } = context;
  const previous = state.getParams();
  const next = { ...previous, ...payload };
  if (!state.pricing.has(next.defaultPricingPolicyId)) refuse(ChainError.UNKNOWN_PRICING_POLICY, `pricing policy ${next.defaultPricingPolicyId} does not exist`);
  state.params.set('params', next);
  if (next.uptimeIntervalMs !== previous.uptimeIntervalMs) state.requeueUptime();
  context.emit({ type: 'ParamsChanged', changed: Object.keys(payload).sort() });
});

export const adminCertify = defineTx(
  'admin.certify',
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('farm'), id, certification: z.enum([FarmCertification.notCertified, FarmCertification.gold]) }),
    z.strictObject({ kind: z.literal('node'), id, certification: z.enum([NodeCertification.diy, NodeCertification.certified]) }),
  ]),
  (context, payload) => {
    requireAdmin(context);
    const { state } = context;
    if (payload.kind === 'farm') state.farms.set(payload.id, { ...requireFarm(state, payload.id), certification: payload.certification });
    else state.nodes.set(payload.id, { ...requireNode(state, payload.id), certification: payload.certification });
    context.emit({ type: 'CertificationChanged', kind: payload.kind, id: payload.id, certification: payload.certification });
  },
);
