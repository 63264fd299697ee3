// People who sign in during authorization tests.
import { hashPassword } from "../../src/auth/users.ts";
import type { TestServer } from "./server.ts";

export async function createUser(
  server: TestServer,
  organizationId: string | null,
  email: string,
  password = "correct horse battery staple",
  role: "ADMIN" | "MEMBER" = "MEMBER",
  name: string | null = null,
) {
  const passwordHash = await hashPassword(password, server.config.argon2);
  const user = await server.services.db.user.create({ data: { email, passwordHash, name } });
  if (organizationId) await server.services.db.membership.create({ data: { organizationId, userId: user.id, role } });
  return { id: user.id, email, password };
}
