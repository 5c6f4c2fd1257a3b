// Human renderings of records and the error contract of the CLI, checked on exact text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { TfgridError } from '../base/index.ts';
import { humanRecord, reportError } from './output.ts';

test('humanRecord aligns keys, indents nested values, shows empty lists and ...Ms timestamps as dates', () => {
  const text = humanRecord({ id: 7, name: 'farm', publicIps: [], createdMs: 0x1a1e4b3e6d0, nested: { cru: 4 }, list: [{ ip: '10.0.0.1' }] });
  assert.equal(
    text,
    ['id         7', 'name       farm', 'publicIps  (none)', `createdMs  ${new Date(0x1a1e4b3e6d0).toISOString()}`, 'nested', '  cru  4', 'list', '  [0]', '    ip  10.0.0.1'].join('\n'),
  );
  assert.equal(humanRecord({}), '{}');
  assert.equal(humanRecord(null), 'null');
});

test('reportError: coded input errors exit 2, other coded errors 1, bugs 1 with a stack', () => {
  const sink = new PassThrough();
  let written = '';
  sink.on('data', (chunk: Buffer) => (written += chunk.toString()));
  assert.equal(reportError(new TfgridError('CHAIN_INVALID_PAYLOAD', 'bad'), false, sink), 2);
  assert.equal(reportError(new TfgridError('CHAIN_INSUFFICIENT_FUNDS', 'poor'), true, sink), 1);
  assert.equal(reportError(new Error('boom'), false, sink), 1);
  assert.match(written, /^error: CHAIN_INVALID_PAYLOAD: bad\n\{"error":\{"code":"CHAIN_INSUFFICIENT_FUNDS","message":"CHAIN_INSUFFICIENT_FUNDS: poor"\}\}\ninternal error \(a bug in tfgrid\): Error: boom/);
});
