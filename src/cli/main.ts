#!/usr/bin/env node
// Entry point of the `tfgrid` command.
import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { reportError } from './output.ts';
import { ExitCode } from './errors.ts';

const program = buildProgram();
program.exitOverride();
program.configureOutput({ outputError: (text, write) => write(text) });
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync'].includes(error.code);
    process.exitCode = ok ? ExitCode.ok : ExitCode.usage;
  } else {
    process.exitCode = reportError(error, process.argv.includes('--json'));
  }
}
