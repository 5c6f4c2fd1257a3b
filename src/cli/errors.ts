// CLI error codes and the exit-code contract (documented in src/cli/README.md).
export const CliError = {
  USAGE: 'CLI_USAGE',
  CONFIG_INVALID: 'CLI_CONFIG_INVALID',
  NO_INPUT: 'CLI_NO_INPUT',
  PASSPHRASE_REQUIRED: 'CLI_PASSPHRASE_REQUIRED',
  VERIFY_FAILED: 'CLI_VERIFY_FAILED',
} as const;

export const ExitCode = {
  ok: 0,
  /** The operation ran and failed, or answered no (an invalid signature). */
  failure: 1,
  /** The command line, a config file or an input was invalid: nothing was done. */
  usage: 2,
} as const;

/** Codes that mean the caller's input was wrong rather than the operation failing. */
export function isUsageCode(code: string): boolean {
  return /(^CLI_USAGE$|^CLI_NO_INPUT$|^CLI_PASSPHRASE_REQUIRED$|INVALID|NOT_CANONICAL)/.test(code);
}
