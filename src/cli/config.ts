// Settings come from flags, then environment variables, then the config file, then defaults.
// Commander resolves flags and `--x` ⇄ `TFGRID_X` environment; this module fills what is left
// from the config file: JSON whose keys are command paths ("zdb", "identity sign", or "*" for
// every command) and whose values map option names (as spelled on the command line, without
// dashes) to values, e.g. { "zdb": { "port": 9901, "data": "/srv/zdb" } }.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { CliError } from './errors.ts';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const ConfigFile = z.record(z.string(), z.record(z.string(), z.union([Scalar, z.array(Scalar)])));
export type ConfigFile = z.infer<typeof ConfigFile>;

export function defaultConfigPath(home: string): string {
  return join(home, 'config.json');
}

/** Reads a config file; a missing file is an empty config unless it was asked for explicitly. */
export async function loadConfig(path: string, required: boolean): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    throw new TfgridError(CliError.CONFIG_INVALID, `cannot read config file ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TfgridError(CliError.CONFIG_INVALID, `${path} is not JSON: ${(cause as Error).message}`);
  }
  const parsed = ConfigFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TfgridError(CliError.CONFIG_INVALID, `${path}: at ${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent != null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Sets every option of `command` that neither a flag nor the environment gave from `config`. */
export function applyConfig(command: Command, config: ConfigFile, source: string): void {
  const path = commandPath(command);
  const sections = [config['*'] ?? {}, ...prefixes(path).map((p) => config[p] ?? {})];
  const options = command.options;
  for (const section of sections) {
    for (const [name, value] of Object.entries(section)) {
      const option = options.find((o) => o.long === `--${name}` || o.long === `--no-${name}`);
      if (option === undefined) {
        if (section === config[path]) throw new TfgridError(CliError.CONFIG_INVALID, `${source}: "${path}" has no option --${name}`);
        continue; // a section for a parent or "*" may hold options that only some commands have
      }
      const key = option.attributeName();
      const from = command.getOptionValueSource(key);
      if (from === 'cli' || from === 'env') continue;
      command.setOptionValueWithSource(key, parseConfigValue(option, value, source, path), 'config');
    }
  }
}

function parseConfigValue(option: Option, value: unknown, source: string, path: string): unknown {
  if (option.parseArg === undefined || typeof value === 'boolean') return value;
  try {
    return option.parseArg(String(value), undefined);
  } catch (cause) {
    throw new TfgridError(CliError.CONFIG_INVALID, `${source}: "${path}".${option.long?.slice(2) ?? ''}: ${(cause as Error).message}`);
  }
}

function prefixes(path: string): string[] {
  const words = path.split(' ');
  return words.map((_, i) => words.slice(0, i + 1).join(' '));
}
