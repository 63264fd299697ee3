// The pages of a person's own security: the second step of a sign-in ("Code", "Verify", a
// passkey), "Security" at /oauth/account (authenticator app, recovery codes, passkeys,
// sessions), adding an authenticator app, and the recovery codes shown once.
import { html, page, raw, type Raw } from "./html.ts";

/** Scripts of the passkey pages, served from this origin (CSP script-src 'self'). */
export const PASSKEY_SCRIPTS = ["/oauth/assets/simplewebauthn-browser.js", "/oauth/assets/passkeys.js"];

const hidden = (fields: Record<string, string>) =>
  Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);

const when = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ") + " UTC";

/** A passkey button: hidden until the script finds WebAuthn in the browser. */
const passkeyButton = (mode: "sign-in" | "second-factor" | "register", label: string, csrf: string, returnTo: string, cls = "") =>
  html`<button type="button" class="${cls}" data-passkey="${mode}" data-csrf="${csrf}" data-return-to="${returnTo}" hidden>${label}</button>`;

const passkeyError = html`<p class="error" role="alert" data-passkey-error hidden></p>`;

/** "Chrome on Linux" from a User-Agent, enough to recognise one's own browsers. */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return "Unknown browser";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\//.test(ua)
      ? "Opera"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Chrom(e|ium)\//.test(ua)
          ? "Chrome"
          : /Safari\//.test(ua)
            ? "Safari"
            : /^curl\//.test(ua)
              ? "curl"
              : "A browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X|Macintosh/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : null;
  return os ? `${browser} on ${os}` : browser;
}

export function secondFactorPage(o: { csrf: string; returnTo: string; email: string; totp: boolean; passkey: boolean; error?: string }): string {
  return page(
    "Verify it is you",
    html`<h1>Verify it is you</h1>
      <p class="muted">Signing in as <strong>${o.email}</strong>.</p>
      ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
      ${o.totp
        ? html`<form method="post" action="/oauth/login/second-factor">
            ${hidden({ csrf: o.csrf, return_to: o.returnTo })}
            <label for="code">Code</label>
            <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" required maxlength="64" aria-describedby="code-hint" autofocus>
            <p class="muted" id="code-hint">The 6-digit code from your authenticator app, or one of your recovery codes.</p>
            <div class="actions"><button class="primary" type="submit">Verify</button></div>
          </form>`
        : ""}
      ${o.passkey
        ? html`<div class="sso">${o.totp ? html`<p class="muted or">or</p>` : ""}${passkeyError}${passkeyButton("second-factor", "Use a passkey", o.csrf, o.returnTo, "wide" + (o.totp ? "" : " primary"))}</div>`
        : ""}
      <p class="muted"><a href="/oauth/login?return_to=${encodeURIComponent(o.returnTo)}">Sign in as someone else</a></p>`,
    { scripts: o.passkey ? PASSKEY_SCRIPTS : [] },
  );
}

export interface SessionRow {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent: string | null;
  address: string | null;
  current: boolean;
}

export interface SecurityView {
  csrf: string;
  email: string;
  totp: { since: Date } | null;
  recoveryCodesLeft: number;
  passkeys: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null }[];
  sessions: SessionRow[];
  notice?: string;
  error?: string;
}

export function accountPage(v: SecurityView): string {
  const csrf = { csrf: v.csrf };
  return page(
    "Security",
    html`<h1>Your account</h1>
      <p class="muted">Signed in as <strong>${v.email}</strong>.</p>
      ${v.notice ? html`<p class="notice" role="status">${v.notice}</p>` : ""}
      ${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ""}
      <section aria-labelledby="security"><h2 id="security" class="section">Security</h2>
        <h3>Authenticator app</h3>
        ${v.totp
          ? html`<div class="row"><div><span class="badge published">On</span> <span class="muted">since ${when(v.totp.since)}</span></div>
              <form class="inline" method="post" action="/oauth/account/totp/remove">${hidden(csrf)}<button type="submit">Remove</button></form></div>
              <h3>Recovery codes</h3>
              <div class="row"><p class="muted">${v.recoveryCodesLeft} of 10 left. Each works once, when your app is not at hand.</p>
              <form class="inline" method="post" action="/oauth/account/recovery-codes">${hidden(csrf)}<button type="submit">New recovery codes</button></form></div>`
          : html`<p class="muted">Codes from an app on your phone, asked after your password.</p>
              <form method="post" action="/oauth/account/totp">${hidden(csrf)}<button class="primary" type="submit">Add authenticator app</button></form>`}
        <h3>Passkeys</h3>
        ${v.passkeys.length
          ? html`<ul class="list">${v.passkeys.map(
              (p) => html`<li><div id="passkey-${p.id}"><strong>${p.name}</strong><br><span class="muted">Added ${when(p.createdAt)}${p.lastUsedAt ? html`, last used ${when(p.lastUsedAt)}` : ""}</span></div>
                <form class="inline" method="post" action="/oauth/account/passkeys/remove">${hidden({ ...csrf, id: p.id })}<button type="submit" aria-describedby="passkey-${p.id}">Remove</button></form></li>`,
            )}</ul>`
          : html`<p class="muted">Sign in with your fingerprint, face or screen lock instead of a password.</p>`}
        ${passkeyError}
        <noscript><p class="muted">Adding a passkey needs JavaScript.</p></noscript>
        ${passkeyButton("register", "Add passkey", v.csrf, "/oauth/account")}
        <h3>Sessions</h3>
        <ul class="list">${[...v.sessions].sort((a, b) => Number(b.current) - Number(a.current)).map(
          (s) => html`<li><div id="session-${s.id}"><strong>${describeUserAgent(s.userAgent)}</strong>${s.current ? html` <span class="badge">This browser</span>` : ""}<br>
              <span class="muted">${s.address ? html`${s.address} · ` : ""}signed in ${when(s.createdAt)}<br>last seen ${when(s.lastSeenAt)}</span></div>
            <form class="inline" method="post" action="/oauth/account/sessions/end">${hidden({ ...csrf, id: s.id })}<button type="submit" aria-describedby="session-${s.id}">Sign out</button></form></li>`,
        )}</ul>
      </section>`,
    { scripts: PASSKEY_SCRIPTS, wide: true },
  );
}

/** Removing a factor cannot be undone: the person confirms first, on a page of its own. */
export function confirmRemovalPage(o: { csrf: string; action: string; id?: string; title: string; message: string }): string {
  return page(
    o.title,
    html`<h1>${o.title}</h1>
      <p>${o.message}</p>
      <form method="post" action="${o.action}">
        ${hidden({ csrf: o.csrf, confirm: "yes", ...(o.id ? { id: o.id } : {}) })}
        <div class="actions"><a class="button" href="/oauth/account">Cancel</a><button class="primary danger" type="submit">Remove</button></div>
      </form>`,
  );
}

/** An organization requires a second factor and the person has none: they add one before going on. */
export function enrolPage(o: { csrf: string; returnTo: string; email: string; error?: string }): string {
  return page(
    "Add a second factor",
    html`<h1>Add a second factor</h1>
      <p>Your organization asks everyone to sign in with a second factor. Add one to continue as <strong>${o.email}</strong>.</p>
      ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
      <form class="spaced" method="post" action="/oauth/account/totp">${hidden({ csrf: o.csrf, return_to: o.returnTo })}<button class="primary wide" type="submit">Add authenticator app</button></form>
      <div class="passkey">${passkeyError}${passkeyButton("register", "Add passkey", o.csrf, o.returnTo, "wide")}</div>
      <p class="muted"><a href="/oauth/login?return_to=${encodeURIComponent(o.returnTo)}">Sign in as someone else</a></p>`,
    { scripts: PASSKEY_SCRIPTS },
  );
}

export function totpSetupPage(o: { csrf: string; returnTo: string; qrSvg: string; secret: string; error?: string }): string {
  const grouped = o.secret.replace(/(.{4})/g, "$1 ").trim();
  return page(
    "Add authenticator app",
    html`<h1>Add authenticator app</h1>
      <ol class="steps">
        <li>Scan this QR code with your authenticator app.</li>
      </ol>
      <div class="qr" role="img" aria-label="QR image for your authenticator app">${raw(o.qrSvg)}</div>
      <p class="muted">Cannot scan it? Type the key instead (time-based, 6 digits):</p>
      <label for="secret">Secret key</label>
      <input id="secret" type="text" class="secret" readonly value="${grouped}" aria-describedby="secret-hint">
      <p class="muted" id="secret-hint">Spaces do not matter.</p>
      <ol class="steps" start="2"><li>Enter the code the app shows.</li></ol>
      ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
      <form method="post" action="/oauth/account/totp/verify">
        ${hidden({ csrf: o.csrf, return_to: o.returnTo })}
        <label for="code">Code</label>
        <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required>
        <div class="actions"><a class="button" href="${o.returnTo === "/oauth/account" ? "/oauth/account" : `/oauth/account/enrol?return_to=${encodeURIComponent(o.returnTo)}`}">Cancel</a><button class="primary" type="submit">Verify</button></div>
      </form>`,
  );
}

export function recoveryCodesPage(o: { codes: string[]; continueUrl: string; fresh: boolean }): string {
  return page(
    "Recovery codes",
    html`<h1>Recovery codes</h1>
      ${o.fresh ? html`<p class="notice" role="status">Your authenticator app is on.</p>` : ""}
      <p>Keep these codes somewhere safe. Each works once instead of a code from your app, if you lose your phone.
        <strong>They are shown only this once.</strong></p>
      <ul class="codes" aria-label="Recovery codes">${o.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
      <div class="actions"><a class="button primary" href="${o.continueUrl}">I have saved them, continue</a></div>`,
  );
}

export type { Raw };
