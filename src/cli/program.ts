// The `tfgrid` command: every component is a subcommand.
import { Command } from 'commander';
import { addGlobalOptions, loadConfigHook } from './command.ts';
import { identityCommand } from './identity.ts';
import { devnetCommand } from './devnet.ts';
import { zdbCommand } from './zdb.ts';
import { chainCommand } from './chain.ts';
import { gridCommands } from './grid.ts';
import { relayCommand } from './relay.ts';
import { bcdbCommand } from './bcdb.ts';
import { flistCommand, hubCommand } from './flist.ts';
import { zstorCommand } from './zstor.ts';
import { explorerCommand } from './explorer.ts';
import { nodeCommand } from './node.ts';
import { botCommands } from './bot.ts';

export const version = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('tfgrid')
    .description('tfgrid: a peer-to-peer, autonomous cloud (the ThreeFold Grid in TypeScript)')
    .version(version);
  addGlobalOptions(program);
  program.hook('preAction', loadConfigHook);
  program.addCommand(identityCommand());
  program.addCommand(zdbCommand());
  program.addCommand(devnetCommand());
  program.addCommand(relayCommand());
  program.addCommand(bcdbCommand());
  program.addCommand(flistCommand());
  program.addCommand(hubCommand());
  program.addCommand(zstorCommand());
  program.addCommand(explorerCommand());
  program.addCommand(nodeCommand());
  for (const command of [chainCommand(), ...gridCommands(), ...botCommands()]) program.addCommand(command);
  forEachCommand(program, (c) => c.exitOverride().showHelpAfterError('(run with --help for usage)'));
  program.addHelpText('after', '\nExit codes: 0 ok, 1 the operation failed (or a signature is invalid), 2 bad usage or input.\nDocs: src/cli/README.md');
  return program;
}

// Commander copies settings only to subcommands made with `.command()`; ours are built apart.
function forEachCommand(command: Command, fn: (command: Command) => void): void {
  fn(command);
  for (const sub of command.commands) forEachCommand(sub, fn);
}
