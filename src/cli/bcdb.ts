// `tfgrid bcdb`: the owner's database on a 0-db server, from the shell. Each command opens the
// database (replaying whatever the index has not seen), does one thing and closes it; `serve`
// keeps it open and answers other twins over the message bus.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { Bcdb, BcdbError, namespaceDefault, serveBcdb, type FindQuery, type Json, type ObjectVersion, type Right, type VersionInfo } from '../bcdb/index.ts';
import { ChainClient } from '../chain/index.ts';
import { ChainPhonebook, connect } from '../rmb/index.ts';
import { ZdbClient } from '../zdb/index.ts';
import type { Identity } from '../crypto/index.ts';
import { action, type Context } from './command.ts';
import { CliError } from './errors.ts';
import { unlockIdentity } from './identity.ts';
import { readData } from './input.ts';
import { humanRecord } from './output.ts';
import { chainPortDefault } from './chain.ts';

const common = {
  zdb: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port'),
  namespace: z.string(),
  zdbPassword: z.string().optional(),
  zdbAdmin: z.string().optional(),
  dir: z.string().optional(),
  name: z.string(),
  passphraseFile: z.string().optional(),
  twin: z.number().int().min(1),
};
type Common = z.infer<z.ZodObject<typeof common>>;

function withCommon(command: Command): Command {
  return command
    .addOption(new Option('--zdb <host:port>', '0-db server holding the log').default('127.0.0.1:9900').env('TFGRID_BCDB_ZDB'))
    .addOption(new Option('--namespace <name>', '0-db namespace of the log').default(namespaceDefault).env('TFGRID_BCDB_NAMESPACE'))
    .addOption(new Option('--zdb-password <password>', 'namespace password').env('TFGRID_BCDB_ZDB_PASSWORD'))
    .addOption(new Option('--zdb-admin <password>', '0-db admin password (to create the namespace)').env('TFGRID_ZDB_ADMIN'))
    .addOption(new Option('--dir <dir>', 'index and signed head directory (default: <home>/bcdb/<namespace>)').env('TFGRID_BCDB_DIR'))
    .addOption(new Option('-n, --name <name>', 'identity that owns the database').default('default').env('TFGRID_IDENTITY'))
    .addOption(new Option('--passphrase-file <path>', 'keystore passphrase file (else $TFGRID_PASSPHRASE or a prompt)'))
    .addOption(new Option('--twin <id>', 'your twin id: records name it as their author').default(1).argParser(Number).env('TFGRID_TWIN'));
}

async function withDb<T>(ctx: Context, o: Common, fn: (db: Bcdb, identity: Identity) => Promise<T> | T): Promise<T> {
  const [host, port] = [o.zdb.slice(0, o.zdb.lastIndexOf(':')), Number(o.zdb.slice(o.zdb.lastIndexOf(':') + 1))];
  const identity = await unlockIdentity(ctx, o.name, o.passphraseFile);
  const zdb = await ZdbClient.connect({ host, port }, { timeoutMs: 30_000, reconnect: false, ...(o.zdbAdmin === undefined ? {} : { adminPassword: o.zdbAdmin }) });
  try {
    const db = await Bcdb.open({
      zdb, namespace: o.namespace, dir: o.dir ?? join(ctx.home, 'bcdb', o.namespace), identity, twinId: o.twin, logger: ctx.log,
      ...(o.zdbPassword === undefined ? {} : { password: o.zdbPassword }),
    });
    try {
      return await fn(db, identity);
    } finally {
      await db.close();
    }
  } finally {
    zdb.destroy();
  }
}

async function readJson(text: string | undefined, file: string | undefined): Promise<Json> {
  const bytes = text !== undefined ? Buffer.from(text) : await readData({ file });
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as Json;
  } catch {
    throw new TfgridError(CliError.USAGE, 'the document is not JSON (give it as an argument, with --file, or on standard input)');
  }
}

function showVersion(ctx: Context, info: VersionInfo, verb: string): void {
  ctx.output.result(info, (v) => `${v.collection}/${v.id} ${verb} as version ${v.version} (${v.hash.slice(0, 16)}…, log position ${v.position})`);
}

function showObject(ctx: Context, object: ObjectVersion): void {
  ctx.output.result(object, (o) => `${humanRecord({ collection: o.collection, id: o.id, version: o.version, hash: o.hash, author: o.author, time: new Date(o.timeMs).toISOString(), deleted: o.deleted, tags: o.tags.join(' ') })}\n${JSON.stringify(o.body, null, 2)}`);
}

const whereOperators = ['>=', '<=', '^=', '=', '>', '<'] as const;

/** `field=value`, `field^=prefix`, `field>=n`…; numeric text is a number. */
export function parseWhere(clauses: readonly string[]): FindQuery['where'] {
  const where: NonNullable<FindQuery['where']> = {};
  for (const clause of clauses) {
    const operator = whereOperators.find((op) => clause.includes(op));
    if (operator === undefined) throw new TfgridError(CliError.USAGE, `--where '${clause}': expected field=value, field^=prefix, field>n, field>=n, field<n or field<=n`);
    const [field, raw] = [clause.slice(0, clause.indexOf(operator)), clause.slice(clause.indexOf(operator) + operator.length)];
    const value = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    const existing = where[field] ?? {};
    const key = { '=': 'eq', '^=': 'prefix', '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' }[operator];
    where[field] = { ...existing, [key]: key === 'prefix' ? raw : value };
  }
  return where;
}

export function bcdbCommand(): Command {
  const bcdb = new Command('bcdb').description('an immutable, versioned, indexed database on 0-db, with verifiable history and access control');
  bcdb.addHelpText('after', '\nExample:\n  tfgrid zdb --port 9900 &\n  tfgrid bcdb collection create people --index name:string --index age:number\n  tfgrid bcdb set people \'{"name":"ada","age":36}\' --id ada --tag math\n  tfgrid bcdb find people --where age>=30\n  tfgrid bcdb verify');

  const collection = new Command('collection').description('collections: a schema, indexed fields, encryption and an ACL');
  const create = withCommon(new Command('create').argument('<name>').description('create a collection'))
    .option('--schema <file>', 'JSON Schema every document must match')
    .option('--index <field:type...>', 'indexed field (dotted path) and type, string or number')
    .option('--encrypted', 'encrypt bodies at rest with your key');
  collection.addCommand(action(create, z.object({ ...common, schema: z.string().optional(), index: z.array(z.string()).optional(), encrypted: z.boolean().optional() }), async (ctx, o, [name]: string[]) => {
    const schema = o.schema === undefined ? null : (await readJson(undefined, o.schema)) as Record<string, unknown>;
    const indexes = Object.fromEntries((o.index ?? []).map((spec) => {
      const [field, type] = spec.split(':');
      if (field === undefined || (type !== 'string' && type !== 'number')) throw new TfgridError(CliError.USAGE, `--index ${spec}: expected field:string or field:number`);
      return [field, type];
    })) as Record<string, 'string' | 'number'>;
    const created = await withDb(ctx, o, (db) => db.createCollection(name!, { schema, indexes, encrypted: o.encrypted === true }));
    ctx.output.result(created, (v) => `collection ${v.collection} created (log position ${v.position})\nNext: tfgrid bcdb set ${v.collection} '{"…":"…"}'`);
  }));
  const list = withCommon(new Command('list').description('the collections'));
  collection.addCommand(action(list, z.object(common), async (ctx, o) => {
    const all = await withDb(ctx, o, (db) => db.collections());
    ctx.output.result(all, (cs) => cs.length === 0 ? 'no collections yet: tfgrid bcdb collection create <name>' : cs.map((c) => `${c.collection}  indexes: ${Object.entries(c.indexes).map(([f, t]) => `${f}:${t}`).join(' ') || '-'}${c.encrypted ? '  encrypted' : ''}${c.schema === null ? '' : '  schema'}`).join('\n'));
  }));
  bcdb.addCommand(collection);

  const set = withCommon(new Command('set').argument('<collection>').argument('[json]', 'the document (else --file or standard input)').description('create an object'))
    .option('--id <id>', 'object id (random when absent)').option('--tag <tag...>', 'tags').option('-f, --file <path>', 'read the document from a file');
  bcdb.addCommand(action(set, z.object({ ...common, id: z.string().optional(), tag: z.array(z.string()).optional(), file: z.string().optional() }), async (ctx, o, [name, json]: string[]) => {
    const body = await readJson(json, o.file);
    showVersion(ctx, await withDb(ctx, o, (db) => db.set(name!, body, { ...(o.id === undefined ? {} : { id: o.id }), tags: o.tag ?? [] })), 'created');
  }));

  const get = withCommon(new Command('get').argument('<collection>').argument('<id>').description('an object: the latest version, or --version'))
    .option('--version <n>', 'a given version', Number);
  bcdb.addCommand(action(get, z.object({ ...common, version: z.number().int().min(1).optional() }), async (ctx, o, [name, id]: string[]) => {
    showObject(ctx, await withDb(ctx, o, (db) => db.get(name!, id!, o.version === undefined ? {} : { version: o.version })));
  }));

  const update = withCommon(new Command('update').argument('<collection>').argument('<id>').argument('[json]').description('a new version of an object'))
    .option('--expect <version>', 'the version (number or hash) this replaces: fails with BCDB_CONFLICT if it is not the latest')
    .option('--tag <tag...>', 'replace the tags').option('-f, --file <path>', 'read the document from a file');
  bcdb.addCommand(action(update, z.object({ ...common, expect: z.string().optional(), tag: z.array(z.string()).optional(), file: z.string().optional() }), async (ctx, o, [name, id, json]: string[]) => {
    const body = await readJson(json, o.file);
    const expected = o.expect === undefined ? undefined : /^\d+$/.test(o.expect) ? Number(o.expect) : o.expect;
    showVersion(ctx, await withDb(ctx, o, (db) => db.update(name!, id!, body, { ...(expected === undefined ? {} : { expected }), ...(o.tag === undefined ? {} : { tags: o.tag }) })), 'updated');
  }));

  const del = withCommon(new Command('delete').argument('<collection>').argument('<id>').description('mark an object deleted (its history stays)'))
    .option('--expect <version>', 'the version this replaces');
  bcdb.addCommand(action(del, z.object({ ...common, expect: z.string().optional() }), async (ctx, o, [name, id]: string[]) => {
    const expected = o.expect === undefined ? undefined : /^\d+$/.test(o.expect) ? Number(o.expect) : o.expect;
    showVersion(ctx, await withDb(ctx, o, (db) => db.delete(name!, id!, expected === undefined ? {} : { expected })), 'deleted');
  }));

  const history = withCommon(new Command('history').argument('<collection>').argument('<id>').description('the versions of an object, newest first'))
    .option('--limit <n>', 'versions per page', Number).option('--cursor <cursor>', 'continue after a previous page');
  bcdb.addCommand(action(history, z.object({ ...common, limit: z.number().optional(), cursor: z.string().optional() }), async (ctx, o, [name, id]: string[]) => {
    const page = await withDb(ctx, o, (db) => db.history(name!, id!, { ...(o.limit === undefined ? {} : { limit: o.limit }), ...(o.cursor === undefined ? {} : { cursor: o.cursor }) }));
    ctx.output.result(page, (p) => [...p.items.map((v) => `v${v.version}  ${new Date(v.timeMs).toISOString()}  twin ${v.author}  ${v.hash.slice(0, 16)}…${v.deleted ? '  deleted' : ''}`), ...(p.cursor === null ? [] : [`more: --cursor ${p.cursor}`])].join('\n'));
  }));

  const find = withCommon(new Command('find').argument('<collection>').description('live objects by tags and indexed fields'))
    .option('--tag <tag...>', 'objects carrying every one of these tags')
    .option('--where <clause...>', 'field=value, field^=prefix, field>n, field>=n, field<n, field<=n (indexed fields)')
    .option('--limit <n>', 'objects per page', Number).option('--cursor <cursor>', 'continue after a previous page');
  bcdb.addCommand(action(find, z.object({ ...common, tag: z.array(z.string()).optional(), where: z.array(z.string()).optional(), limit: z.number().optional(), cursor: z.string().optional() }), async (ctx, o, [name]: string[]) => {
    const query: FindQuery = { ...(o.tag === undefined ? {} : { tags: o.tag }), ...(o.where === undefined ? {} : { where: parseWhere(o.where) }), ...(o.limit === undefined ? {} : { limit: o.limit }), ...(o.cursor === undefined ? {} : { cursor: o.cursor }) };
    const page = await withDb(ctx, o, (db) => db.find(name!, query));
    ctx.output.result(page, (p) => [...p.items.map((item) => `${item.id}  v${item.version}  ${JSON.stringify(item.body)}`), p.items.length === 0 ? 'no match' : '', ...(p.cursor === null ? [] : [`more: --cursor ${p.cursor}`])].filter((line) => line !== '').join('\n'));
  }));

  const verify = withCommon(new Command('verify').description('audit the whole 0-db log: record hashes, signatures, version chains, the signed tree head'));
  bcdb.addCommand(action(verify, z.object(common), async (ctx, o) => {
    const report = await withDb(ctx, o, (db) => db.verify((done, total) => ctx.output.note(`verified ${done} of ${total} records`)));
    ctx.output.result(report, (r) => r.problems.length === 0
      ? `ok: ${r.records} records, root ${r.root}${r.signedHead === null ? '' : `, extends the signed head of ${r.signedHead.size}`}`
      : `${r.problems.length} problem(s) in ${r.records} records:\n${r.problems.map((p) => `  record ${p.position}: ${p.message}`).join('\n')}`);
    if (report.problems.length > 0) process.exitCode = 1;
  }));

  const head = withCommon(new Command('head').description('the signed tree head: the log size and Merkle root, signed by you'));
  bcdb.addCommand(action(head, z.object(common), async (ctx, o) => {
    ctx.output.result(await withDb(ctx, o, (db) => db.head()), (h) => humanRecord(h));
  }));

  const prove = withCommon(new Command('prove').argument('<collection>').argument('<id>').description('a version with its inclusion proof and the signed head (JSON, for anyone to check with your public key)'))
    .option('--version <n>', 'a given version', Number);
  bcdb.addCommand(action(prove, z.object({ ...common, version: z.number().int().min(1).optional() }), async (ctx, o, [name, id]: string[]) => {
    const proof = await withDb(ctx, o, async (db) => {
      const version = await db.get(name!, id!, o.version === undefined ? {} : { version: o.version });
      const signed = db.head();
      return { record: (await db.record(version.position)).toString('base64'), proof: db.proveInclusion(version.position, signed.size), head: signed };
    });
    ctx.output.result(proof, (p) => JSON.stringify(p, null, 2));
  }));

  for (const [verb, add] of [['grant', true], ['revoke', false]] as const) {
    const command = withCommon(new Command(verb).argument('<collection>').argument('<twin>').argument('<rights...>', 'read, write, delete').description(`${verb} rights on a collection (or --object) to a twin`))
      .option('--object <id>', 'an object of the collection rather than the collection');
    bcdb.addCommand(action(command, z.object({ ...common, object: z.string().optional() }), async (ctx, o, args) => {
      const [name, twin, ...rest] = args as unknown as [string, string, string[]];
      const rights = rest.flat();
      if (!/^\d+$/.test(twin)) throw new TfgridError(CliError.USAGE, `twin '${twin}' is not a twin id`);
      const bad = rights.find((r) => !['read', 'write', 'delete'].includes(r));
      if (bad !== undefined) throw new TfgridError(BcdbError.INVALID, `'${bad}' is not a right (read, write, delete)`);
      const changed = await withDb(ctx, o, (db) => (add ? db.grant(name, o.object, Number(twin), rights as Right[]) : db.revoke(name, o.object, Number(twin), rights as Right[])));
      ctx.output.result(changed, (v) => (v === null ? 'nothing to change' : `ACL of ${name}${o.object === undefined ? '' : `/${o.object}`} is now version ${v.version}`));
    }));
  }

  const serve = withCommon(new Command('serve').description('keep the database open and answer other twins over the message bus (bcdb.get, bcdb.find, bcdb.append…)'))
    .addOption(new Option('--relay <url...>', 'relays to connect to (ws://host:port)').env('TFGRID_RELAYS').makeOptionMandatory())
    .addOption(new Option('--chain <url>', 'chain RPC (the phonebook)').default(`http://127.0.0.1:${chainPortDefault}`).env('TFGRID_CHAIN'));
  bcdb.addCommand(action(serve, z.object({ ...common, relay: z.union([z.array(z.string()), z.string().transform((s) => s.split(','))]), chain: z.string().url() }), async (ctx, o) => {
    await withDb(ctx, o, async (db, identity) => {
      const chain = new ChainClient({ url: o.chain });
      const phonebook = new ChainPhonebook(chain);
      const peer = await connect(identity, { twinId: o.twin, relays: o.relay, chain: phonebook, log: ctx.log });
      serveBcdb(peer, db, phonebook);
      ctx.output.note(`serving ${o.namespace} as twin ${o.twin} through ${o.relay.join(', ')}; Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      peer.close();
      phonebook.close();
    });
  }));
  return bcdb;
}
