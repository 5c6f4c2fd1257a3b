// The flist file: one SQLite database describing a filesystem tree, its blocks and where they
// are stored. Written once, to a temp file renamed into place; read-only afterwards. The schema
// and its version are documented in README.md.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { renameSync, rmSync, statSync } from 'node:fs';
import { TfgridError } from '../base/index.ts';
import { FlistError } from './errors.ts';
import { checkName, fileTypeBits, typeOfMode, type BlockRef, type Inode, type Tree } from './tree.ts';

export const flistFormat = 'tfgrid-flist/1';
export const rootIno = 1;

const schemaSql = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE inode (ino INTEGER PRIMARY KEY, mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL, size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL, rdev INTEGER NOT NULL, target TEXT NOT NULL);
CREATE TABLE entry (parent INTEGER NOT NULL, name TEXT NOT NULL, ino INTEGER NOT NULL, PRIMARY KEY (parent, name)) WITHOUT ROWID;
CREATE TABLE xattr (ino INTEGER NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (ino, name)) WITHOUT ROWID;
CREATE TABLE block (ino INTEGER NOT NULL, idx INTEGER NOT NULL, id BLOB NOT NULL, key BLOB NOT NULL, compressed INTEGER NOT NULL,
  size INTEGER NOT NULL, PRIMARY KEY (ino, idx)) WITHOUT ROWID;
CREATE TABLE tag (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE route (start INTEGER NOT NULL, end INTEGER NOT NULL, url TEXT NOT NULL);
`;

/** Which stores hold the blocks whose id starts with a byte in [start, end]. */
export interface Route {
  readonly start: number;
  readonly end: number;
  readonly url: string;
}

export interface FlistInode {
  readonly ino: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  /** Nanoseconds since the epoch. */
  readonly mtimeNs: bigint;
  readonly rdev: number;
  readonly target: string;
}

export interface FlistEntry {
  readonly parent: number;
  readonly name: string;
  readonly ino: number;
}

/** Writes `tree` as an flist at `path` (atomically: a temp file renamed into place). */
export function writeFlist(path: string, tree: Tree, routes: readonly Route[], tags: Readonly<Record<string, string>>): void {
  const temp = `${path}.tmp-${process.pid}`;
  rmSync(temp, { force: true });
  const db = new DatabaseSync(temp);
  try {
    db.exec('PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;');
    db.exec(schemaSql);
    db.exec('BEGIN');
    const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    meta.run('format', flistFormat);
    meta.run('created', new Date().toISOString());
    const inodeStmt = db.prepare('INSERT INTO inode (ino, mode, uid, gid, size, mtime_ns, rdev, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const entryStmt = db.prepare('INSERT INTO entry (parent, name, ino) VALUES (?, ?, ?)');
    const xattrStmt = db.prepare('INSERT INTO xattr (ino, name, value) VALUES (?, ?, ?)');
    const blockStmt = db.prepare('INSERT INTO block (ino, idx, id, key, compressed, size) VALUES (?, ?, ?, ?, ?, ?)');
    const numbers = new Map<Inode, number>([[tree.root, rootIno]]);
    const writeInode = (inode: Inode, ino: number): void => {
      inodeStmt.run(ino, fileTypeBits[inode.type] | inode.mode, inode.uid, inode.gid, inode.type === 'file' ? inode.size : 0, inode.mtimeNs, inode.rdev, inode.target);
      for (const [name, value] of inode.xattrs) xattrStmt.run(ino, name, value);
      inode.blocks.forEach((block, idx) => blockStmt.run(ino, idx, block.id, block.key, block.compressed ? 1 : 0, block.size));
    };
    writeInode(tree.root, rootIno);
    for (const { name, parent, inode } of tree.walk()) {
      let ino = numbers.get(inode);
      if (ino === undefined) {
        ino = numbers.size + 1;
        numbers.set(inode, ino);
        writeInode(inode, ino);
      }
      entryStmt.run(numbers.get(parent)!, name, ino);
    }
    const tagStmt = db.prepare('INSERT INTO tag (key, value) VALUES (?, ?)');
    for (const [key, value] of Object.entries(tags)) tagStmt.run(key, value);
    const routeStmt = db.prepare('INSERT INTO route (start, end, url) VALUES (?, ?, ?)');
    for (const route of routes) routeStmt.run(route.start, route.end, route.url);
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    rmSync(temp, { force: true });
    throw error;
  }
  db.close();
  renameSync(temp, path);
}

/** A read-only flist. Every read maps SQLite failures (a truncated or damaged file) to FLIST_CORRUPT. */
export class Flist {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  static open(path: string): Flist {
    try {
      statSync(path);
    } catch (error) {
      throw new TfgridError(FlistError.INVALID, `no flist at ${path}`, { cause: error });
    }
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path, { readOnly: true });
      const flist = new Flist(path, db);
      const format = flist.meta('format');
      if (format !== flistFormat) throw new TfgridError(FlistError.CORRUPT, `${path} is ${format === undefined ? 'not an flist' : `format ${format}, not ${flistFormat}`}`);
      const check = db.prepare('PRAGMA quick_check').get() as { quick_check: string } | undefined;
      if (check?.quick_check !== 'ok') throw new TfgridError(FlistError.CORRUPT, `${path} is damaged: ${check?.quick_check ?? 'no answer'}`);
      return flist;
    } catch (error) {
      db?.close();
      if (error instanceof TfgridError) throw error;
      throw new TfgridError(FlistError.CORRUPT, `${path} is not a readable flist: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): void {
    this.#db.close();
  }

  meta(key: string): string | undefined {
    return (this.#query('SELECT value FROM meta WHERE key = ?', [key])[0] as { value: string } | undefined)?.value;
  }

  tags(): Record<string, string> {
    return Object.fromEntries(this.#query('SELECT key, value FROM tag ORDER BY key').map((row) => [(row as { key: string }).key, (row as { value: string }).value]));
  }

  routes(): Route[] {
    return this.#query('SELECT start, end, url FROM route ORDER BY rowid').map((row) => row as Route);
  }

  inodes(): Map<number, FlistInode> {
    const out = new Map<number, FlistInode>();
    for (const row of this.#query('SELECT ino, mode, uid, gid, size, mtime_ns AS mtimeNs, rdev, target FROM inode', [], { bigInts: true })) {
      const r = row as { ino: bigint; mode: bigint; uid: bigint; gid: bigint; size: bigint; mtimeNs: bigint; rdev: bigint; target: string };
      const inode: FlistInode = { ino: Number(r.ino), mode: Number(r.mode), uid: Number(r.uid), gid: Number(r.gid), size: Number(r.size), mtimeNs: r.mtimeNs, rdev: Number(r.rdev), target: r.target };
      typeOfMode(inode.mode); // a mode without a file type is a damaged flist
      out.set(inode.ino, inode);
    }
    if (!out.has(rootIno) || typeOfMode(out.get(rootIno)!.mode) !== 'directory') throw new TfgridError(FlistError.CORRUPT, `${this.path} has no root directory`);
    return out;
  }

  /** Entries, names checked: a name that could leave the target is FLIST_UNSAFE_PATH. */
  entries(): FlistEntry[] {
    const rows = this.#query('SELECT parent, name, ino FROM entry ORDER BY parent, name').map((row) => row as FlistEntry);
    for (const row of rows) checkName(row.name);
    return rows;
  }

  xattrs(): Map<number, Map<string, Buffer>> {
    const out = new Map<number, Map<string, Buffer>>();
    for (const row of this.#query('SELECT ino, name, value FROM xattr')) {
      const { ino, name, value } = row as { ino: number; name: string; value: Uint8Array };
      let map = out.get(ino);
      if (map === undefined) out.set(ino, (map = new Map<string, Buffer>()));
      map.set(name, Buffer.from(value));
    }
    return out;
  }

  blocks(ino: number): BlockRef[] {
    return this.#query('SELECT id, key, compressed, size FROM block WHERE ino = ? ORDER BY idx', [ino]).map((row) => {
      const r = row as { id: Uint8Array; key: Uint8Array; compressed: number; size: number };
      return { id: Buffer.from(r.id), key: Buffer.from(r.key), compressed: r.compressed === 1, size: r.size };
    });
  }

  /** Every block reference, for inspect/verify: (ino, id, size). */
  allBlocks(): Array<{ ino: number; id: Buffer; size: number; key: Buffer; compressed: boolean }> {
    return this.#query('SELECT ino, id, key, compressed, size FROM block').map((row) => {
      const r = row as { ino: number; id: Uint8Array; key: Uint8Array; compressed: number; size: number };
      return { ino: r.ino, id: Buffer.from(r.id), key: Buffer.from(r.key), compressed: r.compressed === 1, size: r.size };
    });
  }

  /** `bigInts` reads integers as bigints (nanosecond times exceed 2^53). */
  #query(sql: string, params: Array<string | number> = [], options: { bigInts?: boolean } = {}): unknown[] {
    try {
      let statement = this.#statements.get(sql);
      if (statement === undefined) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
      statement.setReadBigInts(options.bigInts === true);
      return statement.all(...params);
    } catch (error) {
      throw new TfgridError(FlistError.CORRUPT, `${this.path} is damaged: ${(error as Error).message}`, { cause: error });
    }
  }
}
