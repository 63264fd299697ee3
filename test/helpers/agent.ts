// A minimal browser over fetch: keeps cookies, never follows redirects by itself, and can
// walk an authorization request through sign-in and consent.
import { createHash, randomBytes } from "node:crypto";

export interface AgentResponse {
  status: number;
  location: string | null;
  headers: Headers;
  text: string;
}

export class Agent {
  cookies = new Map<string, string>();
  setCookieHeaders: string[] = [];
  constructor(readonly base: string) {}

  async request(pathOrUrl: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<AgentResponse> {
    const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await fetch(url, {
      method: init.method ?? (init.form ? "POST" : "GET"),
      headers,
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
      redirect: "manual",
    });
    for (const c of res.headers.getSetCookie()) {
      this.setCookieHeaders.push(c);
      const [pair] = c.split(";");
      const [name, ...rest] = pair!.split("=");
      const value = rest.join("=");
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || value === "") this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    return { status: res.status, location: res.headers.get("location"), headers: res.headers, text: await res.text() };
  }

  /** Hidden and named inputs of the first form on a page. */
  static formFields(htmlText: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of htmlText.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
      out[m[1]!] = m[2]!.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
    }
    return out;
  }

  async login(email: string, password: string, loginLocation: string): Promise<AgentResponse> {
    const page = await this.request(loginLocation);
    const fields = Agent.formFields(page.text);
    return this.request("/oauth/login", { form: { ...fields, email, password } });
  }
}

export function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

export function authorizePath(params: Record<string, string | undefined>): string {
  const qs = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return `/oauth/authorize?${qs.toString()}`;
}

/** Signs in (when needed), approves consent (when asked) and returns the final redirect's URL. */
export async function authorize(agent: Agent, params: Record<string, string | undefined>, user?: { email: string; password: string }): Promise<URL> {
  let res = await agent.request(authorizePath(params));
  if (res.status === 303 && res.location?.startsWith("/oauth/login")) {
    if (!user) throw new Error("sign-in required");
    const login = await agent.login(user.email, user.password, res.location);
    if (login.status !== 303) throw new Error(`login failed: ${login.status}`);
    res = await agent.request(login.location!);
  }
  if (res.status === 200 && res.text.includes('name="decision"')) {
    res = await agent.request("/oauth/authorize", { form: { ...Agent.formFields(res.text), decision: "approve" } });
  }
  if (res.status !== 303 || !res.location) throw new Error(`expected a redirect to the client, got ${res.status}: ${res.text.slice(0, 300)}`);
  return new URL(res.location);
}
