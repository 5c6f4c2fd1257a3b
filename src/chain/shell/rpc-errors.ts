// How a coded error becomes an HTTP status. Clients read `error.code`; the status is for proxies
// and people. Unknown codes are 400 when they look like bad input, else 500.
import { ChainError } from '../errors.ts';
import { ChainShellError } from './errors.ts';

const statusByCode: Readonly<Record<string, number>> = {
  [ChainShellError.INVALID_REQUEST]: 400,
  [ChainError.INVALID_TX]: 400,
  [ChainError.INVALID_PAYLOAD]: 400,
  [ChainError.UNKNOWN_TX_TYPE]: 400,
  [ChainError.BAD_SIGNATURE]: 400,
  [ChainShellError.NOT_FOUND]: 404,
  [ChainError.UNKNOWN_ACCOUNT]: 404,
  [ChainError.UNKNOWN_TWIN]: 404,
  [ChainError.UNKNOWN_FARM]: 404,
  [ChainError.UNKNOWN_NODE]: 404,
  [ChainError.UNKNOWN_CONTRACT]: 404,
  [ChainError.UNKNOWN_PRICING_POLICY]: 404,
  [ChainError.UNKNOWN_IP]: 404,
  [ChainError.INSUFFICIENT_FUNDS]: 402,
  [ChainError.NOT_OWNER]: 403,
  [ChainError.NOT_ADMIN]: 403,
  [ChainError.BAD_NONCE]: 409,
  [ChainShellError.DUPLICATE_TX]: 409,
  [ChainError.DUPLICATE_NAME]: 409,
  [ChainError.ALREADY_EXISTS]: 409,
  [ChainError.DUPLICATE_DEPLOYMENT]: 409,
  [ChainError.NODE_RENTED]: 409,
  [ChainError.NODE_HAS_CONTRACTS]: 409,
  [ChainError.NO_FREE_IP]: 409,
  [ChainError.IP_IN_USE]: 409,
  [ChainError.INVALID_CONTRACT_STATE]: 422,
  [ChainShellError.REQUEST_TOO_LARGE]: 413,
  [ChainShellError.SIGNER_PENDING_FULL]: 429,
  [ChainShellError.MEMPOOL_FULL]: 503,
  [ChainShellError.STOPPING]: 503,
  [ChainShellError.WAIT_TIMEOUT]: 504,
};

export function httpStatusOf(code: string): number {
  return statusByCode[code] ?? (/INVALID/.test(code) ? 400 : 500);
}
