// `tfgrid devnet`: a whole grid on one machine. The grid's components land issue by issue; until
// the devnet can start them, `up` says what exists and exits successfully.
import { Command } from 'commander';
import { z } from 'zod';
import { action } from './command.ts';

export function devnetCommand(): Command {
  const devnet = new Command('devnet').description('a whole grid on this machine (chain, relay, hub, explorer, nodes)');
  const up = new Command('up').description('start a local grid');
  devnet.addCommand(
    action(up, z.object({}), (ctx) => {
      ctx.output.result({ status: 'no grid yet', available: ['identity', 'zdb', 'chain', 'relay'] }, () =>
        [
          'no grid yet: `devnet up` will start a chain, a relay, a hub, the explorer and three nodes in one go (issue #11).',
          'What runs today, each in its own terminal:',
          '  tfgrid identity new          create a twin identity (keys, mnemonic)',
          '  tfgrid chain                 the grid ledger on 127.0.0.1:8700; then tfgrid twin create, tfgrid balance',
          '  tfgrid relay --help          a message-bus relay using the chain as phonebook',
          '  tfgrid zdb --help            a 0-db storage server',
        ].join('\n'),
      );
      return Promise.resolve();
    }),
  );
  return devnet;
}
