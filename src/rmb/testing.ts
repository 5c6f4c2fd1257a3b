// Test support (not public API): a real `tfgrid chain` process as the phonebook, with twins
// registered for the given identities and their relay lists.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Identity } from '../crypto/index.ts';
import { ChainClient } from '../chain/index.ts';
import { startChainProcess, type ChainProcess } from '../chain/shell/process-testing.ts';

export interface Grid {
  readonly chain: ChainProcess;
  readonly url: string;
  readonly twinIds: number[];
  stop(): Promise<void>;
}

export async function startGrid(twins: Array<{ identity: Identity; relays: string[] }>): Promise<Grid> {
  const dir = mkdtempSync(join(tmpdir(), 'tfgrid-rmb-'));
  const fund = twins.flatMap((t) => ['--fund', t.identity.publicKeyHex]);
  const chain = await startChainProcess({ home: join(dir, 'home'), dataDir: join(dir, 'data'), args: ['--block-interval', '20', ...fund] });
  const twinIds: number[] = [];
  for (const twin of twins) {
    const client = new ChainClient({ url: chain.url, identity: twin.identity });
    await client.createTwin({ encryptionKey: twin.identity.encryptionPublicKeyHex, relays: twin.relays }, { wait: true, timeoutMs: 10_000 });
    twinIds.push((await client.twinByAccount(twin.identity.publicKeyHex))!.id);
  }
  return {
    chain, url: chain.url, twinIds,
    stop: async () => {
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
