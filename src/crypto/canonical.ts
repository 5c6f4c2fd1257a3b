// RFC 8785 JSON Canonicalization Scheme (JCS): the one encoding that is hashed or signed.
// JCS is JSON with object keys sorted by UTF-16 code units, no whitespace, ECMAScript number
// formatting and JSON.stringify's string escaping. Extensions for tfgrid: bigints are encoded
// as decimal strings (amounts of TFT exceed 2^53) and object properties whose value is
// `undefined` are absent, as in JSON.stringify. Anything JSON cannot say exactly is refused.
import { TfgridError } from '../base/index.ts';
import { CryptoError } from './errors.ts';

const depthMax = 64;

export function canonicalJson(value: unknown): string {
  const path: Array<string | number> = []; // kept as a stack: the path string is built only on failure
  return encode(value, path);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(canonicalJson(value), 'utf8'));
}

function encode(value: unknown, path: Array<string | number>): string {
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
      if (path.length >= depthMax) fail(path, `nesting deeper than ${depthMax}`);
      if (Array.isArray(value)) return encodeArray(value, path);
      if (!isPlainObject(value)) fail(path, `a ${value.constructor?.name ?? 'non-plain object'} has no canonical JSON form`);
      return encodeObject(value as Record<string, unknown>, path);
    default:
      return fail(path, `a ${typeof value} has no JSON form`);
  }
}

function encodeArray(array: readonly unknown[], path: Array<string | number>): string {
  let out = '[';
  for (let i = 0; i < array.length; i++) {
    path.push(i);
    out += (i === 0 ? '' : ',') + encode(array[i], path);
    path.pop();
  }
  return out + ']';
}

function encodeObject(object: Record<string, unknown>, path: Array<string | number>): string {
  const keys = Object.keys(object);
  keys.sort(); // default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks
  let out = '{';
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) continue;
    path.push(key);
    out += (out.length === 1 ? '' : ',') + encodeString(key, path) + ':' + encode(member, path);
    path.pop();
  }
  return out + '}';
}

// Strings with nothing to escape (most keys and values) skip JSON.stringify, the slow part.
// eslint-disable-next-line no-control-regex -- JSON escapes exactly these control characters
const needsEscape = /["\\\u0000-\u001f]/;

function encodeString(text: string, path: Array<string | number>): string {
  if (!text.isWellFormed()) fail(path, 'string holds a lone UTF-16 surrogate');
  return needsEscape.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function fail(path: ReadonlyArray<string | number>, why: string): never {
  const where = '$' + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  throw new TfgridError(CryptoError.NOT_CANONICAL, `${where}: ${why}`);
}
