// Mounts the admin API at /graphql: in a worker thread by default (ADMIN_API_WORKER), or on
// the server's own event loop (tests that count the server's SQL queries use that).
import { Worker } from "node:worker_threads";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../services.ts";
import { createAdminHandler, type AdminRequest, type AdminResponse } from "./handler.ts";

type Handle = (req: AdminRequest) => Promise<AdminResponse>;

export async function mountGraphQL(app: FastifyInstance, services: Services): Promise<void> {
  const handle = services.config.adminApiWorker
    ? await startAdminWorker(app, services)
    : createAdminHandler(services, { error: (value) => app.log.error(value) });

  app.route({
    url: "/graphql",
    method: ["GET", "POST", "OPTIONS"],
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers[key] = value;
        else if (Array.isArray(value)) headers[key] = value.join(", ");
      }
      const response = await handle({ method: req.method, url: req.url, headers, body: req.body });
      return reply.status(response.status).headers(response.headers).send(response.body);
    },
  });
}

/** Starts the worker, waits until its services are up, and returns a request forwarder. */
async function startAdminWorker(app: FastifyInstance, services: Services): Promise<Handle> {
  const worker = new Worker(new URL("./admin-worker.mjs", import.meta.url), { workerData: { config: services.config } });
  const pending = new Map<number, { resolve: (r: AdminResponse) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | null = null;

  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (msg: { type: string; id?: number; response?: AdminResponse; error?: string; clientId?: string }) => {
      if (msg.type === "ready") resolve();
      else if (msg.type === "invalidate") services.clients.invalidate(msg.clientId!);
      else if (msg.type === "response") {
        const waiter = pending.get(msg.id!);
        pending.delete(msg.id!);
        if (msg.response) waiter?.resolve(msg.response);
        else waiter?.reject(new Error(`admin API failed: ${msg.error}`));
      }
    });
    worker.on("error", (err) => {
      failure = err;
      reject(err);
      for (const w of pending.values()) w.reject(err);
      pending.clear();
      app.log.error(err, "the admin API worker failed");
    });
  });
  await ready;
  worker.on("exit", (code) => {
    failure ??= new Error(`the admin API worker exited (code ${code})`);
    for (const w of pending.values()) w.reject(failure);
    pending.clear();
  });

  app.addHook("onClose", async () => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      worker.on("message", (msg: { type: string }) => {
        if (msg.type === "closed") {
          clearTimeout(timer);
          resolve();
        }
      });
      worker.postMessage({ type: "close" });
    });
    await worker.terminate();
  });

  return (request) =>
    new Promise<AdminResponse>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ type: "request", id, request });
    });
}
