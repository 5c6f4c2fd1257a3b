// Runs a system program (ip, iptables, runc, mount, mkfs.ext4) without a shell: arguments are
// passed as they are, so no workload field can inject a command. A failure is ZOS_SYSTEM with
// the program's stderr.
import { execFile } from 'node:child_process';
import { TfgridError } from '../../base/index.ts';
import { ZosError } from '../errors.ts';

const outputBytesMax = 4 * 2 ** 20;
const timeoutMsDefault = 30_000;
// ip, iptables, mkfs.ext4 and sysctl live in sbin, which a non-login PATH may lack.
const env = { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin` };

export function run(program: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { env, timeout: options.timeoutMs ?? timeoutMsDefault, maxBuffer: outputBytesMax, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new TfgridError(ZosError.SYSTEM, `${program} ${args.join(' ')}: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
}

/** The same, for removals: a failure (already gone) is not an error. */
export async function runQuietly(program: string, args: readonly string[]): Promise<boolean> {
  try {
    await run(program, args);
    return true;
  } catch {
    return false;
  }
}
