// Real headless Chromium for the browser tests: Debian's package driven by playwright-core
// (npm never downloads a browser). Without it the tests are skipped locally, with the command
// that installs it; under CI (CI=true), where .ci/run installs it, its absence is a failure.
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { describe, it } from "vitest";

/** Debian's path; CHROMIUM_PATH overrides it (e.g. to check the skip and CI paths). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const CHROMIUM_INSTALL = "apt-get update && apt-get install -y chromium";
export const STUB_HOST = "client.example.test";

const isCI = () => Boolean(process.env.CI) && process.env.CI !== "false" && process.env.CI !== "0";

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

let shared: Promise<Browser> | undefined;

function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
      // Backstop for anything interception does not see: no host name but 127.0.0.1 resolves,
      // so nothing can even be looked up in DNS.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
}

/**
 * The browser, or null when Chromium is not installed. One Chromium serves every file a test
 * worker runs (the files of a worker share this module, vitest.config.ts): each file gets a
 * handle whose close() ends only the contexts and pages that file opened, so cookies and
 * storage never cross files. Playwright ends the browser when the worker exits.
 */
export async function launchChromium(): Promise<Browser | null> {
  if (!chromiumInstalled()) return null;
  shared ??= launch();
  let browser: Browser;
  try {
    browser = await shared;
    if (!browser.isConnected()) throw new Error("disconnected");
  } catch {
    shared = launch();
    browser = await shared;
  }
  const opened = new Set<BrowserContext>();
  return new Proxy(browser, {
    get(target, property) {
      if (property === "newContext") {
        return async (...args: Parameters<Browser["newContext"]>) => {
          const context = await target.newContext(...args);
          opened.add(context);
          return context;
        };
      }
      if (property === "newPage") {
        return async (...args: Parameters<Browser["newPage"]>) => {
          const page = await target.newPage(...args);
          opened.add(page.context());
          return page;
        };
      }
      if (property === "close") {
        return async () => {
          await Promise.all([...opened].map((context) => context.close().catch(() => {})));
          opened.clear();
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface StubResponse {
  status?: number;
  contentType: string;
  body: string | Buffer;
}

/**
 * Keeps a page on this machine: requests to http://127.0.0.1 go through, https://client.example.test
 * (the test client's redirect URI, logo and policy pages) is answered by `stub`, and everything
 * else fails before it leaves the browser. Returns the URLs it blocked.
 *
 * This is CDP's Fetch interception rather than page.route(): Playwright never calls route
 * handlers for redirect hops (it continues them), so the server's 303 to the client's redirect
 * URI would reach the network. Fetch pauses every hop, redirects included.
 */
export async function confineToLocalhost(page: Page, stub: (url: URL) => StubResponse): Promise<string[]> {
  const blocked: string[] = [];
  const cdp = await page.context().newCDPSession(page);
  cdp.on("Fetch.requestPaused", ({ requestId, request }) => {
    const url = new URL(request.url);
    let reply: Promise<unknown>;
    if (url.protocol === "http:" && url.hostname === "127.0.0.1") {
      reply = cdp.send("Fetch.continueRequest", { requestId });
    } else if (url.protocol === "https:" && url.hostname === STUB_HOST) {
      const { status = 200, contentType, body } = stub(url);
      const base64 = (typeof body === "string" ? Buffer.from(body) : body).toString("base64");
      reply = cdp.send("Fetch.fulfillRequest", { requestId, responseCode: status, responseHeaders: [{ name: "content-type", value: contentType }], body: base64 });
    } else {
      blocked.push(request.url);
      reply = cdp.send("Fetch.failRequest", { requestId, errorReason: "BlockedByClient" });
    }
    reply.catch(() => {}); // the page may close while a request is paused
  });
  await cdp.send("Fetch.enable", { patterns: [{ urlPattern: "*", requestStage: "Request" }] });
  return blocked;
}

/**
 * `describe` when Chromium is installed. Otherwise, locally: skipped, saying how to install it;
 * under CI: one failing test, since CI installs Chromium and a silent skip would hide the suite.
 */
export function describeWithChromium(name: string, body: () => void): void {
  if (chromiumInstalled()) {
    describe(name, body);
    return;
  }
  const message = `${CHROMIUM_PATH} not found: the browser tests need Debian's Chromium. Install it with: ${CHROMIUM_INSTALL}`;
  if (isCI()) {
    describe(name, () => {
      it("has Chromium installed (required under CI)", () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`[skipped] ${name}: ${message}`);
  describe.skip(name, body);
}

/**
 * Opens a console page, signs in at the authorization server's page, allows the console if it
 * asks (first time only), and waits until the console shows a page of its own.
 */
export async function signInToConsole(page: Page, serverUrl: string, who: { email: string; password: string }, path = "/console/"): Promise<void> {
  await page.goto(`${serverUrl}${path}`);
  await page.waitForURL((u) => u.pathname === "/oauth/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const inConsole = (u: URL) => u.pathname.startsWith("/console/") && !u.pathname.startsWith("/console/callback");
  await page.waitForURL((u) => inConsole(u) || u.pathname === "/oauth/authorize");
  if (new URL(page.url()).pathname === "/oauth/authorize") {
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL(inConsole);
  }
}
