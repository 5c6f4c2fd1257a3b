// The per-connection session of a 0-db client: admin AUTH and namespace SELECT, in clear or
// as SHA-1 challenge responses, redone on every new connection.
import { createHash } from 'node:crypto';
import type { SessionCall } from './connection.ts';
import { expectSimple } from './client-replies.ts';

export interface Credentials {
  readonly password: string;
  /** Send a challenge response (AUTH SECURE) rather than the password itself. */
  readonly secure: boolean;
}

/** What a new connection must redo before it serves calls: AUTH, then SELECT. */
export class Session {
  admin: Credentials | null;
  namespace: { readonly name: string; readonly credentials: Credentials | null } | null;
  /** AUTH SECURE and SELECT SECURE are two-step exchanges over one per-connection challenge:
   *  two at once would overwrite each other's challenge, so they run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(admin: Credentials | null, namespace: Session['namespace']) {
    this.admin = admin;
    this.namespace = namespace;
  }

  async restore(call: SessionCall): Promise<void> {
    if (this.admin !== null) await authenticate(call, this.admin);
    if (this.namespace !== null) await selectNamespace(call, this.namespace.name, this.namespace.credentials);
  }

  exclusive<T>(step: () => Promise<T>): Promise<T> {
    const result = this.chain.then(step, step);
    this.chain = result.catch(() => undefined);
    return result;
  }
}

export async function authenticate(call: SessionCall, credentials: Credentials): Promise<void> {
  if (!credentials.secure) {
    expectSimple(await call(['AUTH', credentials.password]), 'AUTH');
    return;
  }
  const challenge = expectSimple(await call(['AUTH', 'SECURE', 'CHALLENGE']), 'AUTH');
  expectSimple(await call(['AUTH', 'SECURE', secureResponse(challenge, credentials.password)]), 'AUTH');
}

export async function selectNamespace(call: SessionCall, name: string, credentials: Credentials | null): Promise<void> {
  if (credentials === null) {
    expectSimple(await call(['SELECT', name]), 'SELECT');
    return;
  }
  if (!credentials.secure) {
    expectSimple(await call(['SELECT', name, credentials.password]), 'SELECT');
    return;
  }
  const challenge = expectSimple(await call(['AUTH', 'SECURE', 'CHALLENGE']), 'AUTH');
  expectSimple(await call(['SELECT', name, 'SECURE', secureResponse(challenge, credentials.password)]), 'SELECT');
}

/** 0-db's challenge response: hex SHA-1 of "<challenge>:<password>" (libzdb/security.c). */
export function secureResponse(challenge: string, password: string): string {
  return createHash('sha1').update(`${challenge}:${password}`).digest('hex');
}
