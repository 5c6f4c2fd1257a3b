// CommandNames: ASCII case-insensitive, exact-length matching, and the old upper-casing for the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandNames } from './names.ts';

test('command names resolve case-insensitively to the table name; others upper-case as before', () => {
  const names = new CommandNames(['GET', 'SET', 'SETX', '*', 'NSINFO']);
  for (const text of ['GET', 'get', 'gEt']) assert.equal(names.resolve(Buffer.from(text)), 'GET');
  assert.equal(names.resolve(Buffer.from('setx')), 'SETX');
  assert.equal(names.resolve(Buffer.from('*')), '*');
  assert.equal(names.resolve(Buffer.from('NsInfo')), 'NSINFO');
  assert.equal(names.resolve(Buffer.from('S')), 'S', 'no prefix matching (0-db runs prefixes, we do not)');
  assert.equal(names.resolve(Buffer.from('GETX')), 'GETX');
  assert.equal(names.resolve(Buffer.from('G\u00c5T', 'latin1')), 'G\u00c5T', 'a non-ASCII byte is no letter of GET');
  assert.equal(names.resolve(Buffer.from('g{t')), 'G{T', '{ is not an upper-cased [');
  assert.equal(names.resolve(Buffer.from('stra\u00dfe', 'latin1')), 'STRASSE', 'unknown names upper-case like String.toUpperCase');
});
