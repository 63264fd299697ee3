// Readiness: the database answers a trivial query within a bound. A database that hangs must
// make /readyz fail, not hang it; one that comes back makes it pass again with no restart
// (the connection pool opens fresh connections on the next query).
import type { Db } from "../db/client.ts";

export async function databaseReachable(db: Db, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([db.$queryRawUnsafe("SELECT 1").then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
