// Issue 10 item 6: at every endpoint that requires client authentication, none at all or a
// scheme we do not support is RFC 6749 §5.2 invalid_client, HTTP 401 with a challenge.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { postForm } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let server: TestServer;
let admin: Admin;

beforeAll(async () => {
  server = await startTestServer();
  admin = await bootstrapAdmin(server, "Acme");
});
afterAll(async () => server?.close());

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");

const UNSUPPORTED: [string, (a: Admin) => Record<string, string>][] = [
  ["no client authentication at all", () => ({})],
  ["Digest", (a) => ({ authorization: `Digest username="${a.clientId}", realm="scopekeeper", nonce="x", uri="/oauth/token", response="y"` })],
  ["Bearer", (a) => ({ authorization: `Bearer ${a.token}` })],
  ["Basic that is not base64", () => ({ authorization: "Basic !!!not-base64!!!" })],
  ["Basic without a colon", (a) => ({ authorization: `Basic ${b64(a.clientId)}` })],
  ["Basic that is not UTF-8", () => ({ authorization: `Basic ${b64(Buffer.from([0xff, 0xfe, 0x3a, 0xc3, 0x28]))}` })],
  ["Basic with broken percent-encoding", (a) => ({ authorization: `Basic ${b64(`${a.clientId}:%E0%A4%A`)}` })],
  ["an empty Basic", () => ({ authorization: "Basic " })],
];

const DOORS: [string, Record<string, string>][] = [
  ["/oauth/token", { grant_type: "client_credentials", scope: "connect.applications.read" }],
  ["/oauth/revoke", { token: "whatever" }],
  ["/oauth/introspect", { token: "whatever" }],
];

describe.each(DOORS)("%s", (path, form) => {
  it.each(UNSUPPORTED)("answers 401 invalid_client with a Basic challenge for %s", async (_name, headers) => {
    const res = await postForm(`${server.url}${path}`, form, headers(admin));
    expect(res).toMatchObject({ status: 401, body: { error: "invalid_client", error_description: expect.any(String) } });
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("still accepts the client's real credentials", async () => {
    const res = await postForm(`${server.url}${path}`, form, { authorization: `Basic ${b64(`${admin.clientId}:${admin.clientSecret}`)}` });
    expect(res.status).toBe(200);
  });
});
