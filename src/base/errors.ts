// One error class for every operating error in tfgrid: a stable `code` for programs, a
// `CODE: detail` message for people, and the underlying `cause` when there is one.
// Programmer errors are not TfgridErrors: they are assertion failures and crash the process.

export type ErrorDetails = Readonly<Record<string, unknown>>;

export class TfgridError extends Error {
  readonly code: string;
  readonly details: ErrorDetails | undefined;

  constructor(code: string, detail: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(`${code}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TfgridError';
    this.code = code;
    this.details = options.details;
  }

  /** The message without its `CODE: ` prefix. */
  get detail(): string {
    return this.message.slice(this.code.length + 2);
  }

  toJSON(): { code: string; message: string; details?: ErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isTfgridError(error: unknown, code?: string): error is TfgridError {
  return error instanceof TfgridError && (code === undefined || error.code === code);
}

/** Asserts an invariant. A failure is a bug in tfgrid, never bad input: let it crash. */
export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${why}`);
}
