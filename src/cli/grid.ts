// The chain's user commands: twin, farm, transfer, balance, contract, block. Each talks to a
// running chain (`--chain`, $TFGRID_CHAIN) through the typed client and signs with a keystore
// identity (`--name`, $TFGRID_IDENTITY) unlocked only when a transaction must be signed.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { readKeystorePublic } from '../crypto/index.ts';
import { ChainClient, type Included, type Submitted } from '../chain/client.ts';
import { ChainShellError } from '../chain/shell/errors.ts';
import { humanRecord } from './output.ts';
import { action, type Context } from './command.ts';
import { CliError } from './errors.ts';
import { unlockIdentity } from './identity.ts';
import { chainPortDefault } from './chain.ts';

const tftDecimals = 7;
const common = { chain: z.string().url(), name: z.string(), passphraseFile: z.string().optional(), timeout: z.number().optional() };

function withCommon(command: Command): Command {
  return command
    .addOption(new Option('--chain <url>', 'chain RPC address').default(`http://127.0.0.1:${chainPortDefault}`).env('TFGRID_CHAIN'))
    .addOption(new Option('-n, --name <name>', 'identity that signs').default('default').env('TFGRID_IDENTITY'))
    .addOption(new Option('--passphrase-file <path>', 'keystore passphrase file (else $TFGRID_PASSPHRASE or a prompt)'))
    .addOption(new Option('--timeout <ms>', 'wait this long for inclusion').argParser(Number));
}

type Common = { chain: string; name: string; passphraseFile?: string | undefined; timeout?: number | undefined };

async function signer(ctx: Context, o: Common): Promise<ChainClient> {
  return new ChainClient({ url: o.chain, identity: await unlockIdentity(ctx, o.name, o.passphraseFile) });
}

async function myAddress(ctx: Context, o: Common): Promise<string> {
  return (await readKeystorePublic(join(ctx.home, 'identities', `${o.name}.json`))).publicKey;
}

/** Sends and waits; a transaction included with a failed result is an error here. */
async function included(sent: Promise<Submitted | Included>): Promise<Included> {
  const result = (await sent) as Included;
  if (!result.result.ok) throw new TfgridError(result.result.code, `${result.result.message.replace(/^[A-Z_]+: /, '')} (included in block ${result.height}, nonce used)`);
  return result;
}

export function formatTft(units: bigint | string): string {
  const value = BigInt(units);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  const whole = abs / 10n ** BigInt(tftDecimals);
  const fraction = (abs % 10n ** BigInt(tftDecimals)).toString().padStart(tftDecimals, '0').replace(/0+$/, '');
  return `${sign}${whole.toLocaleString('en-US')}${fraction === '' ? '' : '.' + fraction} TFT`;
}

export function parseTft(text: string): bigint {
  const match = /^(\d{1,23})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (match === null) throw new TfgridError(CliError.USAGE, `"${text}" is not an amount of TFT (up to 7 decimals, e.g. 12.5)`);
  return BigInt(match[1]!) * 10n ** BigInt(tftDecimals) + BigInt((match[2] ?? '').padEnd(tftDecimals, '0'));
}

function notFound(what: string): TfgridError {
  return new TfgridError(ChainShellError.NOT_FOUND, what);
}

function show(ctx: Context, entity: unknown): void {
  ctx.output.result(entity, (e) => humanRecord(e));
}

export function gridCommands(): Command[] {
  return [twinCommand(), farmCommand(), transferCommand(), balanceCommand(), contractCommand(), blockCommand()];
}

function twinCommand(): Command {
  const twin = new Command('twin').description('your twin on the chain: account, encryption key and relays (the phonebook)');
  const create = withCommon(new Command('create').description('register a twin for this identity')).option('--relay <host...>', 'relays that carry messages to this twin');
  twin.addCommand(action(create, z.object({ ...common, relay: z.array(z.string()).optional() }), async (ctx, o) => {
    const client = await signer(ctx, o);
    const inclusion = await included(client.createTwin({ encryptionKey: client.identity!.encryptionPublicKeyHex, relays: o.relay ?? [] }, { wait: true, timeoutMs: o.timeout }));
    const created = await client.twinByAccount(client.identity!.publicKeyHex);
    ctx.output.result({ ...created, block: inclusion.height, tx: inclusion.hash }, (r) => `twin ${String(r.id)} created in block ${r.block} for account ${client.identity!.publicKeyHex}\nNext: tfgrid farm create <name>, or tfgrid twin show`);
  }));
  const showTwin = withCommon(new Command('show').description('a twin by id, by --account, or your own').argument('[id]'));
  twin.addCommand(action(showTwin.option('--account <address>', 'the twin of this account'), z.object({ ...common, account: z.string().optional() }), async (ctx, o, args) => {
    const client = new ChainClient({ url: o.chain });
    const id = args[0];
    const found = id !== undefined ? await client.twin(Number(id)) : await client.twinByAccount(o.account ?? (await myAddress(ctx, o)));
    if (found === undefined) throw notFound(id !== undefined ? `no twin ${id}` : 'no twin for this account: `tfgrid twin create` registers one');
    show(ctx, found);
  }));
  return twin;
}

function farmCommand(): Command {
  const farm = new Command('farm').description('farms: a named group of nodes owned by a twin, with a pricing policy and public IPs');
  const create = withCommon(new Command('create').description('create a farm owned by your twin').argument('<name>')).option('--pricing-policy <id>', 'pricing policy id', Number);
  farm.addCommand(action(create, z.object({ ...common, pricingPolicy: z.number().int().optional() }), async (ctx, o, args) => {
    const client = await signer(ctx, o);
    const name = args[0]!;
    const inclusion = await included(client.createFarm({ name, pricingPolicyId: o.pricingPolicy }, { wait: true, timeoutMs: o.timeout }));
    const created = await client.farmByName(name);
    ctx.output.result({ ...created, block: inclusion.height, tx: inclusion.hash }, (r) => `farm ${String(r.id)} "${name}" created in block ${r.block}\nNext: start a node on it, or tfgrid farm show ${name}`);
  }));
  const showFarm = withCommon(new Command('show').description('a farm by id or name').argument('<id-or-name>'));
  farm.addCommand(action(showFarm, z.object(common), async (ctx, o, args) => {
    const client = new ChainClient({ url: o.chain });
    const key = args[0]!;
    const found = /^\d+$/.test(key) ? await client.farm(Number(key)) : await client.farmByName(key);
    if (found === undefined) throw notFound(`no farm ${key}`);
    show(ctx, found);
  }));
  return farm;
}

function transferCommand(): Command {
  const command = withCommon(new Command('transfer').description('send TFT to an account').argument('<to>', 'account address (64 hex digits)').argument('<amount>', 'TFT, up to 7 decimals'));
  return action(command, z.object(common), async (ctx, o, args) => {
    const client = await signer(ctx, o);
    const amount = parseTft(args[1]!);
    const inclusion = await included(client.transfer(args[0]!, amount, { wait: true, timeoutMs: o.timeout }));
    const balance = await client.balance(client.identity!.publicKeyHex);
    ctx.output.result({ to: args[0], amount: amount.toString(), block: inclusion.height, tx: inclusion.hash, balance: balance.toString() }, (r) => `sent ${formatTft(amount)} to ${r.to} in block ${r.block}; your balance: ${formatTft(balance)}`);
  });
}

function balanceCommand(): Command {
  const command = withCommon(new Command('balance').description('TFT balance of an account (default: your identity)').argument('[address]'));
  return action(command, z.object(common), async (ctx, o, args) => {
    const client = new ChainClient({ url: o.chain });
    const address = args[0] ?? (await myAddress(ctx, o));
    const balance = await client.balance(address);
    ctx.output.result({ address, balance: balance.toString() }, () => `${formatTft(balance)}  (${address})`);
  });
}

function contractCommand(): Command {
  const contract = new Command('contract').description('smart contracts for IT: node, name and rent contracts');
  const list = withCommon(new Command('list').description("contracts of a twin (default: yours) or a node"))
    .option('--twin <id>', 'twin id', Number).option('--node <id>', 'node id', Number)
    .addOption(new Option('--state <state>', 'Created | GracePeriod | Deleted').choices(['Created', 'GracePeriod', 'Deleted']))
    .option('--after <id>', 'page: contracts after this id', Number).option('--limit <n>', 'page size', Number);
  const listSchema = z.object({ ...common, twin: z.number().optional(), node: z.number().optional(), state: z.string().optional(), after: z.number().optional(), limit: z.number().optional() });
  contract.addCommand(action(list, listSchema, async (ctx, o) => {
    const client = new ChainClient({ url: o.chain });
    let twinId = o.twin;
    if (twinId === undefined && o.node === undefined) {
      twinId = (await client.twinByAccount(await myAddress(ctx, o)))?.id;
      if (twinId === undefined) throw notFound('your identity has no twin: pass --twin or --node');
    }
    const page = await client.list('contracts', { afterId: o.after, limit: o.limit, filter: { twinId, nodeId: o.node, state: o.state } });
    ctx.output.result(page, (p) => (p.items.length === 0 ? 'no contracts' : p.items.map((c) => `${String(c.id).padStart(6)}  ${c.kind.padEnd(5)} ${c.state.padEnd(12)} twin ${c.twinId}${'nodeId' in c ? `  node ${String(c.nodeId)}` : ''}${'name' in c ? `  name ${String(c.name)}` : ''}`).join('\n') + (p.nextAfterId === undefined ? '' : `\nmore: --after ${p.nextAfterId}`)));
  }));
  const showContract = withCommon(new Command('show').description('one contract').argument('<id>'));
  contract.addCommand(action(showContract, z.object(common), async (ctx, o, args) => {
    const found = await new ChainClient({ url: o.chain }).contract(Number(args[0]));
    if (found === undefined) throw notFound(`no contract ${args[0]}`);
    show(ctx, found);
  }));
  const cancel = withCommon(new Command('cancel').description('cancel one of your contracts').argument('<id>'));
  contract.addCommand(action(cancel, z.object(common), async (ctx, o, args) => {
    const client = await signer(ctx, o);
    const inclusion = await included(client.cancelContract(Number(args[0]), { wait: true, timeoutMs: o.timeout }));
    ctx.output.result({ contractId: Number(args[0]), block: inclusion.height, tx: inclusion.hash }, (r) => `contract ${r.contractId} canceled in block ${r.block}`);
  }));
  return contract;
}

function blockCommand(): Command {
  const block = new Command('block').description('blocks of the chain');
  const showBlock = withCommon(new Command('show').description('a block by height (default: the latest)').argument('[height]'));
  block.addCommand(action(showBlock, z.object(common), async (ctx, o, args) => {
    const client = new ChainClient({ url: o.chain });
    const found = args[0] === undefined || args[0] === 'latest' ? await client.latestBlock() : await client.block(Number(args[0]));
    if (found === undefined) throw notFound(`no block ${args[0] ?? 'yet'}`);
    ctx.output.result(found, (b) => [`block ${b.height}  ${new Date(b.timestampMs).toISOString()}`, `  hash       ${b.hash}`, `  previous   ${b.previousHash}`, `  state root ${b.stateRoot}`, `  sequencer  ${b.sequencer}`, `  ${b.transactions.length} transaction(s), ${b.events.length} event(s)`,
      ...b.transactions.map((t, i) => `  ${String(i).padStart(4)} ${t.type.padEnd(22)} nonce ${t.nonce}  ${b.results[i]!.ok ? 'ok' : `failed ${(b.results[i] as { code: string }).code}`}`)].join('\n'));
  }));
  return block;
}
