// Parsers for flag values; a bad value is a usage error (exit 2) that names the flag.
import { InvalidArgumentError } from 'commander';

export function parseIntegerInRange(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    const value = Number(text);
    if (value < min || value > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return value;
  };
}

export const parsePort = parseIntegerInRange(0, 65_535);

const sizeUnits: Record<string, number> = { '': 1, k: 2 ** 10, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes, with an optional binary suffix as 0-db takes them: 512k, 256M, 1G. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKMGT]?)[bB]?$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError('expected a size in bytes, optionally with k, M, G or T (e.g. 256M)');
  const bytes = Math.floor(Number(match[1]) * sizeUnits[match[2]!]!);
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError('size too large');
  return bytes;
}
