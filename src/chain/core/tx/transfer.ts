// transfer: moves TFT units from the signer to another account (created if new). Topping up a
// twin's account is how a contract in its grace period comes back at its next bill.
import { z } from 'zod';
import { address, amount } from './fields.ts';
import { credit, debit, defineTx } from './context.ts';

export const transfer = defineTx('transfer', z.strictObject({ to: address, amount }), (context, payload) => {
  debit(context.state, context.signer, payload.amount);
  credit(context.state, payload.to, payload.amount);
  context.emit({ type: 'Transfer', from: context.signer, to: payload.to, amount: payload.amount.toString() });
});
