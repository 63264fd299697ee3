// The policy's sso.sign_in rule on its own, row by row (test/sso.test.ts walks it end to end
// against real providers): who an organization's identity provider may sign in or let join.
import { describe, expect, it } from "vitest";
import { ssoSignIn, type SsoSignInFacts } from "../src/access/policy.ts";

const base: SsoSignInFacts = {
  provider: { name: "Acme ID", organizationName: "Acme", jitRole: null, emailDomains: [] },
  linked: null,
  email: "kit@acme.example",
  emailVerified: true,
  existing: null,
};
const facts = (over: Partial<SsoSignInFacts>, provider: Partial<SsoSignInFacts["provider"]> = {}): SsoSignInFacts => ({ ...base, ...over, provider: { ...base.provider, ...provider } });

describe("sso.sign_in", () => {
  it("signs in the member a subject is linked to, whatever the email says", () => {
    expect(ssoSignIn(facts({ linked: { userId: "u1", isMember: true }, email: "", emailVerified: false }))).toEqual({ userId: "u1" });
  });
  it("refuses a linked person who left the organization", () => {
    expect(ssoSignIn(facts({ linked: { userId: "u1", isMember: false } }))).toMatchObject({ refused: expect.stringContaining("no longer a member of Acme") });
  });
  it("signs in the member with the verified email, never someone outside the organization", () => {
    expect(ssoSignIn(facts({ existing: { userId: "u2", isMember: true } }))).toEqual({ userId: "u2" });
    expect(ssoSignIn(facts({ existing: { userId: "u3", isMember: false } }, { jitRole: "MEMBER" }))).toMatchObject({ refused: expect.stringContaining("is not a member of Acme") });
  });
  it("refuses an absent or unverified email", () => {
    expect(ssoSignIn(facts({ email: "" }))).toMatchObject({ refused: expect.stringContaining("did not say which email") });
    expect(ssoSignIn(facts({ emailVerified: false, existing: { userId: "u2", isMember: true } }))).toMatchObject({ refused: expect.stringContaining("has not verified") });
  });
  it("lets a new person join only with the provider's jitRole, and only from its emailDomains when it lists any", () => {
    expect(ssoSignIn(facts({}))).toMatchObject({ refused: expect.stringContaining("does not let new people join") });
    expect(ssoSignIn(facts({}, { jitRole: "MEMBER" }))).toEqual({ join: "MEMBER" });
    expect(ssoSignIn(facts({}, { jitRole: "ADMIN", emailDomains: ["acme.example"] }))).toEqual({ join: "ADMIN" });
    expect(ssoSignIn(facts({ email: "kit@elsewhere.example" }, { jitRole: "MEMBER", emailDomains: ["acme.example"] }))).toMatchObject({ refused: expect.stringContaining("signs in new people of acme.example only") });
  });
});
