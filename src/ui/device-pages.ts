// The pages of the device flow (RFC 8628 §3.3): the person types the code their device shows,
// and after sign-in and the usual consent page learns they can go back to the device.
import { html, page } from "./html.ts";

export function deviceCodePage(opts: { csrf: string; code?: string; error?: string; prefilled?: boolean }): string {
  return page(
    "Connect a device",
    html`<h1>Connect a device</h1>
      <p>Enter the code shown on your device, for example a TV, a game console or a terminal.</p>
      ${opts.prefilled && !opts.error
        ? html`<p class="muted">The code below came with the link you opened. Continue only if it matches the code on your device.</p>`
        : ""}
      ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ""}
      <form method="post" action="/oauth/device">
        <input type="hidden" name="csrf" value="${opts.csrf}">
        <label for="user_code">Code</label>
        <input id="user_code" class="user-code" name="user_code" type="text" inputmode="text" autocomplete="off" autocapitalize="characters"
          spellcheck="false" maxlength="20" placeholder="XXXX-XXXX" required value="${opts.code ?? ""}"${opts.error ? html` aria-invalid="true"` : ""}>
        <div class="actions"><button class="primary" type="submit">Continue</button></div>
      </form>`,
  );
}

export function deviceDonePage(opts: { appName: string; approved: boolean }): string {
  return opts.approved
    ? page(
        "Device connected",
        html`<p class="done" aria-hidden="true">✓</p><h1>You're all set</h1>
          <p><strong>${opts.appName}</strong> is now connected. You can return to your device: it continues on its own in a few seconds.</p>
          <p class="muted">You can close this window.</p>`,
      )
    : page(
        "Access denied",
        html`<h1>Access denied</h1>
          <p><strong>${opts.appName}</strong> did not get access. You can return to your device; it will say that the request was denied.</p>
          <p class="muted">You can close this window.</p>`,
      );
}
