// Where tfgrid keeps its files: `$TFGRID_HOME`, else `~/.tfgrid`.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function tfgridHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['TFGRID_HOME'];
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(homedir(), '.tfgrid');
}
