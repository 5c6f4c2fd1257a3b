import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from './identity.ts';
import { verifyEd25519 } from './keys.ts';
import { SignPool } from './sign-pool.ts';

test('the signing thread gives the same signatures as the identity, batched and in order; closed, it refuses', async () => {
  const identity = Identity.fromSeed('5a'.repeat(32));
  const pool = new SignPool(identity);
  const messages = Array.from({ length: 300 }, (_, i) => Buffer.from(`message ${i}`));
  const signatures = await Promise.all(messages.map((m) => pool.sign(m)));
  signatures.forEach((signature, i) => {
    assert.deepEqual(Buffer.from(signature), Buffer.from(identity.sign(messages[i]!)));
    assert.ok(verifyEd25519(identity.publicKey, messages[i]!, signature));
  });
  await pool.close();
  await assert.rejects(pool.sign(Buffer.from('late')), { code: 'CRYPTO_SIGNER_UNAVAILABLE' });
});
