// What a newcomer sees first: the server's address in a browser, and its first log lines.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.ts";
import { startupLines } from "../src/startup-lines.ts";
import { PAGE_SECURITY_HEADERS } from "../src/ui/html.ts";
import { bootstrapAdmin } from "./helpers/admin.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe("GET /", () => {
  it("answers a page linking the console, GraphiQL and the discovery document, with the pages' security headers", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) expect(res.headers.get(name), name).toBe(value);
    const html = await res.text();
    expect(html).toContain('href="/console"');
    expect(html).toContain('href="/graphql"');
    expect(html).toContain('href="/.well-known/openid-configuration"');
    expect(html).toContain("scopekeeper bootstrap --org");
  });

  it("stops suggesting bootstrap once an organization exists", async () => {
    await bootstrapAdmin(server, "Acme");
    expect(await (await fetch(`${server.url}/`)).text()).not.toContain("scopekeeper bootstrap");
  });
});

describe("the first log lines", () => {
  it("name the database without its password, the URLs and, with no organization yet, the next command", async () => {
    const config = loadConfig({ DATABASE_URL: "postgresql://sk:s3cret@db.internal:5432/scopekeeper", ISSUER: "https://id.acme.test" });
    const noOrganization = { organization: { count: async () => 0 } } as unknown as Parameters<typeof startupLines>[1];
    const lines = await startupLines(config, noOrganization);
    const text = lines.join("\n");
    expect(text).toContain("database: PostgreSQL database sk@db.internal:5432/scopekeeper");
    expect(text).not.toContain("s3cret");
    expect(text).toContain("console: https://id.acme.test/console");
    expect(text).toContain("GraphiQL: https://id.acme.test/graphql");
    expect(text).toContain("discovery: https://id.acme.test/.well-known/openid-configuration");
    expect(lines.at(-1)).toContain("scopekeeper bootstrap --org");
  });

  it("name an SQLite file by its path and leave out bootstrap once an organization exists", async () => {
    const config = loadConfig({ DATABASE_URL: "file:/var/lib/scopekeeper/sk.db" });
    const lines = await startupLines(config, server.services.db);
    expect(lines).toContain("database: SQLite database /var/lib/scopekeeper/sk.db");
    expect(lines.join("\n")).not.toContain("bootstrap");
  });
});
