// Every failure the command line knows how to explain, as one line naming the cause and the
// next step. Anything not listed here is a bug and keeps its stack trace.
import { ValidationError } from "../errors.ts";
import { describeDatabase } from "../db/url.ts";

/** A failure whose message is already the one line the operator should read. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** What the failing command was working with, to name it in the explanation. */
export interface FailureContext {
  databaseUrl?: string | undefined;
  port?: number | undefined;
  host?: string | undefined;
}

interface CodedError {
  code?: unknown;
  errno?: unknown;
  cause?: unknown;
  message?: unknown;
  meta?: unknown;
}

/** The error itself and the errors it wraps (Prisma adapters and the wasm engine nest them). */
function chain(err: unknown): CodedError[] {
  const out: CodedError[] = [];
  let current: unknown = err;
  while (current && typeof current === "object" && out.length < 6) {
    out.push(current as CodedError);
    current = (current as CodedError).cause;
  }
  return out;
}

function codeOf(errors: CodedError[]): Set<string> {
  const codes = new Set<string>();
  for (const e of errors) {
    if (typeof e.code === "string") codes.add(e.code);
    const meta = e.meta as { driverAdapterError?: { cause?: { originalCode?: string; kind?: string } } } | undefined;
    const original = meta?.driverAdapterError?.cause;
    if (original?.originalCode) codes.add(original.originalCode);
    if (original?.kind) codes.add(original.kind);
  }
  return codes;
}

const textOf = (errors: CodedError[]) => errors.map((e) => (typeof e.message === "string" ? e.message : "")).join("\n");

/** The one line for a failure, or null when it is not one the operator can fix. */
export function explainFailure(err: unknown, ctx: FailureContext = {}): string | null {
  if (err instanceof CliError) return err.message;
  if (err instanceof ValidationError) return err.fieldErrors.map((e) => `--${e.path.join(".")} ${e.message}`).join("; ");
  if (err instanceof Error && ["MigrationError", "CatalogError", "ConfigError"].includes(err.name)) return err.message;

  const errors = chain(err);
  const codes = codeOf(errors);
  const text = textOf(errors);
  const db = ctx.databaseUrl ? describeDatabase(ctx.databaseUrl) : "the database";

  if (codes.has("EADDRINUSE")) {
    const port = ctx.port ?? 4000;
    return `port ${port} is in use: set PORT (e.g. PORT=${port + 1} scopekeeper serve) or stop the process listening on it`;
  }
  if (codes.has("EACCES") && /listen/.test(text)) {
    return `not allowed to listen on port ${ctx.port ?? "?"}: set PORT to 1024 or above`;
  }
  if (codes.has("EADDRNOTAVAIL")) return `cannot listen on HOST=${ctx.host ?? "?"}: it is not an address of this machine; set HOST (e.g. 127.0.0.1 or 0.0.0.0)`;

  // PostgreSQL, by SQLSTATE (pg), Prisma error code (wasm schema engine) or socket error.
  if (codes.has("P2021") || codes.has("42P01") || codes.has("TableDoesNotExist") || /table .* does not exist/i.test(text)) {
    return `${db} is not migrated: run \`scopekeeper migrate\` (or \`scopekeeper serve --migrate\`)`;
  }
  if (codes.has("ECONNREFUSED") || codes.has("P1001") || codes.has("ENOTFOUND") || codes.has("EAI_AGAIN") || codes.has("ETIMEDOUT")) {
    return `cannot reach ${db}: is PostgreSQL running there? Check the host and port in DATABASE_URL`;
  }
  if (codes.has("28P01") || codes.has("28000") || codes.has("P1000") || /password authentication failed/i.test(text)) {
    return `${db} refused the credentials: check the user name and password in DATABASE_URL`;
  }
  if (codes.has("3D000") || codes.has("P1003") || /database .* does not exist/i.test(text)) {
    return `${db} does not exist: create it (e.g. createdb) or fix the database name in DATABASE_URL`;
  }
  // SQLite: a file or folder the process cannot write.
  if (codes.has("SQLITE_CANTOPEN") || codes.has("SQLITE_READONLY") || codes.has("EACCES") || codes.has("EROFS") || /unable to open database file|readonly database/i.test(text)) {
    return `cannot write ${db}: choose a writable path in DATABASE_URL (e.g. file:./data/scopekeeper.db)`;
  }
  return null;
}
