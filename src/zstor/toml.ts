// The TOML subset zstor.toml needs (0-stor v2's config is TOML): comments, `key = value` with
// bare or quoted (dotted) keys, [tables], [[arrays of tables]], basic and literal strings,
// integers (with `_`), booleans, single-line arrays. Anything else is a coded error naming the
// line, never a silent misread. Pure: text in, plain object out (zod checks the shape after).
import { TfgridError } from '../base/index.ts';
import { ZstorError } from './errors.ts';

export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue;
}

const bareKey = /^[A-Za-z0-9_-]+/;

export function parseToml(text: string): TomlTable {
  const root: TomlTable = {};
  let current = root;
  text.split(/\r?\n/).forEach((raw, index) => {
    const fail = (why: string): never => {
      throw new TfgridError(ZstorError.CONFIG_INVALID, `line ${index + 1}: ${why}`);
    };
    const line = stripComment(raw).trim();
    if (line === '') return;
    if (line.startsWith('[[')) {
      if (!line.endsWith(']]')) fail('expected ]] to close the array of tables');
      const path = parseKeyPath(line.slice(2, -2).trim(), fail);
      const parent = walk(root, path.slice(0, -1), fail);
      const last = path.at(-1)!;
      const list = parent[last] ?? (parent[last] = []);
      if (!Array.isArray(list)) return fail(`${path.join('.')} is not an array of tables`);
      current = {};
      list.push(current);
      return;
    }
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) fail('expected ] to close the table header');
      current = walk(root, parseKeyPath(line.slice(1, -1).trim(), fail), fail);
      return;
    }
    const eq = findEquals(line);
    if (eq < 0) fail('expected key = value');
    const path = parseKeyPath(line.slice(0, eq).trim(), fail);
    const table = walk(current, path.slice(0, -1), fail);
    const key = path.at(-1)!;
    if (Object.hasOwn(table, key)) fail(`${path.join('.')} is defined twice`);
    const [value, rest] = parseValue(line.slice(eq + 1).trim(), fail);
    if (rest.trim() !== '') fail(`unexpected text after the value: ${rest.trim().slice(0, 20)}`);
    table[key] = value;
  });
  return root;
}

function stripComment(line: string): string {
  const hash = indexOutsideQuotes(line, '#');
  return hash < 0 ? line : line.slice(0, hash);
}

function findEquals(line: string): number {
  return indexOutsideQuotes(line, '=');
}

/** The first `target` not inside a "basic" (backslash escapes) or 'literal' string, or -1. */
function indexOutsideQuotes(line: string, target: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote !== null) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === target) return i;
  }
  return -1;
}

function parseKeyPath(text: string, fail: (why: string) => never): string[] {
  const parts: string[] = [];
  let rest = text;
  for (;;) {
    rest = rest.trimStart();
    let key: string;
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const [value, after] = parseString(rest, fail);
      key = value;
      rest = after;
    } else {
      const match = bareKey.exec(rest);
      if (match === null) return fail(`bad key '${text}'`);
      key = match[0];
      rest = rest.slice(key.length);
    }
    parts.push(key);
    rest = rest.trimStart();
    if (rest === '') return parts;
    if (!rest.startsWith('.')) return fail(`bad key '${text}'`);
    rest = rest.slice(1);
  }
}

/** The table at `path` under `table`, created as needed; the last element of an array of tables. */
function walk(table: TomlTable, path: readonly string[], fail: (why: string) => never): TomlTable {
  let at = table;
  for (const key of path) {
    const next: TomlValue = at[key] ?? (at[key] = {});
    if (Array.isArray(next)) {
      const last = next.at(-1);
      if (last === undefined || typeof last !== 'object' || Array.isArray(last)) return fail(`${key} is not a table`);
      at = last;
    } else if (typeof next === 'object') at = next;
    else return fail(`${key} is a value, not a table`);
  }
  return at;
}

function parseValue(text: string, fail: (why: string) => never): [TomlValue, string] {
  if (text.startsWith('"') || text.startsWith("'")) return parseString(text, fail);
  if (text.startsWith('[')) {
    const items: TomlValue[] = [];
    let rest = text.slice(1).trimStart();
    while (!rest.startsWith(']')) {
      const [item, after] = parseValue(rest, fail);
      items.push(item);
      rest = after.trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
      else if (!rest.startsWith(']')) return fail('expected , or ] in an array (arrays must fit on one line)');
    }
    return [items, rest.slice(1)];
  }
  const word = /^[^\s,\]]+/.exec(text)?.[0] ?? '';
  const rest = text.slice(word.length);
  if (word === 'true' || word === 'false') return [word === 'true', rest];
  if (/^[+-]?(0|[1-9](_?\d)*)$/.test(word)) {
    const value = Number(word.replaceAll('_', ''));
    if (!Number.isSafeInteger(value)) return fail(`${word} is beyond 2^53`);
    return [value, rest];
  }
  return fail(`unsupported value '${word.slice(0, 20)}' (strings, integers, booleans and arrays only)`);
}

function parseString(text: string, fail: (why: string) => never): [string, string] {
  const quote = text[0]!;
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === quote) return [out, text.slice(i + 1)];
    if (ch === '\\' && quote === '"') {
      const next = text[++i];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f' };
      if (next !== undefined && simple[next] !== undefined) out += simple[next];
      else if (next === 'u' || next === 'U') {
        const digits = next === 'u' ? 4 : 8;
        const hex = text.slice(i + 1, i + 1 + digits);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) return fail('bad \\u escape');
        out += String.fromCodePoint(parseInt(hex, 16));
        i += digits;
      } else return fail(`bad escape \\${next ?? ''}`);
    } else out += ch;
  }
  return fail('unterminated string (multi-line strings are not supported)');
}
