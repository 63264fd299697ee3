// `scopekeeper pkce`: a PKCE pair (RFC 7636, S256) plus state and nonce, as shell assignments.
import { createHash, randomBytes } from "node:crypto";
import { parseOptions } from "../args.ts";
import type { Command } from "./command.ts";

export const pkce: Command = {
  name: "pkce",
  summary: "print a PKCE verifier and S256 challenge (and a state and nonce) for eval",
  help: `Usage: scopekeeper pkce

Prints export VERIFIER=... CHALLENGE=... STATE=... NONCE=...: a code verifier of 32 random
bytes (base64url), its S256 challenge, and random state and nonce values, for trying the
authorization code flow from a shell. Needs no database.

Example:
  eval "$(scopekeeper pkce)"; echo $CHALLENGE`,
  async run(args) {
    parseOptions("pkce", args, {});
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const random = () => randomBytes(16).toString("base64url");
    console.log(`export VERIFIER=${verifier} CHALLENGE=${challenge} STATE=${random()} NONCE=${random()}`);
    return 0;
  },
};
