// RFC 8785 JSON Canonicalization Scheme (JCS): the one encoding that is hashed or signed.
// JCS is JSON with object keys sorted by UTF-16 code units, no whitespace, ECMAScript number
// formatting and JSON.stringify's string escaping. Extensions for tfgrid: bigints are encoded
// as decimal strings (amounts of TFT exceed 2^53) and object properties whose value is
// `undefined` are absent, as in JSON.stringify. Anything JSON cannot say exactly is refused.
import { TfgridError } from '../base/index.ts';
import { CryptoError } from './errors.ts';

const depthMax = 64;

export function canonicalJson(value: unknown): string {
  return encode(value, 0, '$');
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(canonicalJson(value), 'utf8'));
}

function encode(value: unknown, depth: number, path: string): string {
  if (depth > depthMax) fail(path, `nesting deeper than ${depthMax}`);
  switch (typeof value) {
    case 'string':
      return encodeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${value} has no JSON form`);
      return JSON.stringify(value); // ECMAScript Number::toString, as JCS requires; -0 → 0
    case 'bigint':
      return `"${value.toString()}"`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((item, i) => encode(item, depth + 1, `${path}[${i}]`)).join(',')}]`;
      if (!isPlainObject(value)) fail(path, `a ${value.constructor?.name ?? 'non-plain object'} has no canonical JSON form`);
      return encodeObject(value as Record<string, unknown>, depth, path);
    default:
      return fail(path, `a ${typeof value} has no JSON form`);
  }
}

function encodeObject(object: Record<string, unknown>, depth: number, path: string): string {
  const keys = Object.keys(object).filter((key) => object[key] !== undefined);
  keys.sort(); // default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks
  const members = keys.map((key) => `${encodeString(key, path)}:${encode(object[key], depth + 1, `${path}.${key}`)}`);
  return `{${members.join(',')}}`;
}

function encodeString(text: string, path: string): string {
  if (!text.isWellFormed()) fail(path, 'string holds a lone UTF-16 surrogate');
  return JSON.stringify(text);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function fail(path: string, why: string): never {
  throw new TfgridError(CryptoError.NOT_CANONICAL, `${path}: ${why}`);
}
