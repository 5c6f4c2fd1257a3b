// The frame every subcommand runs in: global options, config file, typed and validated
// options, one error report and exit code. Subcommands only describe flags and do their job.
import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { createLogger, parseLogLevel, tfgridHome, TfgridError, type Logger } from '../base/index.ts';
import { applyConfig, defaultConfigPath, loadConfig } from './config.ts';
import { CliError } from './errors.ts';
import { createOutput, reportError, type Output } from './output.ts';

export interface Context {
  /** The tfgrid home directory (`--home`, `$TFGRID_HOME`, `~/.tfgrid`). */
  home: string;
  json: boolean;
  output: Output;
  log: Logger;
}

interface GlobalOptions {
  home?: string;
  config?: string;
  json?: boolean;
  logLevel?: string;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--home <dir>', 'tfgrid home directory (keystores, config, data)').env('TFGRID_HOME'))
    .addOption(new Option('--config <file>', 'config file (default: <home>/config.json)').env('TFGRID_CONFIG'))
    .addOption(new Option('--json', 'print results as JSON for scripts'))
    .addOption(new Option('--log-level <level>', 'debug | info | warn | error | silent').env('TFGRID_LOG_LEVEL'));
}

/** Runs before every action: loads the config file into options no flag or variable set. */
export async function loadConfigHook(_program: Command, actionCommand: Command): Promise<void> {
  const globals = actionCommand.optsWithGlobals<GlobalOptions>();
  const home = globals.home ?? tfgridHome();
  const path = globals.config ?? defaultConfigPath(home);
  const config = await loadConfig(path, globals.config !== undefined);
  applyConfig(actionCommand, config, path);
}

/**
 * Binds `fn` as the action of `command`. Options are checked against `schema` first, so a bad
 * flag, variable or config value is a usage error (exit 2) before anything runs.
 */
export function action<S extends z.ZodType, A extends string[] = string[]>(
  command: Command,
  schema: S,
  fn: (ctx: Context, options: z.infer<S>, args: A) => Promise<void>,
): Command {
  return command.action(async (...argv: unknown[]) => {
    const self = argv.at(-1) as Command;
    const globals = self.optsWithGlobals<GlobalOptions>();
    const json = globals.json === true;
    try {
      const ctx: Context = {
        home: globals.home ?? tfgridHome(),
        json,
        output: createOutput(json),
        log: createLogger({ component: 'cli', level: parseLogLevel(globals.logLevel, 'warn') }),
      };
      const parsed = schema.safeParse(self.opts());
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new TfgridError(CliError.USAGE, `--${String(issue?.path[0] ?? '?')}: ${issue?.message ?? 'invalid value'}`);
      }
      await fn(ctx, parsed.data, argv.slice(0, -2) as A);
    } catch (error) {
      process.exitCode = reportError(error, json);
    }
  });
}
