// An exclusive lock on a directory, so that two processes never write the same files (0-db data
// and index directories, relay queues). 0-db takes flock(2) on `<dir>/.lockfile`; Node has no flock (and no native addons here), so the
// lock is the file's existence plus its content `{pid, startedMs, hostname, token}`:
// - created atomically with its content (write a temp file, link(2) it to `.lockfile`: fails with
//   EEXIST when it exists, and nobody ever sees a half-written lock);
// - when it exists and its pid is alive on this host (kill(pid, 0), and /proc/<pid>/cmdline looks
//   like a node/tfgrid process when readable), the start is refused with the caller's `locked` code;
// - otherwise the holder died without closing (kill -9, power loss): the stale lock is replaced by
//   rename(2) of our temp file, under a takeover guard (`.lockfile.takeover`, created exclusively)
//   so that two starters racing for the same stale lock cannot both win; then we re-read it to
//   confirm the token is ours;
// - removed by release() (clean close), only if it still holds our token.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TfgridError } from './errors.ts';
import { fsyncDirSync, writeFileSyncDurable } from './files.ts';
import type { Logger } from './log.ts';

export const LOCK_FILE = '.lockfile';
const ATTEMPTS = 50;
const RETRY_MS = 20;

export interface LockRecord {
  pid: number;
  startedMs: number;
  hostname: string;
  token: string;
}

export interface DirLock {
  readonly path: string;
  readonly record: LockRecord;
  /** Removes the lock file if it is still ours. Never throws. */
  release(): void;
}

/** The error codes of the component that locks: `locked` for a live holder, `io` for a failure. */
export interface DirLockCodes {
  readonly locked: string;
  readonly io: string;
}

/** Takes the lock of `dir` or throws `codes.locked` (a live holder) / `codes.io`. */
export function acquireDirLock(dir: string, log: Logger, codes: DirLockCodes): DirLock {
  const path = join(dir, LOCK_FILE);
  const record: LockRecord = { pid: process.pid, startedMs: Date.now(), hostname: hostname(), token: randomBytes(12).toString('hex') };
  const text = `${JSON.stringify(record)}\n`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const temp = writeTemp(path, record.token, text);
    try {
      try {
        fs.linkSync(temp, path);
        fsyncDirSync(dir);
        return ownedLock(path, record, log);
      } catch (error) {
        if (errno(error) !== 'EEXIST') throw error;
      }
      const holderText = readOrNull(path);
      if (holderText === null) continue; // released meanwhile: try again
      const holder = parseRecord(holderText);
      if (holder !== null && holderAlive(holder)) {
        throw new TfgridError(codes.locked, `${dir} is in use by pid ${holder.pid} on ${holder.hostname} since ${new Date(holder.startedMs).toISOString()}; stop it first`, {
          details: { lockFile: path, pid: holder.pid, hostname: holder.hostname, startedMs: holder.startedMs },
        });
      }
      if (takeOver(path, holderText, temp, dir)) {
        if (readOrNull(path) === text) {
          log.warn('replaced a stale lock file (its holder is gone: a crash?)', { lockFile: path, previous: holder ?? holderText.slice(0, 200) });
          return ownedLock(path, record, log);
        }
      }
    } catch (error) {
      if (error instanceof TfgridError) throw error;
      throw new TfgridError(codes.io, `cannot lock ${dir}: ${(error as Error).message}`, { cause: error });
    } finally {
      fs.rmSync(temp, { force: true });
    }
    sleepMs(RETRY_MS);
  }
  throw new TfgridError(codes.locked, `${dir}: could not take ${path} after ${ATTEMPTS} attempts (another server is starting?)`);
}

/** Whether the recorded holder may still be running (unknown counts as alive: refusing is safe). */
export function holderAlive(holder: LockRecord): boolean {
  if (holder.hostname !== hostname()) return true; // cannot check another host's pids
  if (holder.pid === process.pid) return true; // another open in this process
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return errno(error) === 'EPERM'; // ESRCH: no such process
  }
  // The pid exists; after a crash and a reboot or wrap it may be an unrelated process.
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${holder.pid}/cmdline`, 'latin1');
  } catch {
    return true; // no /proc: assume alive
  }
  return /node|tfgrid|zdb/i.test(cmdline);
}

/**
 * Replaces the stale lock whose content was `staleText` by the temp file, if nobody changed it
 * meanwhile. Returns false when another starter is taking over (or took over): retry.
 */
function takeOver(path: string, staleText: string, temp: string, dir: string): boolean {
  const guard = `${path}.takeover`;
  try {
    fs.linkSync(temp, guard);
  } catch (error) {
    if (errno(error) !== 'EEXIST') throw error;
    const guardHolder = parseRecord(readOrNull(guard) ?? '');
    // A guard left by a starter that died during its takeover (or unreadable and old) is removed.
    if (guardHolder === null ? guardAgeMs(guard) > 5000 : !holderAlive(guardHolder)) fs.rmSync(guard, { force: true });
    return false;
  }
  try {
    if (readOrNull(path) !== staleText) return false;
    fs.renameSync(temp, path);
    fsyncDirSync(dir);
    return true;
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

function ownedLock(path: string, record: LockRecord, log: Logger): DirLock {
  let released = false;
  return {
    path,
    record,
    release() {
      if (released) return;
      released = true;
      try {
        const current = parseRecord(readOrNull(path) ?? '');
        if (current?.token !== record.token) {
          log.warn('lock file is no longer ours: left in place', { lockFile: path });
          return;
        }
        fs.unlinkSync(path);
      } catch (error) {
        log.warn('removing the lock file failed', { lockFile: path, error });
      }
    },
  };
}

function writeTemp(path: string, token: string, text: string): string {
  const temp = `${path}.${token}.tmp`;
  writeFileSyncDurable(temp, text, 0o600);
  return temp;
}

function parseRecord(text: string): LockRecord | null {
  try {
    const value = JSON.parse(text) as Partial<LockRecord> | null;
    if (value === null || typeof value !== 'object') return null;
    if (!Number.isSafeInteger(value.pid) || (value.pid ?? 0) <= 0 || typeof value.startedMs !== 'number' || typeof value.hostname !== 'string' || typeof value.token !== 'string') return null;
    return value as LockRecord;
  } catch {
    return null;
  }
}

function readOrNull(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (error) {
    if (errno(error) === 'ENOENT') return null;
    throw error;
  }
}

function guardAgeMs(path: string): number {
  try {
    return Date.now() - fs.statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
