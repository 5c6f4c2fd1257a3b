// Test support (not public API): sample trees on disk and a full description of a tree (content
// hashes, modes, owners, times, link targets, hard-link groups, xattrs) to compare two trees.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A tree with every kind of entry an flist must keep (devices only as root). */
export function sampleTree(root: string, options: { seed?: number; bigBytes?: number } = {}): void {
  const seed = options.seed ?? 1;
  mkdirSync(join(root, 'etc', 'conf.d'), { recursive: true });
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'empty-dir'));
  writeFileSync(join(root, 'etc', 'hosts'), `127.0.0.1 localhost ${seed}\n`);
  writeFileSync(join(root, 'etc', 'conf.d', 'a.conf'), 'a=1\n');
  writeFileSync(join(root, 'empty'), '');
  const big = Buffer.alloc(options.bigBytes ?? 1_300_000);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  writeFileSync(join(root, 'bin', 'tool'), big);
  chmodSync(join(root, 'bin', 'tool'), 0o4755);
  linkSync(join(root, 'bin', 'tool'), join(root, 'bin', 'tool-alias'));
  linkSync(join(root, 'bin', 'tool'), join(root, 'bin', 'tool-hard'));
  symlinkSync('../etc/hosts', join(root, 'bin', 'hosts-link'));
  symlinkSync('/etc/passwd', join(root, 'abs-link'));
  symlinkSync('dangling/target', join(root, 'dangling'));
  writeFileSync(join(root, 'etc', 'secret'), 'shh\n', { mode: 0o600 });
  execFileSync('mkfifo', [join(root, 'pipe')]);
  execFileSync('setfattr', ['-n', 'user.origin', '-v', 'tfgrid-test', join(root, 'etc', 'hosts')]);
  chmodSync(join(root, 'empty-dir'), 0o1777);
  if (process.getuid?.() === 0) {
    chownSync(join(root, 'etc', 'secret'), 1234, 5678);
    execFileSync('mknod', [join(root, 'null'), 'c', '1', '3']);
  }
  utimesSync(join(root, 'etc', 'hosts'), 1_600_000_000.123456, 1_600_000_000.123456);
}

export interface Described {
  readonly path: string;
  readonly line: string;
}

/**
 * Asserts two descriptions are the same tree; times may differ by 2 µs (utimes takes a double of
 * seconds, which rounds nanoseconds to about a quarter of a microsecond either way).
 */
export function assertSameTree(actual: readonly string[], expected: readonly string[]): void {
  const split = (line: string): [string, number] => {
    const parts = line.split(' ');
    return [[...parts.slice(0, 4), ...parts.slice(5)].join(' '), Number(parts[4])];
  };
  assert.deepEqual(actual.map((line) => split(line)[0]), expected.map((line) => split(line)[0]));
  actual.forEach((line, i) => {
    const [a, b] = [split(line)[1], split(expected[i]!)[1]];
    assert.ok(Math.abs(a - b) <= 2, `${line}: time ${a} µs, expected ${b}`);
  });
}

/**
 * One line per entry: type, mode, owner, size, mtime (µs, utimes keeps about that much),
 * content hash or link target, device number, hard-link group, xattrs.
 */
export function describeTree(root: string, options: { mtimeSeconds?: boolean } = {}): string[] {
  const lines: string[] = [];
  const groups = new Map<string, string>();
  const visit = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(abs, { bigint: true });
      const mtime = options.mtimeSeconds === true ? String(st.mtimeNs / 1_000_000_000n) : String(st.mtimeNs / 1000n);
      let what = '';
      if (st.isFile()) what = createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 16);
      else if (st.isSymbolicLink()) what = `-> ${readlinkSync(abs)}`;
      else if (st.isCharacterDevice() || st.isBlockDevice()) what = `dev ${st.rdev}`;
      let group = '';
      if (st.nlink > 1n && !st.isDirectory()) {
        const key = `${st.dev}:${st.ino}`;
        if (!groups.has(key)) groups.set(key, path);
        group = ` link-group=${groups.get(key)}`;
      }
      const xattrs = st.isSymbolicLink() ? '' : execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', '--absolute-names', abs], { encoding: 'utf8' })
        .split('\n').filter((line) => line.includes('=')).sort().join(',');
      lines.push(`${path} ${(Number(st.mode) & 0o177777).toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? st.size : '-'} ${mtime} ${what}${group} ${xattrs}`);
      if (st.isDirectory()) visit(abs, path);
    }
  };
  visit(root, '');
  return lines;
}
