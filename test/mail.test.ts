// Issue 25 item 3: mail. With SMTP_URL, invitations and password-reset links are mailed (and
// still returned to the ADMIN), "Forgot password?" mails a link answering the same whatever the
// address, and the mailed link sets a new password. Without SMTP_URL nothing is mailed. The
// mail is caught by a real SMTP server started here, and the links are followed.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { Agent, authorize, authorizePath, pkcePair } from "./helpers/agent.ts";
import { describeWithChromium, launchChromium } from "./helpers/chromium.ts";
import { freePort, startTestServer, type TestServer } from "./helpers/server.ts";
import { linkIn, startMailCatcher, type MailCatcher } from "./helpers/smtp.ts";
import { createUser } from "./helpers/users.ts";
import { graphqlData } from "./helpers/http.ts";

const OUTPUT = fileURLToPath(new URL("../test-output/", import.meta.url));
const PASSWORD = "correct horse battery staple";

let smtp: MailCatcher;
let server: TestServer;
let acme: Admin;

const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, token, query, variables);
const INVITE = `mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { __typename ... on InviteMemberSuccess { invitationUrl } } }`;
const RESET = `mutation ($input: CreatePasswordResetLinkInput!) { createPasswordResetLink(input: $input) { __typename ... on CreatePasswordResetLinkSuccess { resetUrl } } }`;

/** The sign-in page's form fields (CSRF token and its cookie) for a scripted browser. */
async function forgotForm(agent: Agent) {
  const page = await agent.request("/oauth/forgot");
  expect(page.status).toBe(200);
  return Agent.formFields(page.text).csrf!;
}
const sendLink = (agent: Agent, form: Record<string, string>) => agent.request("/oauth/forgot", { form: { return_to: "/oauth/authorize", ...form } });

beforeAll(async () => {
  smtp = await startMailCatcher();
  server = await startTestServer({ env: { SMTP_URL: smtp.url, MAIL_FROM: "Scopekeeper <accounts@scopekeeper.test>" } });
  acme = await bootstrapAdmin(server, "Acme Corporation");
  await mkdir(OUTPUT, { recursive: true });
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

describe("mail with SMTP_URL", () => {
  it("mails an invitation, in text and HTML with the product's and the organization's name, and still returns its link", async () => {
    const data = await gql(acme.token, INVITE, { input: { organizationId: acme.organizationId, email: "Nia@Acme.example", role: "MEMBER" } });
    const url = data.inviteMember.invitationUrl as string;
    expect(url).toMatch(/\/oauth\/invitation\?token=/);
    const mail = await smtp.next("nia@acme.example");
    expect(mail.from).toBe("accounts@scopekeeper.test");
    expect(mail.subject).toBe("You are invited to join Acme Corporation on Scopekeeper");
    expect(linkIn(mail, server.url)).toBe(url);
    expect(mail.text).toContain("Acme Corporation");
    expect(mail.text).toContain("Scopekeeper");
    expect(mail.html).toContain(`href="${url.replace(/&/g, "&amp;")}"`);
    expect(mail.html).toContain("Acme Corporation");
    // Following the mailed link opens the invitation.
    const page = await new Agent(server.url).request(linkIn(mail, server.url));
    expect(page.status).toBe(200);
    expect(page.text).toContain("Join Acme Corporation");
  });

  it("escapes what a person typed (an organization's name) in the HTML part", async () => {
    const org = await bootstrapAdmin(server, "<b>Bold & Co</b>");
    await gql(org.token, INVITE, { input: { organizationId: org.organizationId, email: "esc@bold.example", role: "ADMIN" } });
    const mail = await smtp.next("esc@bold.example");
    expect(mail.html).toContain("&lt;b&gt;Bold &amp; Co&lt;/b&gt;");
    expect(mail.html).not.toContain("<b>Bold");
  });

  it("mails an ADMIN's password-reset link to the member, and still returns it", async () => {
    const ray = await createUser(server, acme.organizationDbId, "ray@acme.example", PASSWORD);
    const data = await gql(acme.token, RESET, { input: { organizationId: acme.organizationId, userId: `usr_${ray.id}` } });
    const url = data.createPasswordResetLink.resetUrl as string;
    const mail = await smtp.next("ray@acme.example");
    expect(mail.subject).toBe("Choose a new Scopekeeper password");
    expect(linkIn(mail, server.url)).toBe(url);
    expect(mail.text).toContain("Acme Corporation");
  });

  it("answers 'Forgot password?' the same for an unknown address and mails nothing", async () => {
    const agent = new Agent(server.url);
    const csrf = await forgotForm(agent);
    const before = smtp.mails.length;
    const known = await createUser(server, acme.organizationDbId, "kim@acme.example", PASSWORD);
    const unknown = await sendLink(agent, { csrf, email: "nobody@acme.example" });
    const mailed = await sendLink(agent, { csrf, email: known.email });
    expect(unknown.status).toBe(200);
    expect(mailed.status).toBe(200);
    expect(unknown.text).toBe(mailed.text);
    const mail = await smtp.next(known.email);
    expect(mail.subject).toBe("Choose a new Scopekeeper password");
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails.slice(before).map((m) => m.to[0])).toEqual([known.email]);
  });

  it("throttles 'Send link' like sign-ins, per address (429 with Retry-After), and mails nothing for a refused request", async () => {
    // A server of its own: its counters start at zero, with the sign-in limits set low.
    const strict = await startTestServer({ env: { SMTP_URL: smtp.url, SIGN_IN_MAX_FAILURES_PER_ADDRESS: "4", SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "5" } });
    try {
      const org = await bootstrapAdmin(strict, "Strict Ltd");
      await createUser(strict, org.organizationDbId, "flood@strict.example", PASSWORD);
      const agent = new Agent(strict.url);
      const page = await agent.request("/oauth/forgot");
      const csrf = Agent.formFields(page.text).csrf!;
      const send = () => agent.request("/oauth/forgot", { form: { csrf, email: "flood@strict.example", return_to: "/oauth/authorize" } });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await send()).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      const refused = await send();
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(refused.text).toContain("Too many requests for reset links");
      for (let i = 0; i < 4; i++) await smtp.next("flood@strict.example");
      await new Promise((r) => setTimeout(r, 300));
      expect(smtp.mails.filter((m) => m.to.includes("flood@strict.example"))).toHaveLength(4);
      const events = await strict.services.db.auditEvent.findMany({ where: { action: "password_reset.throttled" } });
      expect(events.length).toBe(1);
    } finally {
      await strict.close();
    }
  });

  it("refuses a form without its CSRF token (403), and mails nothing", async () => {
    const agent = new Agent(server.url);
    await forgotForm(agent);
    const res = await sendLink(agent, { csrf: "x".repeat(43), email: "kim@acme.example" });
    expect(res.status).toBe(403);
  });

  it("still returns an invitation link when the mail server is down", async () => {
    const down = await startTestServer({ env: { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` } });
    try {
      const org = await bootstrapAdmin(down, "Offline Ltd");
      const res = await fetch(`${down.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${org.token}` },
        body: JSON.stringify({ query: INVITE, variables: { input: { organizationId: org.organizationId, email: "x@offline.example", role: "MEMBER" } } }),
      });
      const body = (await res.json()) as { data: { inviteMember: { invitationUrl: string } } };
      expect(body.data.inviteMember.invitationUrl).toMatch(/\/oauth\/invitation\?token=/);
      expect(await down.services.mailer.send({ to: "x@offline.example", subject: "s", text: "t", html: "<p>t</p>" })).toBe(false);
    } finally {
      await down.close();
    }
  });
});

describe("without SMTP_URL", () => {
  it("mails nothing and shows no 'Forgot password?'", async () => {
    const plain = await startTestServer();
    try {
      expect(plain.services.mailer.enabled).toBe(false);
      const org = await bootstrapAdmin(plain, "Quiet Inc");
      const before = smtp.mails.length;
      const res = await fetch(`${plain.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${org.token}` },
        body: JSON.stringify({ query: INVITE, variables: { input: { organizationId: org.organizationId, email: "q@quiet.example", role: "MEMBER" } } }),
      });
      expect(((await res.json()) as any).data.inviteMember.invitationUrl).toMatch(/invitation/);
      const login = await new Agent(plain.url).request("/oauth/login");
      expect(login.text).not.toContain("Forgot password?");
      expect((await new Agent(plain.url).request("/oauth/forgot")).status).toBe(404);
      await new Promise((r) => setTimeout(r, 200));
      expect(smtp.mails.length).toBe(before);
    } finally {
      await plain.close();
    }
  });
});

describeWithChromium("Forgot password? in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = (await launchChromium())!;
  });
  afterAll(async () => browser?.close());

  it("leads from the sign-in page to a mailed link that sets a new password, which then signs in", async () => {
    const lee = await createUser(server, acme.organizationDbId, "lee@acme.example", "the old password 1");
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.url}/oauth/login`);
    await page.screenshot({ path: `${OUTPUT}sign-in-forgot-link-1280.png`, fullPage: true });
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.waitForURL((u) => u.pathname === "/oauth/forgot");
    await page.screenshot({ path: `${OUTPUT}forgot-password-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 800 });
    await page.screenshot({ path: `${OUTPUT}forgot-password-390.png`, fullPage: true });
    await page.getByLabel("Email").fill("LEE@acme.example");
    await page.getByRole("button", { name: "Send link" }).click();
    await page.getByRole("status").filter({ hasText: "If an account uses that email" }).waitFor();
    await page.screenshot({ path: `${OUTPUT}forgot-password-sent-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: `${OUTPUT}forgot-password-sent-1280.png`, fullPage: true });

    const mail = await smtp.next(lee.email);
    await page.goto(linkIn(mail, server.url));
    await page.screenshot({ path: `${OUTPUT}reset-from-mail-1280.png`, fullPage: true });
    await page.getByLabel("New password").fill("a brand new password");
    await page.getByLabel("Repeat the password").fill("a brand new password");
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByRole("heading", { name: "Your password is changed" }).waitFor();

    // The link worked once; the new password signs in, the old one no longer does.
    const again = await page.goto(linkIn(mail, server.url));
    expect(again?.status()).toBe(410);
    const agent = new Agent(server.url);
    const params = { response_type: "code", client_id: "scopekeeper-console", redirect_uri: `${server.url}/console/callback`, scope: "openid", state: "s", nonce: "n", code_challenge: pkcePair().challenge, code_challenge_method: "S256" };
    const back = await authorize(agent, params, { email: lee.email, password: "a brand new password" });
    expect(back.toString()).toMatch(/[?&]code=/);
    const old = await new Agent(server.url).login(lee.email, "the old password 1", `/oauth/login?return_to=${encodeURIComponent(authorizePath(params))}`);
    expect(old.status).toBe(401);
    await page.close();
  });
});
