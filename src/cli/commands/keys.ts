// `scopekeeper keys rotate`: a new active signing key.
import { CliError } from "../errors.ts";
import { parseOptions } from "../args.ts";
import { openServices } from "./database.ts";
import type { Command } from "./command.ts";

export const keys: Command = {
  name: "keys",
  summary: "keys rotate: add a new signing key; the old one stays published until its tokens expire",
  help: `Usage: scopekeeper keys rotate

Creates a new ES256 signing key and makes it the active one. The previous key stays in
/.well-known/jwks.json until every token it signed has expired. Running servers pick the new
key up within 30 seconds.

Example:
  scopekeeper keys rotate`,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub !== "rotate") throw new CliError(`${sub ? `unknown keys command ${JSON.stringify(sub)}` : "keys needs a command"}: use scopekeeper keys rotate`);
    parseOptions("keys rotate", rest, {});
    const config = ctx.config();
    return openServices(config, async (services) => {
      const { kid, retired } = await services.keys.rotate();
      console.log(`active signing key: ${kid}${retired.length ? `; still published until their tokens expire: ${retired.join(", ")}` : ""}`);
      return 0;
    });
  },
};
