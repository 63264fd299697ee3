// The pages a person sees at the authorization server: sign in, consent, refusal, errors.
import { html, page, type Raw } from "./html.ts";

export interface ConsentScope {
  name: string;
  consent: string;
  hubName: string;
}

export interface ConsentApp {
  name: string;
  description: string | null;
  logoUri: string | null;
  termsOfServiceUri: string | null;
  privacyPolicyUri: string | null;
  isFirstParty: boolean;
}

const hidden = (fields: Record<string, string>) =>
  Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);

export function loginPage(opts: { appName: string | null; returnTo: string; csrf: string; email?: string; error?: string }): string {
  return page(
    "Sign in",
    html`<h1>Sign in</h1>
      ${opts.appName ? html`<p class="muted">to continue to <strong>${opts.appName}</strong></p>` : ""}
      ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ""}
      <form method="post" action="/oauth/login">
        ${hidden({ csrf: opts.csrf, return_to: opts.returnTo })}
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="${opts.email ?? ""}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <div class="actions"><button class="primary" type="submit">Sign in</button></div>
      </form>`,
  );
}

export function consentPage(opts: { app: ConsentApp; scopes: ConsentScope[]; userEmail: string; csrf: string; params: Record<string, string> }): string {
  const { app } = opts;
  const byHub = new Map<string, ConsentScope[]>();
  for (const s of opts.scopes) byHub.set(s.hubName, [...(byHub.get(s.hubName) ?? []), s]);
  const groups: Raw[] = [...byHub].map(
    ([hub, scopes]) => html`<h2>${hub}</h2><ul>${scopes.map((s) => html`<li data-scope="${s.name}">${s.consent}</li>`)}</ul>`,
  );
  const links: Raw[] = [];
  if (app.termsOfServiceUri) links.push(html`<a href="${app.termsOfServiceUri}" rel="noopener noreferrer" target="_blank">Terms of service</a>`);
  if (app.privacyPolicyUri) links.push(html`<a href="${app.privacyPolicyUri}" rel="noopener noreferrer" target="_blank">Privacy policy</a>`);
  return page(
    `Authorize ${app.name}`,
    html`<div class="app">
        ${app.logoUri ? html`<img src="${app.logoUri}" alt="${app.name} logo">` : ""}
        <div><h1>${app.name}</h1>
        ${app.isFirstParty
          ? html`<span class="badge">First-party application</span>`
          : html`<span class="badge third">Third-party application</span>`}</div>
      </div>
      ${app.description ? html`<p>${app.description}</p>` : ""}
      <p><strong>${app.name}</strong> wants to:</p>
      ${groups}
      ${links.length ? html`<p class="links">${links}</p>` : ""}
      <p class="muted">Signed in as ${opts.userEmail}. Allow only applications you trust.</p>
      <form method="post" action="/oauth/authorize">
        ${hidden({ ...opts.params, csrf: opts.csrf })}
        <div class="actions">
          <button type="submit" name="decision" value="deny">Deny</button>
          <button class="primary" type="submit" name="decision" value="approve">Allow</button>
        </div>
      </form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><p>${message}</p>`);
}

export function signedOutPage(): string {
  return page("Signed out", html`<h1>You are signed out</h1><p>You can close this window.</p>`);
}
