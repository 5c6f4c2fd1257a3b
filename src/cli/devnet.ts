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
      ctx.output.result({ status: 'no grid yet', available: ['identity', 'zdb'] }, () =>
        ['no grid yet: the devnet (chain, relay, nodes) is not built yet.', 'What works today:', '  tfgrid identity new          create a twin identity', '  tfgrid zdb --help            run a 0-db storage server'].join('\n'),
      );
      return Promise.resolve();
    }),
  );
  return devnet;
}
