// Hex at the edges (CLI, JSON, logs); raw bytes inside.
import { TfgridError } from '../base/index.ts';
import { CryptoError } from './errors.ts';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses hex (optionally `0x`-prefixed); `lengthBytes` demands an exact size. */
export function fromHex(text: string, lengthBytes?: number, what = 'value'): Uint8Array {
  const body = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!HEX.test(body)) throw new TfgridError(CryptoError.INVALID_HEX, `${what} is not hex: '${abbreviate(text)}'`);
  if (lengthBytes !== undefined && body.length !== lengthBytes * 2) {
    throw new TfgridError(CryptoError.INVALID_HEX, `${what} must be ${lengthBytes} bytes (${lengthBytes * 2} hex digits), got ${body.length / 2}`);
  }
  return new Uint8Array(Buffer.from(body, 'hex'));
}

function abbreviate(text: string): string {
  return text.length > 20 ? `${text.slice(0, 20)}…` : text;
}
