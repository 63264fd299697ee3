// One source for rules (issue 23, item 4): the console's form rules (console/src/rules.ts) are
// built from the server's numbers (src/applications/limits.ts). This test does not read either
// number: it finds, by probing, the largest (and smallest) value the SERVER's own validator
// accepts for each field, and checks that the console's schema accepts exactly that value and
// refuses the next. A limit typed by hand on either side, or a server rule that stops using
// limits.ts, fails here.
import { describe, expect, it } from "vitest";
import * as consoleRules from "../console/src/rules.ts";
import { PROVIDER_URL_MAX } from "../src/auth/provider-urls.ts";
import { APPLICATION_FIELDS, checkJwks } from "../src/applications/fields.ts";
import { validateIdentityProvider, validateSignIn, isSubjectLength, type SignInShape } from "../src/applications/identity-providers.ts";
import { isInvitableEmail, isOrganizationNameLength } from "../src/applications/members.ts";
import { NOTES_MAX, REASON_MAX } from "../src/applications/publication.ts";
import { validateSecretInput } from "../src/applications/rules.ts";

type Probe = (n: number) => boolean;

/** The largest n in [from, ceiling] that `accepts` takes, given that it takes `from`. */
function largestAccepted(accepts: Probe, from: number, ceiling = 1_000_000): number {
  expect(accepts(from), `the probe's start ${from} is accepted`).toBe(true);
  let lo = from;
  let hi = from + 1;
  while (hi <= ceiling && accepts(hi)) {
    lo = hi;
    hi = Math.min(ceiling + 1, lo * 2 + 1);
  }
  if (hi > ceiling) throw new Error("no upper limit found");
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (accepts(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The smallest n in [floor, from] that `accepts` takes, given that it takes `from`. */
function smallestAccepted(accepts: Probe, from: number, floor = 0): number {
  let n = from;
  while (n > floor && accepts(n - 1)) n -= 1;
  return n;
}

/** Same upper boundary on both sides; returns it for the record. */
function sameMax(server: Probe, console: Probe, from: number): number {
  const max = largestAccepted(server, from);
  expect({ at: max, console: console(max) }).toEqual({ at: max, console: true });
  expect({ at: max + 1, console: console(max + 1) }).toEqual({ at: max + 1, console: false });
  return max;
}

function sameMin(server: Probe, console: Probe, from: number, floor = 0): number {
  const min = smallestAccepted(server, from, floor);
  expect({ at: min, console: console(min) }).toEqual({ at: min, console: true });
  if (min > floor) expect({ at: min - 1, console: console(min - 1) }).toEqual({ at: min - 1, console: false });
  return min;
}

const a = (n: number) => "a".repeat(n);
const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;
/** Whether a zod object's verdict on `values` leaves `field` without an issue. */
function fieldOk(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } }, values: object, field: string): boolean {
  const r = schema.safeParse(values);
  return r.success || !r.error!.issues.some((i) => i.path[0] === field);
}

describe("the console's field rules are the server's", () => {
  it("application name and description (fields.ts)", () => {
    const name = sameMax((n) => ok(APPLICATION_FIELDS.name.schema, a(n)), (n) => ok(consoleRules.applicationName, a(n)), 1);
    expect(sameMin((n) => ok(APPLICATION_FIELDS.name.schema, a(n)), (n) => ok(consoleRules.applicationName, a(n)), 1)).toBe(1);
    const description = sameMax((n) => ok(APPLICATION_FIELDS.description.schema, a(n)), (n) => ok(consoleRules.applicationDescription, a(n)), 0);
    expect([name, description]).toEqual([100, 1000]);
  });

  it("the token-exchange access token lifetime (fields.ts)", () => {
    const server: Probe = (n) => ok(APPLICATION_FIELDS.tokenExchange.schema, { enabled: true, accessTokenTtlSeconds: n });
    const console: Probe = (n) => ok(consoleRules.tokenExchangeTtl, String(n));
    expect([sameMin(server, console, 3600), sameMax(server, console, 3600)]).toEqual([60, 86400]);
  });

  it("a client secret's description and its expiry, up to 730 days (rules.ts)", () => {
    const form = (description: string, expiresInDays: string) => ({ description, expiresInDays });
    sameMax(
      (n) => validateSecretInput({ description: a(n) }).length === 0,
      (n) => fieldOk(consoleRules.secretForm, form(a(n), ""), "description"),
      0,
    );
    const days: [Probe, Probe] = [
      (n) => validateSecretInput({ expiresInDays: n }).length === 0,
      (n) => fieldOk(consoleRules.secretForm, form("", String(n)), "expiresInDays"),
    ];
    expect([sameMin(...days, 180), sameMax(...days, 180)]).toEqual([1, 730]);
  });

  it("a private_key_jwt application's JWK Set length (fields.ts)", () => {
    const key = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" };
    const jwks = (n: number) => {
      const text = JSON.stringify({ keys: [key] });
      return text + " ".repeat(Math.max(0, n - text.length));
    };
    const form = (text: string) => ({ source: "jwks", jwks: text, jwksUri: "" });
    sameMax((n) => checkJwks(jwks(n)) === null, (n) => fieldOk(consoleRules.publicKeysForm, form(jwks(n)), "jwks"), 200);
  });

  it("an organization's name and an invited person's email (members.ts)", () => {
    sameMax((n) => isOrganizationNameLength(a(n)), (n) => fieldOk(consoleRules.organizationForm, { name: a(n), adminEmail: "ada@acme.example" }, "name"), 1);
    const email = (n: number) => `${a(Math.max(1, n - 13))}@acme.example`;
    sameMax((n) => isInvitableEmail(email(n)), (n) => fieldOk(consoleRules.inviteForm, { email: email(n), role: "MEMBER" }, "email"), 20);
    for (const text of ["ada@acme", "ada acme@x.example", "@acme.example", "ada@acme.example"]) {
      expect({ text, console: fieldOk(consoleRules.inviteForm, { email: text, role: "MEMBER" }, "email") }).toEqual({ text, console: isInvitableEmail(text) });
    }
  });

  it("an identity provider's fields and its single sign-on settings (identity-providers.ts)", () => {
    const shape = { name: "Okta", issuer: "https://acme.okta.example", jwksUri: null as string | null, audience: "api://acme", subjectMapping: "EMAIL" as const, clockSkewSeconds: 60 };
    const values = {
      name: "Okta",
      issuer: "https://acme.okta.example",
      jwksUri: "",
      audience: "api://acme",
      subjectMapping: "EMAIL",
      clockSkewSeconds: "60",
      signInEnabled: false,
      signInClientId: "",
      signInClientSecret: "",
      signInEmailDomains: "",
      signInJitRole: "",
      signInSecretStored: false,
    };
    const server = (field: string, patch: object) => !validateIdentityProvider({ ...shape, ...patch }, false).some((e) => e.path[0] === field);
    const console = (field: string, patch: object) => fieldOk(consoleRules.identityProviderForm, { ...values, ...patch }, field);
    sameMax((n) => server("name", { name: a(n) }), (n) => console("name", { name: a(n) }), 1);
    sameMax((n) => server("audience", { audience: a(n) }), (n) => console("audience", { audience: a(n) }), 1);
    const url = (n: number) => `https://idp.example/${a(Math.max(0, n - 20))}`;
    expect(sameMax((n) => server("issuer", { issuer: url(n) }), (n) => console("issuer", { issuer: url(n) }), 30)).toBe(PROVIDER_URL_MAX);
    sameMax((n) => server("jwksUri", { jwksUri: url(n) }), (n) => console("jwksUri", { jwksUri: url(n) }), 30);
    const skew: [Probe, Probe] = [(n) => server("clockSkewSeconds", { clockSkewSeconds: n }), (n) => console("clockSkewSeconds", { clockSkewSeconds: String(n) })];
    expect([sameMin(...skew, 60), sameMax(...skew, 60)]).toEqual([0, 300]);

    const signIn: SignInShape = { enabled: false, clientId: null, newSecret: null, storedSecret: null, emailDomains: [], jitRole: null };
    const signInOk = (field: string, patch: Partial<SignInShape>) => !validateSignIn({ ...signIn, ...patch }).some((e) => e.path[1] === field);
    sameMax((n) => signInOk("clientId", { clientId: a(n) }), (n) => console("signInClientId", { signInClientId: a(n) }), 1);
    sameMax((n) => signInOk("clientSecret", { newSecret: a(n) }), (n) => console("signInClientSecret", { signInClientSecret: a(n) }), 1);
    const domains = (n: number) => Array.from({ length: n }, (_, i) => `d${i}.example`);
    sameMax((n) => signInOk("emailDomains", { emailDomains: domains(n) }), (n) => console("signInEmailDomains", { signInEmailDomains: domains(n).join("\n") }), 1);
    for (const domain of ["acme.example", "localhost", "-bad.example", "a_b.example", "acme.example."]) {
      expect({ domain, console: console("signInEmailDomains", { signInEmailDomains: domain }) }).toEqual({ domain, console: signInOk("emailDomains", { emailDomains: [domain] }) });
    }
    // Turning sign-in on needs a client ID and a secret (one already stored will do).
    expect(validateSignIn({ ...signIn, enabled: true }).map((e) => e.path.join("."))).toEqual(["signIn.clientId", "signIn.clientSecret"]);
    expect(console("signInClientId", { signInEnabled: true })).toBe(false);
    expect(console("signInClientSecret", { signInEnabled: true, signInClientId: "x" })).toBe(false);
    expect(console("signInClientSecret", { signInEnabled: true, signInClientId: "x", signInSecretStored: true })).toBe(true);

    sameMax((n) => isSubjectLength(a(n)), (n) => fieldOk(consoleRules.linkSubjectForm, { subject: a(n), userId: "usr_1" }, "subject"), 1);
  });

  it("a publication request's notes and a rejection's reason (publication.ts)", () => {
    sameMax((n) => n <= NOTES_MAX, (n) => ok(consoleRules.publicationRequestForm, { notes: a(n) }), 0);
    sameMax((n) => n >= 1 && n <= REASON_MAX, (n) => ok(consoleRules.rejectForm, { reason: a(n) }), 1);
  });
});
