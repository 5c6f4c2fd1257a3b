// For tests that start a devnet beside other tests: a base port whose ports are all free is
// not guaranteed, so try a few random ones (devnetUp refuses a taken port before starting anything).
import { randomInt } from 'node:crypto';
import { TfgridError } from '../base/index.ts';
import { devnetUp, type DevnetOptions } from './devnet.ts';
import { DevnetError } from './errors.ts';

export async function devnetUpOnFreePorts(options: Omit<DevnetOptions, 'basePort'>): Promise<Awaited<ReturnType<typeof devnetUp>>> {
  for (let attempt = 1; ; attempt++) {
    try {
      // Below Linux's ephemeral range (32768–60999), where other tests' client sockets land.
      return await devnetUp({ ...options, basePort: randomInt(20_000, 32_000) });
    } catch (error) {
      if (!(error instanceof TfgridError && error.code === DevnetError.PORT_IN_USE) || attempt === 5) throw error;
    }
  }
}
