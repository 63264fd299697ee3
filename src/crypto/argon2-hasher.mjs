// Child process that computes argon2id hashes for src/crypto/secrets.ts. It runs at a lower
// CPU priority than the server, so creating secrets and passwords never takes a core away
// from token issuance. Plain JavaScript: it starts without the TypeScript loader.
import argon2 from "argon2";

process.on("message", async (msg) => {
  try {
    const hash = await argon2.hash(msg.plaintext, { type: argon2.argon2id, ...msg.params });
    process.send({ id: msg.id, hash });
  } catch (err) {
    process.send({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
process.on("disconnect", () => process.exit(0));
