// twin.create / twin.update: the phonebook entry of an account. One twin per account; ids are
// sequential from 1. The message bus finds a twin's relays and encryption key here.
import { z } from 'zod';
import { ChainError } from '../../errors.ts';
import { defineTx, refuse, signerTwin } from './context.ts';
import { hex, relayHost } from './fields.ts';

export const relaysMax = 8;
const relays = z.array(relayHost).max(relaysMax);
const encryptionKey = hex(64);

export const twinCreate = defineTx('twin.create', z.strictObject({ encryptionKey, relays: relays.default([]) }), (context, payload) => {
  const { state } = context;
  const existing = state.twinByAccount.get(context.signer);
  if (existing !== undefined) refuse(ChainError.ALREADY_EXISTS, `account ${context.signer} already has twin ${existing}`);
  const id = state.takeId('nextTwinId');
  state.twins.set(id, { id, account: context.signer, encryptionKey: payload.encryptionKey, relays: [...new Set(payload.relays)], createdMs: context.nowMs });
  context.emit({ type: 'TwinCreated', twinId: id, account: context.signer, encryptionKey: payload.encryptionKey, relays: payload.relays });
});

export const twinUpdate = defineTx('twin.update', z.strictObject({ encryptionKey: encryptionKey.optional(), relays: relays.optional() }), (context, payload) => {
  const twin = signerTwin(context);
  const next = { ...twin, encryptionKey: payload.encryptionKey ?? twin.encryptionKey, relays: payload.relays === undefined ? twin.relays : [...new Set(payload.relays)] };
  context.state.twins.set(twin.id, next);
  context.emit({ type: 'TwinUpdated', twinId: twin.id, encryptionKey: next.encryptionKey, relays: next.relays });
});
