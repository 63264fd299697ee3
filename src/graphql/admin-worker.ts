// The admin API in a worker thread: its own services (Prisma client, caches) and Yoga, so that
// GraphQL execution and Prisma's synchronous SQLite work never hold up the token endpoint's
// event loop. Changes that must reach the server's in-memory client view at once are posted
// back before the response, on the same port, so they are applied first.
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { Config } from "../config/index.ts";
import { createServices } from "../services.ts";
import { createAdminHandler, type AdminRequest } from "./handler.ts";

const config = workerData.config as Config;

// On Linux a thread has its own nice value: the admin API yields the CPU to token issuance.
const ADMIN_API_NICENESS = 10;
try {
  const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (tid > 0) setPriority(tid, ADMIN_API_NICENESS);
} catch {
  // Not Linux, or not permitted: the worker runs at normal priority.
}
const services = await createServices(config);
const invalidate = services.clients.invalidate.bind(services.clients);
services.clients.invalidate = (clientId: string) => {
  invalidate(clientId);
  parentPort!.postMessage({ type: "invalidate", clientId });
};
const handle = createAdminHandler(services, {
  error: (value) => {
    if (config.logLevel !== "silent") console.error(value);
  },
});

parentPort!.on("message", async (msg: { type: "request"; id: number; request: AdminRequest } | { type: "close" }) => {
  if (msg.type === "close") {
    await services.close();
    parentPort!.postMessage({ type: "closed" });
    return;
  }
  try {
    parentPort!.postMessage({ type: "response", id: msg.id, response: await handle(msg.request) });
  } catch (err) {
    parentPort!.postMessage({ type: "response", id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort!.postMessage({ type: "ready" });
