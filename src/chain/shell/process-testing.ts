// Test harness: runs `tfgrid chain` as a real child process on a free port in a temp data
// directory and reads the ready line (--json) for its URL. Kills only the process it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const main = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

export interface ChainProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly ready: { url: string; height: number; stateRoot: string; sequencer: string; faucet?: { publicKey: string; seedFile: string } };
  stderr(): string;
  /** SIGTERM and wait, or SIGKILL with `kill9`. */
  stop(options?: { kill9?: boolean }): Promise<void>;
}

export async function startChainProcess(options: { home: string; dataDir: string; args?: string[]; timeoutMs?: number }): Promise<ChainProcess> {
  const args = [main, '--json', 'chain', '--data', options.dataDir, '--port', '0', ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: options.home, TFGRID_LOG_LEVEL: 'warn' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<ChainProcess['ready']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chain did not start within ${options.timeoutMs ?? 20_000} ms: ${stderr}`)), options.timeoutMs ?? 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined && stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as ChainProcess['ready']);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`chain exited with ${code}: ${stderr}`), { stderr, code }));
    });
  });
  return {
    url: ready.url, child, ready,
    stderr: () => stderr,
    stop: async (stopOptions = {}) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(stopOptions.kill9 === true ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}

/** Runs `tfgrid chain` expecting it to fail at startup; returns its stderr and exit code. */
export async function failingChainProcess(options: { home: string; dataDir: string; args?: string[] }): Promise<{ code: number | null; stderr: string }> {
  try {
    const started = await startChainProcess(options);
    await started.stop();
    return { code: 0, stderr: started.stderr() };
  } catch (error) {
    return { code: (error as { code?: number }).code ?? null, stderr: (error as { stderr?: string }).stderr ?? String(error) };
  }
}
