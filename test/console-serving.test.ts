// The console is served by the server itself, and its OAuth client is a fixture the server
// keeps right: hashed assets cached for good, index.html never, an SPA fallback, a CSP
// without inline scripts, and the client `scopekeeper-console` restored at every start.
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CLIENT_ID, ensureConsoleClient } from "../src/applications/console-client.ts";
import { preferredEncoding } from "../src/ui/console.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe("serving the console", () => {
  it("answers /console with index.html, not cached, under a CSP that allows no inline script", async () => {
    for (const path of ["/console", "/console/", "/console/applications/app_x/credentials", "/console/callback?code=abc"]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toMatch(/connect-src 'self'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      const html = await res.text();
      expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/index-[\w-]+\.js"><\/script>/);
      // Nothing in the page comes from another host.
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it("serves hashed assets with a year of immutable caching, and a missing asset is a 404, not the page", async () => {
    const asset = readdirSync(new URL("../console/dist/assets/", import.meta.url)).find((f) => /^index-[\w-]+\.js$/.test(f))!;
    const res = await fetch(`${server.url}/console/assets/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    expect(res.headers.get("cache-control")).toMatch(/max-age=31536000/);
    expect(res.headers.get("cache-control")).toMatch(/immutable/);
    // Read every body: an unread one keeps its connection busy, and closing the server waits for it.
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    const missing = await fetch(`${server.url}/console/assets/index-nothere.js`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
  });
});

/** The raw response, not decoded (fetch would undo the Content-Encoding and hide it). */
function rawGet(url: string, acceptEncoding: string | null): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: acceptEncoding === null ? {} : { "accept-encoding": acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

describe("precompressed console assets", () => {
  const dist = new URL("../console/dist/", import.meta.url);
  const assets = readdirSync(new URL("assets/", dist));
  const script = assets.find((f) => /^index-[\w-]+\.js$/.test(f))!;
  const style = assets.find((f) => /^index-[\w-]+\.css$/.test(f))!;

  it("were made at build time: every script and style has a .br and a .gz that decode to it", () => {
    for (const name of assets.filter((f) => /\.(js|css)$/.test(f) && readFileSync(new URL(`assets/${f}`, dist)).length > 1024)) {
      const raw = readFileSync(new URL(`assets/${name}`, dist));
      expect(brotliDecompressSync(readFileSync(new URL(`assets/${name}.br`, dist))).equals(raw), name).toBe(true);
      expect(gunzipSync(readFileSync(new URL(`assets/${name}.gz`, dist))).equals(raw), name).toBe(true);
    }
  });

  it("sends br or gzip by Accept-Encoding, with Content-Encoding and Vary, decoding to the same bytes; identity still works", async () => {
    for (const [name, type] of [[script, /javascript/], [style, /text\/css/]] as const) {
      const url = `${server.url}/console/assets/${name}`;
      const onDisk = readFileSync(new URL(`assets/${name}`, dist));
      const identity = await rawGet(url, null);
      expect(identity.status).toBe(200);
      expect(identity.headers["content-encoding"]).toBeUndefined();
      expect(identity.headers["content-type"]).toMatch(type);
      expect(identity.headers.vary).toMatch(/accept-encoding/i);
      expect(identity.body.equals(onDisk)).toBe(true);
      expect((await rawGet(url, "identity")).body.equals(onDisk)).toBe(true);

      const br = await rawGet(url, "gzip, deflate, br, zstd");
      expect(br.headers["content-encoding"]).toBe("br");
      expect(br.headers["content-type"]).toMatch(type);
      expect(br.headers.vary).toMatch(/accept-encoding/i);
      expect(br.headers["cache-control"]).toMatch(/immutable/);
      expect(br.body.length).toBeLessThan(onDisk.length / 2);
      expect(brotliDecompressSync(br.body).equals(onDisk)).toBe(true);

      const gzip = await rawGet(url, "gzip, deflate");
      expect(gzip.headers["content-encoding"]).toBe("gzip");
      expect(gzip.headers.vary).toMatch(/accept-encoding/i);
      expect(gunzipSync(gzip.body).equals(onDisk)).toBe(true);
      // br refused with q=0: gzip.
      expect((await rawGet(url, "br;q=0, gzip")).headers["content-encoding"]).toBe("gzip");
    }
  });

  it("negotiates index.html the same way, and keeps it uncached", async () => {
    const onDisk = readFileSync(new URL("index.html", dist));
    const br = await rawGet(`${server.url}/console/applications`, "gzip, br");
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.headers["cache-control"]).toBe("no-store");
    expect(brotliDecompressSync(br.body).equals(onDisk)).toBe(true);
    const gzip = await rawGet(`${server.url}/console/`, "gzip");
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzip.body).equals(onDisk)).toBe(true);
    const identity = await rawGet(`${server.url}/console/`, null);
    expect(identity.headers["content-encoding"]).toBeUndefined();
    expect(identity.body.equals(onDisk)).toBe(true);
  });

  it("chooses the encoding as RFC 9110 says", () => {
    expect(preferredEncoding(undefined)).toBeNull();
    expect(preferredEncoding("")).toBeNull();
    expect(preferredEncoding("identity")).toBeNull();
    expect(preferredEncoding("gzip, deflate, br")).toBe("br");
    expect(preferredEncoding("gzip;q=1, br;q=0.5")).toBe("gzip");
    expect(preferredEncoding("br;q=0, gzip;q=0")).toBeNull();
    expect(preferredEncoding("*")).toBe("br");
    expect(preferredEncoding("*, br;q=0")).toBe("gzip");
    expect(preferredEncoding("x-gzip")).toBe("gzip");
    expect(preferredEncoding(["deflate", "GZIP"])).toBe("gzip");
  });
});

describe("the console's OAuth client", () => {
  it("exists as a first-party public SPA with PKCE, its redirect URI following ISSUER, and the four delegated grants", async () => {
    const app = await server.services.db.connectApplication.findUniqueOrThrow({
      where: { clientId: CONSOLE_CLIENT_ID },
      include: { redirectUris: true, scopeGrants: true },
    });
    expect(app).toMatchObject({ applicationType: "OAUTH", platform: "SPA", isFirstParty: true, usesPkce: true, organizationId: null });
    expect(app.redirectUris.filter((r) => r.kind === "REDIRECT").map((r) => [r.uri, r.isDefault])).toEqual([[`${server.url}/console/callback`, true]]);
    expect(app.scopeGrants.map((g) => `${g.kind} ${g.scope}`).sort()).toEqual([
      "DELEGATED connect.applications.manage",
      "DELEGATED connect.applications.read",
      "DELEGATED offline_access",
      "DELEGATED openid",
    ]);
  });

  it("is made right again at start-up: a changed redirect URI, a dropped grant and an extra grant are all undone", async () => {
    const db = server.services.db;
    const app = await db.connectApplication.findUniqueOrThrow({ where: { clientId: CONSOLE_CLIENT_ID } });
    await db.redirectUri.updateMany({ where: { applicationId: app.id, kind: "REDIRECT" }, data: { uri: "https://evil.example/callback" } });
    await db.scopeGrant.deleteMany({ where: { applicationId: app.id, scope: "openid" } });
    await db.scopeGrant.create({ data: { applicationId: app.id, scope: "connect.applications.manage", kind: "APPLICATION" } });
    await db.connectApplication.update({ where: { id: app.id }, data: { isFirstParty: false, platform: "WEB" } });

    await ensureConsoleClient(db, "https://console.example.test/");

    const fixed = await db.connectApplication.findUniqueOrThrow({ where: { id: app.id }, include: { redirectUris: true, scopeGrants: true } });
    expect(fixed).toMatchObject({ isFirstParty: true, platform: "SPA" });
    expect(fixed.redirectUris.filter((r) => r.kind === "REDIRECT").map((r) => r.uri)).toEqual(["https://console.example.test/console/callback"]);
    expect(fixed.scopeGrants.map((g) => `${g.kind} ${g.scope}`).sort()).toEqual([
      "DELEGATED connect.applications.manage",
      "DELEGATED connect.applications.read",
      "DELEGATED offline_access",
      "DELEGATED openid",
    ]);
    await ensureConsoleClient(db, server.url);
  });
});
