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

export function loginPage(opts: {
  appName: string | null;
  returnTo: string;
  csrf: string;
  email?: string;
  error?: string;
  /** Shown when the server mails reset links (SMTP_URL). */
  forgotPassword?: boolean;
  /** The app's organization's sign-in providers: a "Continue with ..." button each (public ids). */
  providers?: { id: string; name: string }[];
}): string {
  const providers = opts.providers ?? [];
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
        <input id="password" name="password" type="password" autocomplete="current-password">
        ${opts.forgotPassword ? html`<p class="forgot"><a href="/oauth/forgot?return_to=${encodeURIComponent(opts.returnTo)}">Forgot password?</a></p>` : ""}
        <div class="actions"><button class="primary" type="submit">Sign in</button></div>
      </form>
      <div class="passkey">
        <p class="error" role="alert" data-passkey-error hidden></p>
        <button type="button" class="wide" data-passkey="sign-in" data-csrf="${opts.csrf}" data-return-to="${opts.returnTo}" hidden>Sign in with a passkey</button>
      </div>
      ${providers.length
        ? html`<div class="sso"><p class="muted or">or</p>
            ${providers.map(
              (p) => html`<form method="post" action="/oauth/sso/start">${hidden({ csrf: opts.csrf, return_to: opts.returnTo, provider: p.id })}<button class="wide" type="submit">Continue with ${p.name}</button></form>`,
            )}</div>`
        : ""}`,
    { scripts: ["/oauth/assets/simplewebauthn-browser.js", "/oauth/assets/passkeys.js"] },
  );
}

/** A sign-in through an identity provider that did not succeed: what happened, and a way back. */
export function ssoErrorPage(opts: { title: string; message: string; signInUrl: string }): string {
  return page(
    opts.title,
    html`<h1>${opts.title}</h1><p role="alert">${opts.message}</p>
      <div class="actions"><a class="button" href="${opts.signInUrl}">Back to sign in</a></div>`,
  );
}

/** "Not you?": a form that ends the session and signs in again into the same request. */
export interface SwitchAccount {
  csrf: string;
  returnTo: string;
}

const switchAccountForm = (s: SwitchAccount, label: string, style: "link" | "primary") =>
  html`<form class="inline" method="post" action="/oauth/login/switch">${hidden({ csrf: s.csrf, return_to: s.returnTo })}<button class="${style}" type="submit">${label}</button></form>`;

/** A link that returns to the application with error=access_denied (its redirect URI is registered). */
export interface BackToApp {
  href: string;
  appName: string;
}

const backLink = (back: BackToApp | undefined) => (back ? html`<p><a href="${back.href}">Back to ${back.appName}</a></p>` : "");

export function consentPage(opts: {
  app: ConsentApp;
  scopes: ConsentScope[];
  userEmail: string;
  csrf: string;
  params: Record<string, string>;
  /** Who registered the app: its organization, or the operator for first-party apps. */
  publisher: string | null;
  /** PUBLIC after an approved publication request: anyone may authorize it, so say by whom it is published. */
  published: boolean;
  /** Where the browser goes after the decision; absent for a device, which gets the tokens itself. */
  redirectHost?: string;
  connectedAppsUrl: string;
  switchAccount: SwitchAccount;
  /** Where the decision is posted: /oauth/authorize unless another flow (the device flow) owns the page. */
  action?: string;
}): string {
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
          : html`<span class="badge third">Third-party application</span>`}
        ${opts.published ? html`<span class="badge published">Published application</span>` : ""}
        ${opts.publisher
          ? opts.published || app.isFirstParty
            ? html`<p class="muted publisher">Published by <strong>${opts.publisher}</strong></p>`
            : html`<p class="muted publisher">Private to <strong>${opts.publisher}</strong></p>`
          : ""}</div>
      </div>
      ${app.description ? html`<p>${app.description}</p>` : ""}
      <p><strong>${app.name}</strong> wants to:</p>
      ${groups}
      ${links.length ? html`<p class="links">${links}</p>` : ""}
      <p class="muted">${opts.redirectHost !== undefined
        ? html`If you allow, you will be sent to <strong class="redirect-host">${opts.redirectHost}</strong>. Allow only applications you trust.`
        : html`If you allow, <strong>${app.name}</strong> gets this access on the device that showed you the code. Allow only if you started this on a device of your own.`}
        You can revoke access at any time in <a href="${opts.connectedAppsUrl}">Connected apps</a>.</p>
      <div class="muted who">Signed in as ${opts.userEmail}. ${switchAccountForm(opts.switchAccount, "Not you?", "link")}</div>
      <form method="post" action="${opts.action ?? "/oauth/authorize"}">
        ${hidden({ ...opts.params, csrf: opts.csrf })}
        <div class="actions">
          <button type="submit" name="decision" value="deny">Deny</button>
          <button class="primary" type="submit" name="decision" value="approve">Allow</button>
        </div>
      </form>`,
  );
}

/** An authorization request that cannot go back to the application: what is wrong, in RFC 6749's words. */
export function authorizationErrorPage(opts: {
  title: string;
  message: string;
  error: string;
  parameter?: string | undefined;
  value?: string | undefined;
  back?: BackToApp | undefined;
  /** What to do next, instead of the default (which blames the link). */
  hint?: string | undefined;
}): string {
  const shown = opts.value !== undefined && opts.value.length > 200 ? `${opts.value.slice(0, 200)}…` : opts.value;
  return page(
    opts.title,
    html`<h1>${opts.title}</h1><p>${opts.message}</p>
      <dl class="details">
        <dt>Error</dt><dd><code>${opts.error}</code></dd>
        ${opts.parameter ? html`<dt>Parameter</dt><dd><code>${opts.parameter}</code>${shown !== undefined ? html` = <code>${shown}</code>` : ""}</dd>` : ""}
      </dl>
      ${opts.back ? backLink(opts.back) : html`<p class="muted">${opts.hint ?? "Go back to the application and try again, or tell its developers: the link that brought you here is wrong."}</p>`}`,
  );
}

/** A PRIVATE application and a person outside its organization. */
export function privateApplicationPage(opts: { appName: string; userEmail: string; switchAccount: SwitchAccount; back?: BackToApp | undefined }): string {
  return page(
    "This application is private",
    html`<h1>This application is private</h1>
      <p><strong>${opts.appName}</strong> is private to the organization that registered it, and <strong>${opts.userEmail}</strong> is not a member of it.
        Ask its administrators for access, or sign in with an account of that organization.</p>
      <div class="actions">
        ${opts.back ? html`<a class="button" href="${opts.back.href}">Back to ${opts.back.appName}</a>` : ""}
        ${switchAccountForm(opts.switchAccount, "Sign in as someone else", "primary")}
      </div>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><p>${message}</p>`);
}

/** Sign-out asked without proof that the app asking holds the person's ID token: they confirm (Keycloak's way). */
export function logoutConfirmPage(opts: { csrf: string; params: Record<string, string>; appName: string | null }): string {
  return page(
    "Sign out",
    html`<h1>Sign out?</h1>
      <p>${opts.appName ? html`<strong>${opts.appName}</strong> asks to sign you out.` : "A page asks to sign you out."} Do you want to sign out?</p>
      <form method="post" action="/oauth/logout">
        ${hidden({ ...opts.params, csrf: opts.csrf, confirm: "yes" })}
        <div class="actions"><button class="primary" type="submit">Sign out</button></div>
      </form>`,
  );
}

export function signedOutPage(): string {
  return page("Signed out", html`<h1>You are signed out</h1><p>You can close this window.</p>`);
}
