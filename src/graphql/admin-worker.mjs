// Worker-thread entry of the admin API: load the TypeScript sources through tsx, as bin/ does.
import { register } from "tsx/esm/api";

register();
await import("./admin-worker.ts");
