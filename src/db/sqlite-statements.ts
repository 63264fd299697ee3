// Prisma's better-sqlite3 adapter (7.10) compiles every statement anew: `prepare(sql)` on each
// query, the largest single cost of a write after SQLite's own work (7% of the main thread's
// time for createConnectApplication + addClientSecret, 2-3% of a 100-application list). This
// keeps the compiled statements by SQL text and hands the adapter a fresh binding each time.
// Safe because better-sqlite3 runs each statement to completion synchronously: a cached
// statement is never in use by two queries at once.
import type { Database, Statement } from "better-sqlite3";

/** A compiled statement and its result columns, which the adapter asks for on every read. */
interface Compiled {
  stmt: Statement;
  columns: ReturnType<Statement["columns"]> | null;
}

/** The part of a better-sqlite3 statement the adapter uses, with its parameters bound. */
class Bound {
  readonly #compiled: Compiled;
  readonly #args: unknown[];
  constructor(compiled: Compiled, args: unknown[]) {
    this.#compiled = compiled;
    this.#args = args;
  }
  get reader(): boolean {
    return this.#compiled.stmt.reader;
  }
  bind(...args: unknown[]): Bound {
    return new Bound(this.#compiled, args);
  }
  columns() {
    return (this.#compiled.columns ??= this.#compiled.stmt.columns());
  }
  raw() {
    return { all: () => this.#compiled.stmt.raw(true).all(...this.#args) };
  }
  run() {
    return this.#compiled.stmt.run(...this.#args);
  }
}

export function reusePreparedStatements(client: Database, max = 500): void {
  // A Map, oldest first: past `max` texts the first compiled goes (lru-cache's bookkeeping cost
  // more than the compilations it saved, measured).
  const compiled = new Map<string, Compiled>();
  const prepare = client.prepare.bind(client);
  (client as unknown as { prepare(sql: string): Bound }).prepare = (sql: string) => {
    let entry = compiled.get(sql);
    if (!entry) {
      entry = { stmt: prepare(sql), columns: null };
      compiled.set(sql, entry);
      if (compiled.size > max) compiled.delete(compiled.keys().next().value!);
    }
    return new Bound(entry, []);
  };
}
