// A strict subset of YAML, enough for grid.yaml: block mappings and sequences by indentation
// (spaces only), flow `[a, b]` and `{k: v}` on one line, plain / 'single' / "double" quoted
// scalars, `#` comments. Anything else (tabs, anchors, aliases, tags, block strings, several
// documents) is refused with its line number rather than guessed at: a deployment file that
// means something other than what its author thinks costs money. It also remembers the line of
// every value, so schema errors can point at it. (The `yaml` package would do all of YAML; this
// keeps a data-path dependency out for ~150 lines.)
import { TfgridError } from '../../base/index.ts';
import { BotError } from '../errors.ts';

export type Path = ReadonlyArray<string | number>;
export interface ParsedYaml {
  readonly value: unknown;
  /** The line (from 1) where the value at `path` starts; the nearest parent's when unknown. */
  lineOf(path: Path): number | undefined;
}

interface Line { readonly no: number; readonly indent: number; readonly text: string }

const fail = (no: number, why: string): never => {
  throw new TfgridError(BotError.SPEC_SYNTAX, `line ${no}: ${why}`, { details: { line: no } });
};

/** The text before a `#` that starts a comment (at the start or after a space, outside quotes). */
function stripComment(text: string): string {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ')) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

function toLines(text: string): Line[] {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const no = i + 1;
    const indentText = /^[ \t]*/.exec(raw)![0];
    if (indentText.includes('\t')) fail(no, 'tabs are not allowed for indentation (use spaces)');
    const text = stripComment(raw.slice(indentText.length));
    if (text === '') return;
    if (text === '---' && lines.length === 0) return;
    if (text === '---' || text === '...') fail(no, 'one document per file');
    lines.push({ no, indent: indentText.length, text });
  });
  return lines;
}

const keyPattern = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[A-Za-z0-9_][A-Za-z0-9_.\-/]*)\s*:(?:\s+(.*))?$/;
const isItem = (text: string): boolean => text === '-' || text.startsWith('- ');

export function parseYaml(text: string): ParsedYaml {
  const lines = toLines(text);
  const at = new Map<string, number>();
  // The first line noted for a path wins: a key's line, not its nested block's.
  const note = (path: Path, no: number): void => {
    const key = JSON.stringify(path);
    if (!at.has(key)) at.set(key, no);
  };
  let i = 0;

  function block(path: Path): unknown {
    const line = lines[i]!;
    note(path, line.no);
    if (isItem(line.text)) return sequence(line.indent, path);
    if (keyPattern.test(line.text)) return mapping(line.indent, path);
    i++;
    return inline(line.text, line.no, path);
  }

  function sequence(indent: number, path: Path): unknown[] {
    const items: unknown[] = [];
    while (i < lines.length && lines[i]!.indent === indent && isItem(lines[i]!.text)) {
      const line = lines[i]!;
      const rest = line.text.slice(1).trimStart();
      const itemPath = [...path, items.length];
      note(itemPath, line.no);
      if (rest === '') {
        i++;
        items.push(i < lines.length && lines[i]!.indent > indent ? block(itemPath) : null);
      } else if (keyPattern.test(rest) && !/^[[{]/.test(rest)) {
        // `- key: value` opens a mapping whose keys sit at the column of `key`.
        lines[i] = { no: line.no, indent: line.indent + line.text.length - rest.length, text: rest };
        items.push(mapping(lines[i]!.indent, itemPath));
      } else {
        i++;
        items.push(inline(rest, line.no, itemPath));
      }
    }
    return items;
  }

  function mapping(indent: number, path: Path): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    while (i < lines.length && lines[i]!.indent === indent && !isItem(lines[i]!.text)) {
      const line = lines[i]!;
      const match = keyPattern.exec(line.text) ?? fail(line.no, `expected "key: value", got "${line.text}"`);
      const key = String(scalar(match[1]!, line.no));
      if (Object.hasOwn(map, key)) fail(line.no, `duplicate key "${key}"`);
      const keyPath = [...path, key];
      note(keyPath, line.no);
      i++;
      const rest = match[2];
      if (rest !== undefined && rest !== '') map[key] = inline(rest, line.no, keyPath);
      else if (i < lines.length && (lines[i]!.indent > indent || (lines[i]!.indent === indent && isItem(lines[i]!.text)))) map[key] = block(keyPath);
      else map[key] = null;
    }
    if (i < lines.length && lines[i]!.indent > indent) fail(lines[i]!.no, 'unexpected indentation');
    return map;
  }

  function inline(text: string, no: number, path: Path): unknown {
    if (text.startsWith('[') || text.startsWith('{')) {
      const flow = new Flow(text, no);
      const value = flow.value(path, note);
      flow.end();
      return value;
    }
    return scalar(text, no);
  }

  let value: unknown = null;
  if (lines.length > 0) {
    value = block([]);
    if (i < lines.length) fail(lines[i]!.no, lines[i]!.indent > lines[0]!.indent ? 'unexpected indentation' : 'expected the document to end here (check the indentation)');
  }
  return {
    value,
    lineOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const found = at.get(JSON.stringify(path.slice(0, n)));
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}

/** A quoted or plain scalar: null, booleans and decimal numbers are typed; the rest are strings. */
function scalar(text: string, no: number): unknown {
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) fail(no, `unterminated or trailing text after the string ${text}`);
    try {
      return JSON.parse(text) as string;
    } catch {
      return fail(no, `bad escape in ${text}`);
    }
  }
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) fail(no, `unterminated or trailing text after the string ${text}`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (/^[&*!|>%@`]/.test(text)) fail(no, `"${text[0]}" (anchors, aliases, tags, block strings) is not supported: quote the value`);
  if (text.includes(': ') || text.endsWith(':')) fail(no, `"${text}" looks like a mapping inside a value: quote it or put it on its own line`);
  if (text === 'null' || text === '~') return null;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** One-line flow collections: `[a, "b", {k: v}]`. */
class Flow {
  #pos = 0;
  readonly #text: string;
  readonly #no: number;
  constructor(text: string, no: number) {
    this.#text = text;
    this.#no = no;
  }

  value(path: Path, note: (path: Path, no: number) => void): unknown {
    this.#space();
    const c = this.#text[this.#pos];
    note(path, this.#no);
    if (c === '[') return this.#collection(']', (items: unknown[]) => items.push(this.value([...path, items.length], note)), [] as unknown[]);
    if (c === '{') {
      return this.#collection('}', (map: Record<string, unknown>) => {
        const key = String(this.#atom(true));
        this.#space();
        if (this.#text[this.#pos] !== ':') fail(this.#no, `expected ":" after "${key}" in ${this.#text}`);
        this.#pos++;
        if (Object.hasOwn(map, key)) fail(this.#no, `duplicate key "${key}"`);
        map[key] = this.value([...path, key], note);
      }, {});
    }
    return this.#atom(false);
  }

  end(): void {
    this.#space();
    if (this.#pos < this.#text.length) fail(this.#no, `unexpected "${this.#text.slice(this.#pos)}" after the closing bracket`);
  }

  #collection<T>(close: string, item: (into: T) => void, into: T): T {
    this.#pos++;
    this.#space();
    if (this.#text[this.#pos] === close) return (this.#pos++, into);
    for (;;) {
      item(into);
      this.#space();
      const c = this.#text[this.#pos++];
      if (c === close) return into;
      if (c !== ',') fail(this.#no, `expected "," or "${close}" in ${this.#text}`);
    }
  }

  #atom(isKey: boolean): unknown {
    this.#space();
    const rest = this.#text.slice(this.#pos);
    const quoted = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')/.exec(rest);
    const plain = isKey ? /^[^,:[\]{}]+/.exec(rest) : /^[^,[\]{}]+/.exec(rest);
    const token = (quoted ?? plain ?? fail(this.#no, `expected a value in ${this.#text}`))[0];
    this.#pos += token.length;
    return scalar(token.trim(), this.#no);
  }

  #space(): void {
    while (this.#text[this.#pos] === ' ') this.#pos++;
  }
}
