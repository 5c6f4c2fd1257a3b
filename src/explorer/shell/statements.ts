// A cache of prepared statements keyed by SQL text: the API's queries are built per request from
// fixed fragments, so the same few hundred texts recur and preparing each once saves the parse.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';

export const statementsCachedMax = 512;

export class Statements {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      if (this.#cache.size >= statementsCachedMax) this.#cache.delete(this.#cache.keys().next().value!);
      statement = this.#db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  all<T>(sql: string, params: readonly SQLInputValue[] = []): T[] {
    return this.#prepare(sql).all(...params) as T[];
  }

  get<T>(sql: string, params: readonly SQLInputValue[] = []): T | undefined {
    return this.#prepare(sql).get(...params) as T | undefined;
  }
}
