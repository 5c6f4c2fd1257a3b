// `tfgrid bcdb` as a user runs it, against a real `tfgrid zdb` process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOurZdb, type ZdbProcess } from '../zdb/server/testing.ts';
import { parseWhere } from './bcdb.ts';
import { tfgrid, json } from './testing.ts';

const home = mkdtempSync(join(tmpdir(), 'tfgrid-cli-bcdb-'));
let server: ZdbProcess;
let env: Record<string, string>;

before(async () => {
  server = await startOurZdb();
  env = { TFGRID_BCDB_ZDB: `127.0.0.1:${server.port}` };
  assert.equal(tfgrid(home, ['identity', 'new']).status, 0);
});

after(async () => {
  await server.stop();
  rmSync(home, { recursive: true, force: true });
});

const run = (...args: string[]) => tfgrid(home, ['bcdb', ...args], { env });

test('collection, set, get, update, history, find, delete, grant, verify, prove from the shell', () => {
  const schema = join(home, 'schema.json');
  writeFileSync(schema, JSON.stringify({ type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name'] }));
  const created = run('collection', 'create', 'people', '--schema', schema, '--index', 'name:string', '--index', 'age:number');
  assert.equal(created.status, 0, created.stderr);
  assert.match(created.stdout, /collection people created/);
  assert.match(run('collection', 'list').stdout, /people {2}indexes: name:string age:number {2}schema/);
  const ada = json<{ version: number; hash: string }>(run('set', 'people', '{"name":"ada","age":36}', '--id', 'ada', '--tag', 'math', '--json'));
  assert.equal(ada.version, 1);
  assert.equal(tfgrid(home, ['bcdb', 'set', 'people', '--id', 'bob'], { env, input: '{"name":"bob","age":20}' }).status, 0);
  assert.equal(json<{ body: unknown }>(run('get', 'people', 'ada', '--json')).body !== null, true);
  assert.match(run('update', 'people', 'ada', '{"name":"ada","age":37}', '--expect', '1').stdout, /people\/ada updated as version 2/);
  const stale = run('update', 'people', 'ada', '{"name":"ada","age":38}', '--expect', '1');
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /BCDB_CONFLICT: people\/ada is at version 2/);
  const invalid = run('set', 'people', '{"age":1}');
  assert.equal(invalid.status, 1);
  assert.match(invalid.stderr, /BCDB_SCHEMA_VIOLATION/);
  assert.equal(run('set', 'people', 'not json').status, 2);
  assert.match(run('history', 'people', 'ada').stdout, /^v2 .*\nv1 /);
  assert.deepEqual(json<{ items: Array<{ id: string }> }>(run('find', 'people', '--where', 'age>=30', '--json')).items.map((i) => i.id), ['ada']);
  assert.deepEqual(json<{ items: Array<{ id: string }> }>(run('find', 'people', '--where', 'name^=b', '--json')).items.map((i) => i.id), ['bob']);
  assert.match(run('find', 'people', '--tag', 'nothing').stdout, /no match/);
  assert.match(run('grant', 'people', '7', 'read', 'write').stdout, /ACL of people is now version 1/);
  assert.match(run('grant', 'people', '7', 'read').stdout, /nothing to change/);
  assert.equal(run('grant', 'people', '7', 'fly').status, 2);
  assert.match(run('delete', 'people', 'bob').stdout, /people\/bob deleted as version 2/);
  assert.match(run('verify').stdout, /^ok: 6 records, root [0-9a-f]{64}/);
  const proof = json<{ head: { size: number }; proof: { position: number } }>(run('prove', 'people', 'ada', '--json'));
  assert.equal(proof.head.size, 6);
  assert.equal(run('get', 'people', 'nobody').status, 1);
  assert.equal(run('get', 'nowhere', 'x').status, 1);
});

test('--where clauses parse into typed conditions', () => {
  assert.deepEqual(parseWhere(['age>=30', 'age<40', 'name^=ad', 'kind=a=b', 'n=-1.5']), { age: { gte: 30, lt: 40 }, name: { prefix: 'ad' }, kind: { eq: 'a=b' }, n: { eq: -1.5 } });
  assert.throws(() => parseWhere(['age~3']), { code: 'CLI_USAGE' });
});
