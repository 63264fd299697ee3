// Serializes changes to one application across concurrent requests and processes.
import type { Prisma } from "../db/client.ts";
import type { Provider } from "../db/url.ts";

/**
 * Rules that count (at most 5 active secrets), read-then-write (grants), or decide once
 * (publication) hold under concurrent requests: SQLite already runs one writer at a time;
 * PostgreSQL takes the application's row lock until the transaction ends.
 */
export async function lockApplication(tx: Prisma.TransactionClient, provider: Provider, id: string): Promise<void> {
  if (provider === "postgresql") await tx.$queryRaw`SELECT id FROM "ConnectApplication" WHERE id = ${id} FOR UPDATE`;
}
