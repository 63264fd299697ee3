// Mounts the admin API at /graphql on the server's own event loop, with Yoga's Fastify
// integration: Yoga reads the body Fastify already parsed instead of parsing it again.
// Yoga, Pothos and the schema (about 25 MB resident and 0.4 s to load) are imported on the
// first /graphql request, not at start: a process that only issues tokens never pays for them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../services.ts";

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

export async function mountGraphQL(app: FastifyInstance, services: Services): Promise<void> {
  let handler: Promise<Handler> | undefined;
  const load = () =>
    (handler ??= import("./handler.ts").then(
      ({ createAdminHandler }) => createAdminHandler(services, { error: (value) => app.log.error(value) }),
      (err: unknown) => {
        handler = undefined; // the next request tries again
        throw err;
      },
    ));
  app.route({
    url: "/graphql",
    method: ["GET", "POST", "OPTIONS"],
    handler: async (req, reply) => (await load())(req, reply),
  });
}
