// The one place that says what hostile input looks like (issue 16 item 3). Every door's
// property (test/fuzz-*.test.ts) builds its requests from these pieces: a door is a base of
// plausible parameters plus the mutations below, so a new endpoint is one more property.
import fc from "fast-check";

/** A request as it leaves the fuzzer: method, path with query, headers, raw body. */
export interface FuzzRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Cases per property; `npm run fuzz` raises it with FUZZ_RUNS. */
export function fuzzRuns(fallback: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

// ---------------------------------------------------------------------------------------------
// Values

/** encodeURIComponent that also takes lone surrogates (as a browser's form encoder does). */
export function encode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1).replace(/\+/g, "%20");
}

const CONTROL = fc.constantFrom("\u0000", "\u0001", "\u0007", "\b", "\t", "\n", "\r", "\u001b", "\u007f", "\u0085", "\u2028", "\ufeff");
const WEIRD_UNICODE = fc.constantFrom("é", "ß", "İ", "ﬁ", "𝔘", "😀", "👨‍👩‍👧", "\u0301", "\u202e", "\ud800", "\udfff", "Ω", "中文", "ـ", "\uffff");
const INJECTION = fc.constantFrom("' OR 1=1 --", '"; DROP TABLE "User"; --', "<script>alert(1)</script>", "${7*7}", "{{7*7}}", "../../etc/passwd", "%00", "%", "%zz", "%E0%A4%A", "+", "&", "=", "\\", "null", "undefined", "[object Object]", "__proto__", "constructor");
const ABSURD_NUMBER = fc.oneof(
  fc.constantFrom("0", "-1", "1e309", "-1e309", "NaN", "Infinity", "-0", "9007199254740993", "18446744073709551616", "0x7fffffff", "1.7976931348623157e308", "4.9e-324", "99999999999999999999999999999999999"),
  fc.bigInt({ min: -(2n ** 128n), max: 2n ** 128n }).map(String),
  fc.double().map(String),
);

/** Strings no legitimate client sends: unicode oddities, controls and NUL, injections, numbers. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.array(fc.oneof(CONTROL, WEIRD_UNICODE, fc.string({ maxLength: 4 })), { maxLength: 12 }).map((a) => a.join("")),
  INJECTION,
  ABSURD_NUMBER,
  fc.constant(""),
  fc.constant(" "),
);

/** Lengths around and far beyond the 8192-character parameter limit and the body limits. */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(8191, 8192, 8193, 20_000, 70_000, 300_000), fc.constantFrom("a", "é", "\u0000", "😀", "%", "A1-_"))
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

/** A valid value, slightly broken: truncated, a character inserted, cased, padded, doubled. */
export function mutated(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.nat({ max: Math.max(0, valid.length - 1) }).map((i) => valid.slice(0, i)),
    fc.tuple(fc.nat({ max: valid.length }), fc.oneof(CONTROL, WEIRD_UNICODE, fc.string({ minLength: 1, maxLength: 2 }))).map(([i, c]) => valid.slice(0, i) + c + valid.slice(i)),
    fc.constantFrom(valid.toUpperCase(), valid.toLowerCase(), ` ${valid}`, `${valid} `, `${valid}${valid}`, `${valid}\u0000`, encode(valid)),
  );
}

/** A parameter value: mostly the valid one (so checks deeper in are reached), else hostile. */
export function fieldValue(valid: string | readonly string[]): fc.Arbitrary<string> {
  const valids = typeof valid === "string" ? [valid] : [...valid];
  const good = fc.constantFrom(...valids);
  return fc.oneof(
    { weight: 4, arbitrary: good },
    { weight: 3, arbitrary: good.chain(mutated) },
    { weight: 3, arbitrary: nastyString },
    { weight: 1, arbitrary: hugeString },
  );
}

/** JSON nested far deeper than any request needs (the parsers must not fall over). */
export const deepJson: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(50, 1000, 10_000, 100_000), fc.constantFrom("[", "{\"a\":"))
  .map(([depth, open]) => {
    const close = open === "[" ? "]" : "}";
    return open.repeat(depth) + "1" + close.repeat(depth);
  });

/** Any JSON value, including the wrong types where a string or an object is expected. */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constant(1e308), fc.constant(-0), fc.constant(2 ** 63)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(nastyString, nastyString, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 6 }) },
);

// ---------------------------------------------------------------------------------------------
// Forms: encoding, duplicated parameters, content types

/** A form body built from pairs, sometimes encoded wrongly on purpose. */
export function formBody(pairs: fc.Arbitrary<[string, string][]>): fc.Arbitrary<string> {
  return fc
    .tuple(pairs, fc.constantFrom("proper", "proper", "proper", "raw", "semicolons"))
    .map(([list, how]) => {
      if (how === "proper") return new URLSearchParams(list).toString();
      if (how === "raw") return list.map(([k, v]) => `${k}=${v}`).join("&");
      return list.map(([k, v]) => `${encode(k)}=${encode(v)}`).join(";");
    });
}

/**
 * The pairs of a form: the base parameters with hostile values, sometimes one dropped, one
 * repeated (RFC 6749 §3.2 forbids it), or an unknown one added.
 */
export function formPairs(base: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<[string, string][]> {
  const keys = Object.keys(base);
  const valueRecord = fc.record(base);
  return fc
    .tuple(
      valueRecord,
      fc.subarray(keys, { minLength: 0 }).map((k) => new Set(k)),
      fc.option(fc.tuple(fc.constantFrom(...keys), fc.oneof(nastyString, fc.constant(""))), { freq: 4 }),
      fc.option(fc.tuple(fc.oneof(nastyString, fc.constantFrom("client_id", "scope", "__proto__", "grant_type")), nastyString), { freq: 5 }),
      fc.boolean(),
    )
    .map(([values, drop, dup, extra, keepAll]) => {
      const pairs: [string, string][] = keys.filter((k) => keepAll || !drop.has(k)).map((k) => [k, values[k]!]);
      if (dup) pairs.push(dup);
      if (extra) pairs.push(extra);
      return pairs;
    });
}

export const FORM = "application/x-www-form-urlencoded";

/** Mostly the right content type, else a wrong, missing or mangled one. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(FORM) },
  { weight: 1, arbitrary: fc.constantFrom(`${FORM}; charset=utf-8`, `${FORM}; charset=iso-8859-1`, `${FORM}; charset=bogus`, "APPLICATION/X-WWW-FORM-URLENCODED") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      "application/json",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/octet-stream",
      "application/x-www-form-urlencodedX",
      ";;;",
      "*/*",
    ),
  },
);

// ---------------------------------------------------------------------------------------------
// Credentials

/** Authorization headers that are almost, or not at all, HTTP Basic (RFC 6749 §2.3.1). */
export function basicHeader(clientId: string, secret: string): fc.Arbitrary<string> {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const enc = encode;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(`Basic ${b64(`${enc(clientId)}:${enc(secret)}`)}`) },
    { weight: 2, arbitrary: fc.tuple(fieldValue(clientId), fieldValue(secret)).map(([id, s]) => `Basic ${b64(`${enc(id)}:${enc(s)}`)}`) },
    { weight: 2, arbitrary: fc.tuple(fieldValue(clientId), fieldValue(secret)).map(([id, s]) => `Basic ${b64(`${id}:${s}`)}`) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom("Basic", "Basic ", "Basic =", "Basic ====", "Basic !!!!", "basic", "Bearer x", "Digest a=b", "Basic Og==", "Basic OjpfOg==", `Basic ${b64(clientId)}`, `Basic ${b64(`${clientId}:`)}`, `Basic ${b64(`:${secret}`)}`),
        fc.string({ unit: "binary", maxLength: 60 }).map((s) => `Basic ${b64(s)}`),
        fc.uint8Array({ maxLength: 60 }).map((b) => `Basic ${Buffer.from(b).toString("base64")}`),
        fc.stringMatching(/^[A-Za-z0-9+/=_-]{0,80}$/).map((s) => `Basic ${s}`),
        fc.constantFrom(`Basic ${b64(`${clientId}%:${secret}`)}`, `Basic ${b64(`${clientId}:${secret}%ZZ`)}`, `Basic ${b64(`${"a".repeat(5000)}:${secret}`)}`, `Basic ${b64(`${clientId}\u0000:${secret}`)}`),
      ),
    },
  );
}

/** A JWT's shape, broken in the ways attackers try: alg none, bad segments, foreign keys. */
export function jwtLike(valid: string): fc.Arbitrary<string> {
  const [h = "", p = "", s = ""] = valid.split(".");
  const seg = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const payload = (() => {
    try {
      return JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>;
    } catch {
      return {};
    }
  })();
  return fc.oneof(
    fc.constant(valid),
    mutated(valid),
    fc.constantFrom(
      `${seg({ alg: "none", typ: "at+jwt" })}.${p}.`,
      `${seg({ alg: "HS256", typ: "at+jwt" })}.${p}.${s}`,
      `${h}.${seg({ ...payload, exp: 9_999_999_999 })}.${s}`,
      `${h}.${seg({ ...payload, sub: "someone-else" })}.${s}`,
      `${h}.${p}`,
      `${h}..${s}`,
      `${h}.${p}.${s}.extra`,
      `..`,
      `${seg({ alg: "ES256", kid: "../../etc/passwd" })}.${p}.${s}`,
      `${seg({ alg: "ES256", jku: "http://127.0.0.1:1/jwks" })}.${p}.${s}`,
      `${seg({ alg: "ES256", crit: ["x"] })}.${p}.${s}`,
      `${seg("not an object")}.${p}.${s}`,
      `${seg([1, 2])}.${seg(42)}.${s}`,
    ),
    fc.tuple(jsonValue, jsonValue).map(([a, b]) => `${seg(a)}.${seg(b)}.${s}`),
    fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{0,30}$/), { minLength: 1, maxLength: 5 }).map((parts) => parts.join(".")),
  );
}

/** A random request path, query and body, for the doors that must refuse anything odd. */
export function percentGarbage(): fc.Arbitrary<string> {
  return fc.array(fc.oneof(fc.constantFrom("%", "%0", "%00", "%zz", "%C3", "%E0%A4%A", "&&", "==", "+", "%2B", "%26"), fc.string({ maxLength: 5 })), { maxLength: 10 }).map((a) => a.join(""));
}
