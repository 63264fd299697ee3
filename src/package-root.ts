// Where things are on disk, whether this code runs from its TypeScript sources (src/) or from
// the build (dist/src/): the package folder holds package.json, prisma/ and node_modules; the
// code folder holds src/ and the hubs in plugins/ in the same language as the running code.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder above src/: the package folder, or dist/ in the build. */
export const CODE_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** The package folder (package.json, prisma/, node_modules). */
export const PACKAGE_ROOT = existsSync(join(CODE_ROOT, "package.json")) ? CODE_ROOT : dirname(CODE_ROOT);
