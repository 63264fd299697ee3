// The registry's free-text search: `%` and `_` are matched as themselves, not as LIKE
// wildcards. Prisma's `contains` passes them through to LIKE, and on SQLite without an
// ESCAPE clause, so there a search that contains them is answered with instr() instead.
import type { Db } from "../db/client.ts";
import type { Provider } from "../db/url.ts";
import { ValidationError } from "../errors.ts";

export const SEARCH_MAX_LENGTH = 200;

export async function applicationSearchWhere(db: Db, provider: Provider, search: string): Promise<object> {
  if (search.length > SEARCH_MAX_LENGTH) {
    throw new ValidationError([{ path: ["search"], code: "search_too_long", message: `must be at most ${SEARCH_MAX_LENGTH} characters` }]);
  }
  const exact = [{ clientId: search }, { clientCode: search }];
  if (!/[%_\\]/.test(search)) return { OR: [{ name: { contains: search } }, { description: { contains: search } }, ...exact] };
  if (provider === "postgresql") {
    // PostgreSQL's LIKE escapes with a backslash by default.
    const escaped = search.replace(/[\\%_]/g, "\\$&");
    return { OR: [{ name: { contains: escaped } }, { description: { contains: escaped } }, ...exact] };
  }
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM ConnectApplication WHERE instr(name, ${search}) > 0 OR instr(coalesce(description, ''), ${search}) > 0`;
  return { OR: [{ id: { in: rows.map((r) => r.id) } }, ...exact] };
}
