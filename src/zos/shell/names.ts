// Linux interface names are at most 15 bytes: <prefix (1–4)><kind letter><10 hex of a hash>.
// The prefix marks everything one node creates, so a sweep can find and remove it.
import { createHash } from 'node:crypto';

export const prefixPattern = /^[a-z][a-z0-9]{0,3}$/;

export function interfaceName(prefix: string, kind: 'b' | 'v' | 'p', key: string): string {
  return `${prefix}${kind}${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}
