// The pages behind the one-time links an ADMIN hands out: join an organization (setting a
// password, or confirming an existing one) and set a new password. Server-rendered like sign-in.
import { html, page } from "./html.ts";

export interface AccountFormOptions {
  kind: "invitation" | "reset";
  token: string;
  csrf: string;
  email: string;
  organizationName: string;
  role: string;
  accountExists: boolean;
  name?: string;
  errors?: Record<string, string>;
}

const fieldError = (errors: Record<string, string> | undefined, key: string) =>
  errors?.[key] ? html`<p class="error" id="${key}-error">${errors[key]}</p>` : "";

export function accountLinkPage(o: AccountFormOptions): string {
  const joining = o.kind === "invitation";
  const confirmOnly = joining && o.accountExists;
  const title = joining ? `Join ${o.organizationName}` : "Choose a new password";
  const described = (key: string) => (o.errors?.[key] ? `${key}-error` : "");
  return page(
    title,
    html`<h1>${title}</h1>
      ${joining
        ? html`<p class="muted">You were invited to <strong>${o.organizationName}</strong> as ${o.role === "ADMIN" ? "an admin" : "a member"}.</p>`
        : html`<p class="muted">For <strong>${o.email}</strong>.</p>`}
      ${o.errors?.form ? html`<p class="error" role="alert">${o.errors.form}</p>` : ""}
      <form method="post" action="/oauth/${o.kind}">
        <input type="hidden" name="csrf" value="${o.csrf}">
        <input type="hidden" name="token" value="${o.token}">
        <label for="email">Email</label>
        <input id="email" type="email" value="${o.email}" readonly autocomplete="username">
        ${confirmOnly
          ? html`<p class="muted">You already have an account: confirm with its password to join.</p>
              <label for="password">Password</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required aria-describedby="${described("password")}">
              ${fieldError(o.errors, "password")}`
          : html`${joining
                ? html`<label for="name">Your name</label>
                    <input id="name" name="name" type="text" autocomplete="name" value="${o.name ?? ""}">`
                : ""}
              <label for="password">New password</label>
              <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required aria-describedby="password-hint ${described("password")}">
              <p class="muted" id="password-hint">At least 10 characters.</p>
              ${fieldError(o.errors, "password")}
              <label for="confirm">Repeat the password</label>
              <input id="confirm" name="confirm" type="password" autocomplete="new-password" required aria-describedby="${described("confirm")}">
              ${fieldError(o.errors, "confirm")}`}
        <div class="actions"><button class="primary" type="submit">${joining ? (confirmOnly ? "Join" : "Create account") : "Set password"}</button></div>
      </form>`,
  );
}

export function accountDonePage(kind: "invitation" | "reset", email: string, consoleUrl: string): string {
  return page(
    kind === "invitation" ? "Welcome" : "Password changed",
    html`<h1>${kind === "invitation" ? "You are in" : "Your password is changed"}</h1>
      <p>Sign in as <strong>${email}</strong> ${kind === "invitation" ? "to the organization's applications, or" : "wherever you use it, or"} to the
        <a href="${consoleUrl}">console</a>.</p>`,
  );
}

/** "Forgot password?": the person's email and one button; what follows reads the same for any address. */
export function forgotPasswordPage(o: { csrf: string; returnTo: string; email?: string; error?: string }): string {
  return page(
    "Reset your password",
    html`<h1>Reset your password</h1>
      <p class="muted">Enter the email you sign in with. If it belongs to an account, a link to choose a new password is mailed to it.</p>
      ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ""}
      <form method="post" action="/oauth/forgot">
        <input type="hidden" name="csrf" value="${o.csrf}">
        <input type="hidden" name="return_to" value="${o.returnTo}">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${o.email ?? ""}">
        <div class="actions"><a class="button" href="/oauth/login?return_to=${encodeURIComponent(o.returnTo)}">Back to sign in</a><button class="primary" type="submit">Send link</button></div>
      </form>`,
  );
}

export function forgotPasswordSentPage(o: { returnTo: string }): string {
  return page(
    "Check your mail",
    html`<h1>Check your mail</h1>
      <p role="status">If an account uses that email, a link to choose a new password is on its way. It works once and for 24 hours.</p>
      <p class="muted">Nothing after a few minutes? Check the spam folder, or ask an administrator of your organization.</p>
      <div class="actions"><a class="button" href="/oauth/login?return_to=${encodeURIComponent(o.returnTo)}">Back to sign in</a></div>`,
  );
}
