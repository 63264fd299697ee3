// Runs the README's token-exchange curl block as written, against a real server and a real
// external identity provider, so the documented commands keep working.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { publicId } from "../src/ids.ts";
import { AddSecretDocument, CreateApplicationDocument, GrantScopesDocument, RegisterIdentityProviderDocument, UpdateOnBehalfOfDocument } from "./gql/graphql.ts";
import { bootstrapAdmin, type Admin } from "./helpers/admin.ts";
import { startExternalIssuer, type ExternalIssuer } from "./helpers/external-issuer.ts";
import { graphql } from "./helpers/http.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { createUser } from "./helpers/users.ts";

let server: TestServer;
let idp: ExternalIssuer;
let admin: Admin;
let workdir: string;

function readmeBlock(): string {
  const readme = readFileSync(path.resolve(import.meta.dirname, "../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Token exchange and on-behalf-of"));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("README: no sh block in the token exchange section");
  return match[1]!;
}

async function app(name: string, extra: Record<string, unknown>, scopes: string[]) {
  const res = await graphql(server.url, admin.token, CreateApplicationDocument, {
    input: { name, applicationType: "OAUTH", platform: "WEB", isFirstParty: false, organizationId: admin.organizationId, redirectUris: [{ uri: "https://app.example.com/callback" }], ...extra } as never,
  });
  const r = res.data.createConnectApplication;
  if (r.__typename !== "CreateConnectApplicationSuccess") throw new Error(JSON.stringify(r));
  await graphql(server.url, admin.token, GrantScopesDocument, { input: { applicationId: r.application.id, scopes, kind: "DELEGATED" } });
  const s = await graphql(server.url, admin.token, AddSecretDocument, { input: { applicationId: r.application.id } });
  if (s.data.addClientSecret.__typename !== "AddClientSecretSuccess") throw new Error();
  return { id: r.application.id, clientId: r.application.clientId, secret: s.data.addClientSecret.plaintext };
}

beforeAll(async () => {
  server = await startTestServer();
  idp = await startExternalIssuer();
  admin = await bootstrapAdmin(server, "Example");
  workdir = mkdtempSync(path.join(tmpdir(), "readme-exchange-"));
});
afterAll(async () => {
  rmSync(workdir, { recursive: true, force: true });
  await idp?.close();
  await server?.close();
});

it("the README's exchange, on-behalf-of, Entra and by-name commands work as written", async () => {
  const alice = await createUser(server, admin.organizationDbId, "alice@example.com");
  await graphql(server.url, admin.token, RegisterIdentityProviderDocument, {
    input: { organizationId: admin.organizationId, name: "Okta", issuer: idp.issuer, audience: "api://scopekeeper", subjectMapping: "EMAIL" },
  });
  const exchanger = await app("Exchanger", { tokenExchange: { enabled: true } }, ["knowledge.portalmgr.read"]);
  const obo = await app("Middle tier", { onBehalfOfEnabled: true }, ["knowledge.portalmgr.onbehalfof.read"]);
  await graphql(server.url, admin.token, UpdateOnBehalfOfDocument, { input: { id: obo.id, onBehalfOfNamedSubjects: true } });
  const idpToken = await idp.sign({ sub: "00u-alice", aud: "api://scopekeeper", email: "alice@example.com", email_verified: true });

  // Asynchronously: the server under test runs in this process and must keep answering curl.
  const run = await promisify(execFile)("bash", ["--norc", "--noprofile", "-c", `set -euo pipefail\n${readmeBlock()}`], {
    cwd: workdir,
    timeout: 20_000,
    env: {
      PATH: process.env.PATH,
      ISSUER: server.url,
      CLIENT_ID: exchanger.clientId,
      CLIENT_SECRET: exchanger.secret,
      OBO_CLIENT_ID: obo.clientId,
      OBO_CLIENT_SECRET: obo.secret,
      IDP_TOKEN: idpToken,
    },
  });
  expect(run.stderr).not.toMatch(/error|curl:/i);
  const read = (file: string) => JSON.parse(readFileSync(path.join(workdir, file), "utf8")) as Record<string, string>;
  const exchanged = read("exchanged.json");
  expect(exchanged).toMatchObject({ issued_token_type: "urn:ietf:params:oauth:token-type:access_token", expires_in: 3600, scope: "knowledge.portalmgr.read" });
  expect(decodeJwt(exchanged.access_token!).sub).toBe(publicId("User", alice.id));
  for (const file of ["obo.json", "entra.json", "named.json"]) {
    const body = read(file);
    expect(body.scope, file).toBe("knowledge.portalmgr.onbehalfof.read");
    expect(decodeJwt(body.access_token!), file).toMatchObject({ sub: publicId("User", alice.id), act: { sub: obo.clientId } });
  }
});
