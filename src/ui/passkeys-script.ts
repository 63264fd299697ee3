// The passkey buttons' script, served from this origin as /oauth/assets/passkeys.js next to
// SimpleWebAuthn's browser bundle (CSP script-src 'self': nothing inline, no CDN). Buttons
// carry data-passkey="sign-in" | "second-factor" | "register" and stay hidden where the
// browser has no WebAuthn. Errors land in the page's [data-passkey-error] (role=alert).
export const PASSKEYS_SCRIPT = `"use strict";
(function () {
  var W = window.SimpleWebAuthnBrowser;
  if (!W || !W.browserSupportsWebAuthn()) return;
  // A relying party id must be a domain: on an address (http://127.0.0.1) passkeys cannot work.
  if (/^[0-9.]+$|:/.test(window.location.hostname)) return;
  var errorBox = document.querySelector("[data-passkey-error]");
  function show(message) {
    if (!errorBox) return;
    errorBox.textContent = message;
    errorBox.hidden = false;
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (json) {
          if (!res.ok) throw new Error(json.message || "Something went wrong. Please try again.");
          return json;
        });
      });
  }
  function explain(err) {
    if (err && err.name === "NotAllowedError") return "The passkey request was cancelled or timed out.";
    if (err && err.name === "InvalidStateError") return "This passkey is already added to your account.";
    return (err && err.message) || "Something went wrong. Please try again.";
  }
  document.querySelectorAll("[data-passkey]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var mode = button.getAttribute("data-passkey");
      var csrf = button.getAttribute("data-csrf");
      var returnTo = button.getAttribute("data-return-to");
      button.disabled = true;
      if (errorBox) errorBox.hidden = true;
      var done;
      if (mode === "register") {
        done = post("/oauth/account/passkeys/options", { csrf: csrf })
          .then(function (o) { return W.startRegistration({ optionsJSON: o.options }); })
          .then(function (response) { return post("/oauth/account/passkeys", { csrf: csrf, response: response, return_to: returnTo }); });
      } else {
        done = post("/oauth/login/passkey/options", { csrf: csrf, mode: mode })
          .then(function (o) { return W.startAuthentication({ optionsJSON: o.options }); })
          .then(function (response) { return post("/oauth/login/passkey", { csrf: csrf, mode: mode, response: response, return_to: returnTo }); });
      }
      done.then(function (r) { window.location.assign(r.redirect); }, function (err) {
        show(explain(err));
        button.disabled = false;
      });
    });
  });
})();
`;
