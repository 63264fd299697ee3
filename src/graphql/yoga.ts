// Mounts the admin API at /graphql on the server's own event loop, with Yoga's Fastify
// integration: Yoga reads the body Fastify already parsed instead of parsing it again.
import type { FastifyInstance } from "fastify";
import type { Services } from "../services.ts";
import { createAdminHandler } from "./handler.ts";

export async function mountGraphQL(app: FastifyInstance, services: Services): Promise<void> {
  const handle = createAdminHandler(services, { error: (value) => app.log.error(value) });
  app.route({ url: "/graphql", method: ["GET", "POST", "OPTIONS"], handler: handle });
}
