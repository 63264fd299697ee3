// A control for the "token p99 while secrets are created" measurement: an unrelated process
// that only hashes argon2id at the OWASP default, at a steady rate, at nice 19 like
// Scopekeeper's own hashing child. Whatever it does to the token endpoint's latency is the cost
// of the hashing itself on this machine, with none of Scopekeeper's code involved. Started like
// the other peers; it ignores their PORT.
//   ARGON2_LOAD_PER_S (default 20)
import { setPriority } from "node:os";
import argon2 from "argon2";

const perSecond = Number(process.env.ARGON2_LOAD_PER_S ?? 20);
try {
  setPriority(19);
} catch {
  // not permitted: hash at the default priority
}
let n = 0;
setInterval(() => {
  void argon2.hash(`control-${n++}`, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
}, 1000 / perSecond);
console.log(JSON.stringify({ ready: true }));
