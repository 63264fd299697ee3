import { describe, it, expect } from "vitest";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  buildCatalog,
  CatalogError,
  loadCatalog,
  PROJECT_ROOT,
  type Catalog,
  type HubDefinition,
} from "../src/catalog/index.ts";
import { defineHub, HUB_BRAND, isHubDefinition } from "../src/catalog/public.ts";
import * as viaPackageName from "scopekeeper/catalog";
import { runCatalogCommand, type CommandOutput } from "../src/cli/catalog.ts";

const issuer = "https://auth.example.com";
const fixtures = join(PROJECT_ROOT, "test/fixtures");
const fixtureDir = (name: string) => join(fixtures, "plugins", name);
const shown = (name: string) => `test/fixtures/plugins/${name}`; // how sources appear in messages

async function catalogErrors(promise: Promise<unknown>): Promise<CatalogError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CatalogError);
  return error as CatalogError;
}

function syncCatalogError(fn: () => unknown): CatalogError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogError);
    return e as CatalogError;
  }
  throw new Error("expected a CatalogError");
}

function hub(id: string, scopes: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): HubDefinition {
  // Untyped on purpose: buildCatalog must check what the types cannot (JavaScript plugins).
  return defineHub({ id, name: id, description: `${id} hub`, audience: `https://api.example.com/${id}`, scopes, ...extra } as never);
}
const scope = (name: string, more: Record<string, unknown> = {}) => ({
  name,
  kinds: ["DELEGATED"],
  description: `${name} description`,
  consent: `${name} consent`,
  ...more,
});

describe("the shipped catalog", () => {
  it("loads plugins/ cleanly: the built-in hub first, then core, conversation and knowledge by id", async () => {
    const catalog = await loadCatalog({ issuer });
    expect(catalog.hubs.map((h) => [h.id, h.name, h.audience, h.source])).toEqual([
      ["connect", "Connect", issuer, "built-in"],
      ["conversation", "Conversation Hub", `${issuer}/hubs/conversation`, "plugins/conversation"],
      ["core", "Core", `${issuer}/hubs/core`, "plugins/core"],
      ["knowledge", "Knowledge", `${issuer}/hubs/knowledge`, "plugins/knowledge"],
    ]);
    for (const h of catalog.hubs) {
      expect(h.scopes.length).toBeGreaterThan(0);
      for (const s of h.scopes) {
        expect(s.hub).toBe(h);
        expect(s.description.length).toBeGreaterThan(10);
        expect(s.consent.length).toBeGreaterThan(5);
        if (!h.builtIn) expect(s.name.startsWith(`${h.id}.`)).toBe(true);
      }
    }
    for (const name of ["core.users.read", "core.users.manage", "core.departments.read", "core.settings.manage"]) {
      expect(catalog.scope(name)?.hub.id).toBe("core");
    }
    for (const name of ["conversation.conversations.read", "conversation.messages.send", "conversation.chat.manage", "conversation.chat.send"]) {
      expect(catalog.scope(name)?.hub.id).toBe("conversation");
    }
  });

  it("has the knowledge scopes of the eGain document, on-behalf-of ones delegated only, in declaration order", async () => {
    const knowledge = (await loadCatalog({ issuer })).hub("knowledge")!;
    expect(knowledge.scopes.slice(0, 4).map((s) => [s.name, [...s.kinds], s.onBehalfOf])).toEqual([
      ["knowledge.portalmgr.read", ["DELEGATED", "APPLICATION"], false],
      ["knowledge.portalmgr.manage", ["DELEGATED", "APPLICATION"], false],
      ["knowledge.portalmgr.onbehalfof.read", ["DELEGATED"], true],
      ["knowledge.portalmgr.onbehalfof.manage", ["DELEGATED"], true],
    ]);
    expect(knowledge.scopes[0]!.consent).toBe("Read your knowledge portals");
    expect(knowledge.scopes.map((s) => s.name)).toEqual(expect.arrayContaining(["knowledge.articles.read", "knowledge.articles.search"]));
  });

  it("serves the built-in hub connect, whose audience is the issuer", async () => {
    const catalog = await loadCatalog({ issuer: "http://127.0.0.1:4000" });
    const connect = catalog.hub("connect")!;
    expect(catalog.hubs[0]).toBe(connect);
    expect(connect).toMatchObject({ builtIn: true, audience: "http://127.0.0.1:4000", source: "built-in" });
    expect(connect.scopes.map((s) => [s.name, s.kinds.join(","), s.builtIn])).toEqual([
      ["openid", "DELEGATED", true],
      ["profile", "DELEGATED", true],
      ["email", "DELEGATED", true],
      ["offline_access", "DELEGATED", true],
      ["connect.applications.read", "DELEGATED,APPLICATION", true],
      ["connect.applications.manage", "DELEGATED,APPLICATION", true],
    ]);
    expect(catalog.scope("connect.applications.manage")!.description).toContain("Implies connect.applications.read");
    expect(catalog.scope("core.users.read")!.builtIn).toBe(false);
  });

  it("is frozen, indexed, and answers unknown names with undefined", async () => {
    const catalog = await loadCatalog({ issuer });
    const s = catalog.scope("knowledge.portalmgr.read")!;
    for (const value of [catalog, catalog.hubs, catalog.scopes, s.hub, s.hub.scopes, s, s.kinds]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    expect(catalog.hub("knowledge")).toBe(s.hub);
    expect(catalog.scopes.length).toBe(catalog.hubs.reduce((n, h) => n + h.scopes.length, 0));
    expect(catalog.scope("knowledge.portalmgr.write")).toBeUndefined();
    expect(catalog.scope("KNOWLEDGE.PORTALMGR.READ")).toBeUndefined();
    expect(catalog.hub("nope")).toBeUndefined();
    const { scope: lookup } = catalog; // methods do not depend on `this`
    expect(lookup("openid")?.hub.id).toBe("connect");
  });
});

describe("defineHub", () => {
  it("is importable as scopekeeper/catalog (package self-reference, the compiled contract) and returns a frozen, branded copy", () => {
    expect(createRequire(import.meta.url).resolve("scopekeeper/catalog")).toBe(join(PROJECT_ROOT, "dist/src/catalog/public.js"));
    const input = {
      id: "alpha",
      name: "Alpha",
      description: "Alpha hub.",
      audience: "https://api.example.com/alpha",
      scopes: [{ name: "alpha.items.read", kinds: ["DELEGATED"], description: "Read items.", consent: "Read your items" }],
    } as const;
    const defined = defineHub(input);
    expect(isHubDefinition(defined)).toBe(true);
    expect(isHubDefinition(viaPackageName.defineHub(input))).toBe(true);
    expect(isHubDefinition({ ...input })).toBe(false);
    expect(defined).not.toBe(input);
    expect(Object.isFrozen(defined) && Object.isFrozen(defined.scopes) && Object.isFrozen(defined.scopes[0])).toBe(true);
    const id: "alpha" = defined.id; // the literal id is kept in the type
    expect(id).toBe("alpha");
  });

  it("recognises a hub branded by another copy of the contract module (registered symbol)", () => {
    expect(HUB_BRAND).toBe(Symbol.for("scopekeeper.catalog.hub"));
    const foreign = { ...hub("alpha", [scope("alpha.items.read")]) };
    expect(isHubDefinition(foreign)).toBe(true);
  });

  it("refuses bad literal input at compile time", () => {
    // Never called: the @ts-expect-error lines are checked by `tsc`.
    const compileOnly = () => [
      // @ts-expect-error -- scope name outside the hub prefix
      defineHub({ id: "a", name: "A", description: "d", audience: "https://x", scopes: [{ name: "b.x.read", kinds: ["DELEGATED"], description: "d", consent: "c" }] }),
      // @ts-expect-error -- kinds must not be empty
      defineHub({ id: "a", name: "A", description: "d", audience: "https://x", scopes: [{ name: "a.x.read", kinds: [], description: "d", consent: "c" }] }),
      // @ts-expect-error -- on-behalf-of scopes are DELEGATED only
      defineHub({ id: "a", name: "A", description: "d", audience: "https://x", scopes: [{ name: "a.x.read", kinds: ["APPLICATION"], onBehalfOf: true, description: "d", consent: "c" }] }),
      // @ts-expect-error -- consent is required
      defineHub({ id: "a", name: "A", description: "d", audience: "https://x", scopes: [{ name: "a.x.read", kinds: ["DELEGATED"], description: "d" }] }),
      // @ts-expect-error -- unknown field
      defineHub({ id: "a", name: "A", description: "d", audience: "https://x", scopes: [], owner: "me" }),
    ];
    expect(typeof compileOnly).toBe("function");
  });
});

describe("invalid plugin folders: one CatalogError listing every problem", () => {
  const cases: Array<[string, string[]]> = [
    [
      "duplicate-scope",
      [
        `${shown("duplicate-scope/beta")} (hub "beta"): scope "alpha.items.read" must start with "beta."`,
        `duplicate scope "alpha.items.read": declared by ${shown("duplicate-scope/alpha")} (hub "alpha") and ${shown("duplicate-scope/beta")} (hub "beta")`,
      ],
    ],
    ["bad-prefix", [`${shown("bad-prefix/alpha")} (hub "alpha"): scope "other.items.read" must start with "alpha."`]],
    [
      "malformed-name",
      [`${shown("malformed-name/alpha")} (hub "alpha"): scope "alpha.Items.read" is malformed: it must match ^[a-z][a-z0-9]*(\\.[a-z0-9_-]+)+$`],
    ],
    [
      "duplicate-hub",
      [`duplicate hub id "alpha": declared by ${shown("duplicate-hub/first")} and ${shown("duplicate-hub/second")}`],
    ],
    [
      "empty-kinds",
      [`${shown("empty-kinds/alpha")} (hub "alpha"): scope "alpha.items.read" has no kinds (expected DELEGATED and/or APPLICATION)`],
    ],
    ["missing-description", [`${shown("missing-description/alpha")} (hub "alpha"): scope "alpha.items.read" is missing a description`]],
    ["missing-consent", [`${shown("missing-consent/alpha")} (hub "alpha"): scope "alpha.items.read" is missing consent text`]],
    ["throws", [`${shown("throws/alpha")}: failed to load: ALPHA_API_URL is not set`]],
    [
      "wrong-export",
      [
        `${shown("wrong-export/alpha")} (hub "alpha"): the default export is not a defineHub() result (got a plain object); wrap the hub in defineHub({ ... })`,
        `${shown("wrong-export/beta")}: has no default export (expected \`export default defineHub({ ... })\`)`,
      ],
    ],
    ["reserved-connect", [`${shown("reserved-connect/connect")} (hub "connect"): hub id "connect" is reserved for the server's built-in hub`]],
    [
      "builtin-name",
      [
        `${shown("builtin-name/alpha")} (hub "alpha"): scope "openid" is reserved: it is a built-in scope of the server`,
        `${shown("builtin-name/alpha")} (hub "alpha"): scope "connect.applications.manage" is reserved: it is a built-in scope of the server`,
      ],
    ],
    [
      "invalid-fields",
      [
        `${shown("invalid-fields/alpha")} (hub "Alpha"): hub id "Alpha" is malformed: it must match ^[a-z][a-z0-9-]*$`,
        `${shown("invalid-fields/alpha")} (hub "Alpha"): has an unknown field "owner"`,
        `${shown("invalid-fields/alpha")} (hub "Alpha"): is missing a name`,
        `${shown("invalid-fields/alpha")} (hub "Alpha"): audience "api.example.com/alpha" is not an absolute URL (https://... or urn:...) without a fragment`,
        `${shown("invalid-fields/alpha")} (hub "Alpha"): scope "alpha.items.read" has an unknown kind "ADMIN" (expected DELEGATED or APPLICATION)`,
        `${shown("invalid-fields/alpha")} (hub "Alpha"): scope "alpha.items.onbehalfof.read" is on-behalf-of, so its kinds must be exactly ["DELEGATED"]`,
        `${shown("invalid-fields/alpha")} (hub "Alpha"): scope "alpha.items.manage" has an unknown field "adminConsent"`,
        `${shown("invalid-fields/alpha")} (hub "Alpha"): scope "alpha.items.manage" lists the kind "DELEGATED" twice`,
        `${shown("invalid-fields/alpha")} (hub "Alpha"): scope #4 is missing a name`,
      ],
    ],
    ["no-index", [`${shown("no-index/alpha")}: has no index.ts (a hub folder default-exports defineHub({ ... }) from index.ts)`]],
  ];

  it.each(cases)("%s", async (name, expected) => {
    const error = await catalogErrors(loadCatalog({ issuer, pluginsDir: fixtureDir(name) }));
    expect(error.name).toBe("CatalogError");
    expect(error.errors).toEqual(expected);
    expect(error.message).toBe(expected.join("\n"));
  });

  it("loads a valid fixture folder, ignoring plain files, through either import of the contract", async () => {
    const catalog = await loadCatalog({ issuer, pluginsDir: fixtureDir("valid") });
    expect(catalog.hubs.map((h) => h.id)).toEqual(["connect", "alpha", "beta"]);
    expect(catalog.scope("alpha.items.onbehalfof.read")).toMatchObject({ onBehalfOf: true, adminConsentRequired: false });
    expect(catalog.scope("alpha.items.manage")).toMatchObject({ onBehalfOf: false, adminConsentRequired: true, kinds: ["APPLICATION", "DELEGATED"] });
    expect(catalog.hub("beta")!.audience).toBe("urn:example:beta");
  });

  it("accepts a relative plugins folder (from the project root) and refuses a configured one that is missing", async () => {
    const catalog = await loadCatalog({ issuer, pluginsDir: "test/fixtures/plugins/valid" });
    expect(catalog.hub("alpha")!.source).toBe("test/fixtures/plugins/valid/alpha");
    const error = await catalogErrors(loadCatalog({ issuer, pluginsDir: "test/fixtures/plugins/nope" }));
    expect(error.errors).toEqual(["test/fixtures/plugins/nope: the plugins folder does not exist"]);
  });
});

describe("hubs from module specifiers (SCOPEKEEPER_PLUGINS)", () => {
  const valid = fixtureDir("valid");
  const billingDir = join(fixtures, "packages/hub-billing");

  it("loads a package folder by absolute path through its package.json exports", async () => {
    const catalog = await loadCatalog({ issuer, pluginsDir: valid, pluginModules: [billingDir] });
    expect(catalog.hubs.map((h) => h.id)).toEqual(["connect", "alpha", "beta", "billing"]);
    expect(catalog.hub("billing")!.source).toBe(billingDir);
    expect(catalog.scope("billing.invoices.manage")!.kinds).toEqual(["APPLICATION"]);
  });

  it("loads by ./relative path (from the project root), to a package folder or a module file, and by file: URL", async () => {
    const ledger = "./test/fixtures/modules/ledger.ts";
    const catalog = await loadCatalog({ issuer, pluginsDir: valid, pluginModules: ["./test/fixtures/packages/hub-billing", ledger] });
    expect(catalog.hub("billing")!.source).toBe("./test/fixtures/packages/hub-billing");
    expect(catalog.hub("ledger")!.source).toBe(ledger);
    const url = pathToFileURL(join(fixtures, "modules/ledger.ts")).href;
    expect((await loadCatalog({ issuer, pluginsDir: valid, pluginModules: [url] })).hub("ledger")!.source).toBe(url);
  });

  it("resolves bare specifiers from the project root, and reports what it cannot use", async () => {
    const error = await catalogErrors(
      loadCatalog({
        issuer,
        pluginsDir: valid,
        pluginModules: [
          "scopekeeper/catalog", // resolves (package self-reference) but is the contract, not a hub
          "@acme/scopekeeper-hub-not-installed",
          "./test/fixtures/modules/missing.ts",
          "./test/fixtures/plugins/valid/alpha", // the same hub as the folder
        ],
      }),
    );
    expect(error.errors).toEqual([
      "scopekeeper/catalog: has no default export (expected `export default defineHub({ ... })`)",
      "@acme/scopekeeper-hub-not-installed: cannot be resolved from the project root (is the package installed?)",
      "./test/fixtures/modules/missing.ts: cannot be resolved: there is no file or folder test/fixtures/modules/missing.ts",
      `duplicate hub id "alpha": declared by ${shown("valid/alpha")} and ./test/fixtures/plugins/valid/alpha`,
    ]);
  });

  it("reports load errors and validation errors of different plugins together", async () => {
    const error = await catalogErrors(
      loadCatalog({ issuer, pluginsDir: fixtureDir("throws"), pluginModules: ["./test/fixtures/plugins/bad-prefix/alpha"] }),
    );
    expect(error.errors).toEqual([
      `${shown("throws/alpha")}: failed to load: ALPHA_API_URL is not set`,
      `./test/fixtures/plugins/bad-prefix/alpha (hub "alpha"): scope "other.items.read" must start with "alpha."`,
    ]);
  });
});

describe("buildCatalog (pure validation core)", () => {
  it("sorts hubs (connect first, then by id) and keeps scopes in declaration order", () => {
    const catalog: Catalog = buildCatalog(issuer, [
      { definition: hub("zeta", [scope("zeta.b.read"), scope("zeta.a.read")]), source: "z" },
      { definition: hub("beta", [scope("beta.x.read")]), source: "b" },
    ]);
    expect(catalog.hubs.map((h) => h.id)).toEqual(["connect", "beta", "zeta"]);
    expect(catalog.hub("zeta")!.scopes.map((s) => s.name)).toEqual(["zeta.b.read", "zeta.a.read"]);
    expect(catalog.hub("zeta")!.source).toBe("z");
  });

  it("reports a scope declared twice in one hub, and one that is not a hub at all", () => {
    const error = syncCatalogError(() =>
      buildCatalog(issuer, [
        { definition: hub("alpha", [scope("alpha.x.read"), scope("alpha.x.read")]), source: "pkg-a" },
        { definition: { id: "beta" } as unknown as HubDefinition, source: "pkg-b" },
      ]),
    );
    expect(error.errors).toEqual([
      'pkg-a (hub "alpha"): scope "alpha.x.read" is declared twice',
      "pkg-b: the default export is not a defineHub() result (got a plain object); wrap the hub in defineHub({ ... })",
    ]);
  });

  it("explains a hub id with a hyphen once, instead of calling every scope malformed", () => {
    const error = syncCatalogError(() =>
      buildCatalog(issuer, [{ definition: hub("my-hub", [scope("my-hub.x.read"), scope("my-hub.Bad")]), source: "p" }]),
    );
    expect(error.errors).toEqual([
      'p (hub "my-hub"): hub id "my-hub" contains "-", which the first segment of a scope name cannot (^[a-z][a-z0-9]*(\\.[a-z0-9_-]+)+$); a hub with scopes needs an id without "-"',
      'p (hub "my-hub"): scope "my-hub.Bad" is malformed: it must match ^[a-z][a-z0-9]*(\\.[a-z0-9_-]+)+$',
    ]);
  });

  it("checks the issuer, audiences, and the types of optional fields", () => {
    const error = syncCatalogError(() =>
      buildCatalog("not a url", [
        {
          definition: hub("alpha", [scope("alpha.x.read", { onBehalfOf: "yes", adminConsentRequired: 1 }), { kinds: "DELEGATED" }], {
            audience: "https://api.example.com/alpha#v1",
          }),
          source: "p",
        },
      ]),
    );
    expect(error.errors).toEqual([
      'built-in (hub "connect"): the issuer "not a url" is not an absolute http(s) URL',
      'p (hub "alpha"): audience "https://api.example.com/alpha#v1" is not an absolute URL (https://... or urn:...) without a fragment',
      'p (hub "alpha"): scope "alpha.x.read": onBehalfOf must be true or left out',
      'p (hub "alpha"): scope "alpha.x.read": adminConsentRequired must be a boolean',
      'p (hub "alpha"): scope #2 is missing a name',
      'p (hub "alpha"): scope #2 is missing a description',
      'p (hub "alpha"): scope #2 is missing consent text',
      'p (hub "alpha"): scope #2 is missing kinds (an array of DELEGATED and/or APPLICATION)',
    ]);
  });
});

describe("scopekeeper catalog", () => {
  function capture(): CommandOutput & { out: string; err: string } {
    const io = { out: "", err: "", stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
    return io;
  }
  const env = { issuer, pluginModules: [] as string[] };

  it("check: prints a summary and returns 0 on the real catalog", async () => {
    const io = capture();
    expect(await runCatalogCommand(["check"], env, io)).toBe(0);
    const catalog = await loadCatalog({ issuer });
    expect(io.out).toBe(`catalog ok: 4 hubs, ${catalog.scopes.length} scopes\n`);
    expect(io.err).toBe("");
  });

  it("check: prints each error to stderr and returns 1 on an invalid fixture folder", async () => {
    const io = capture();
    expect(await runCatalogCommand(["check"], { ...env, pluginsDir: fixtureDir("duplicate-scope") }, io)).toBe(1);
    expect(io.out).toBe("");
    expect(io.err.split("\n")).toEqual([
      `${shown("duplicate-scope/beta")} (hub "beta"): scope "alpha.items.read" must start with "beta."`,
      `duplicate scope "alpha.items.read": declared by ${shown("duplicate-scope/alpha")} (hub "alpha") and ${shown("duplicate-scope/beta")} (hub "beta")`,
      "catalog invalid: 2 errors",
      "",
    ]);
  });

  it("list --json: prints the catalog as JSON", async () => {
    const io = capture();
    expect(await runCatalogCommand(["list", "--json"], { ...env, pluginModules: ["./test/fixtures/modules/ledger.ts"] }, io)).toBe(0);
    const parsed = JSON.parse(io.out) as { hubs: Array<{ id: string; source: string; scopes: Array<{ name: string; kinds: string[]; onBehalfOf: boolean }> }> };
    expect(parsed.hubs.map((h) => h.id)).toEqual(["connect", "conversation", "core", "knowledge", "ledger"]);
    expect(parsed.hubs[4]!.source).toBe("./test/fixtures/modules/ledger.ts");
    const obo = parsed.hubs[3]!.scopes.find((s) => s.name === "knowledge.portalmgr.onbehalfof.manage");
    expect(obo).toMatchObject({ kinds: ["DELEGATED"], onBehalfOf: true });
  });

  it("list: prints an aligned table", async () => {
    const io = capture();
    expect(await runCatalogCommand(["list"], env, io)).toBe(0);
    const lines = io.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^HUB\s+SCOPE\s+KINDS\s+FLAGS\s+DESCRIPTION$/);
    const column = lines[0]!.indexOf("SCOPE");
    expect(lines.every((l) => l[column - 1] === " " && l[column] !== " ")).toBe(true);
    expect(lines.find((l) => l.includes("knowledge.portalmgr.onbehalfof.read"))).toMatch(/^knowledge\s+knowledge\.portalmgr\.onbehalfof\.read\s+DELEGATED\s+on-behalf-of\s+Read On-Behalf-Of/);
    expect(lines.find((l) => l.includes(" openid "))).toMatch(/^connect\s+openid\s+DELEGATED\s+built-in\s+Sign the user in/);
  });

  it("--help prints usage; unknown commands and options are usage errors (2)", async () => {
    const help = capture();
    expect(await runCatalogCommand(["--help"], env, help)).toBe(0);
    expect(help.out).toContain("Usage: scopekeeper catalog <command>");
    const bad = capture();
    expect(await runCatalogCommand(["check", "--json"], env, bad)).toBe(2);
    expect(bad.err).toContain('unknown option "--json" for "catalog check"');
    expect(await runCatalogCommand(["frobnicate"], env, capture())).toBe(2);
    expect(await runCatalogCommand([], env, capture())).toBe(2);
  });
});
