// Fast canonical JSON for the state's hot entities (accounts and contracts are rewritten by every
// billing cycle). `canonicalJson` from src/crypto sorts every object's keys and tracks a path for
// its error messages (~3.5 µs for a contract); these encoders sort a known key list once and
// give the same bytes (~0.5 µs). The tests check them against `canonicalJson` on random entities.
// Strings must be well-formed UTF-16 (the payload schemas refuse lone surrogates).
import { canonicalJson } from '../../../crypto/index.ts';

type Encode = (value: unknown) => string;

// eslint-disable-next-line no-control-regex -- JSON escapes exactly these control characters
const needsEscape = /["\\\u0000-\u001f]/;

/** A JSON string; most need no escaping, which skips JSON.stringify (the slow part). */
export function text(value: string): string {
  return needsEscape.test(value) ? JSON.stringify(value) : `"${value}"`;
}

function scalar(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return text(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : canonicalJson(value);
    case 'bigint':
      return `"${value}"`;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return value === null ? 'null' : canonicalJson(value);
  }
}

/**
 * An encoder for objects whose keys are all in `keys` (an absent or undefined key is skipped,
 * as in canonical JSON). `nested` gives encoders for fields holding objects or arrays.
 */
export function objectEncoder<T extends object>(keys: ReadonlyArray<keyof T & string>, nested: Partial<Record<keyof T & string, Encode>> = {}): (value: T) => string {
  const sorted = [...keys].sort();
  const fields = sorted.map((key) => ({ key, prefix: `${JSON.stringify(key)}:`, encode: nested[key] ?? scalar }));
  return (value: T): string => {
    let out = '{';
    const record = value as Record<string, unknown>;
    for (const field of fields) {
      const member = record[field.key];
      if (member === undefined) continue;
      out += (out.length === 1 ? '' : ',') + field.prefix + field.encode(member);
    }
    return out + '}';
  };
}

export function arrayEncoder(item: Encode): Encode {
  return (value: unknown): string => `[${(value as unknown[]).map(item).join(',')}]`;
}

export const stringArray: Encode = arrayEncoder(scalar);
