// Structured logging: one JSON object per line on stderr (or a given sink), with a level,
// a timestamp, the component and free-form fields. `TFGRID_LOG_LEVEL` picks the threshold.

export const LogLevels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LogLevels;
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  component: string;
  level?: LogLevel;
  sink?: (line: string) => void;
  now?: () => Date;
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  if (value === undefined || value === '') return fallback;
  if (Object.hasOwn(LogLevels, value)) return value as LogLevel;
  throw new Error(`unknown log level '${value}' (expected one of ${Object.keys(LogLevels).join(', ')})`);
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? parseLogLevel(process.env['TFGRID_LOG_LEVEL']);
  const sink = options.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? (() => new Date());
  const threshold = LogLevels[level];

  const make = (bound: LogFields): Logger => {
    const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void => {
      if (LogLevels[lvl] < threshold) return;
      const record = { ts: now().toISOString(), level: lvl, component: options.component, msg, ...bound, ...fields };
      sink(JSON.stringify(record, errorReplacer));
    };
    return {
      debug: (msg, fields) => write('debug', msg, fields),
      info: (msg, fields) => write('info', msg, fields),
      warn: (msg, fields) => write('warn', msg, fields),
      error: (msg, fields) => write('error', msg, fields),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}

// Errors and bigints are not JSON: log errors by code and message, bigints as decimal strings.
function errorReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? { message: value.message } : { code, message: value.message };
  }
  return value;
}
