// Minimal server-rendered HTML: every interpolated value is escaped, pages carry a strict CSP.
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Tagged template whose ${} values are escaped unless wrapped in raw(). */
export class Raw {
  constructor(readonly html: string) {}
}
export const raw = (html: string) => new Raw(html);

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const rendered = Array.isArray(v) ? v.map((x) => (x instanceof Raw ? x.html : esc(x))).join("") : v instanceof Raw ? v.html : esc(v);
    out += rendered + strings[i + 1]!;
  });
  return new Raw(out);
}

/** No scripts at all; images only over https (app logos); never framed (clickjacking). */
export const PAGE_SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "content-type": "text/html; charset=utf-8",
};

/** Pages with passkey buttons: scripts and fetches from this origin only, nothing inline. */
export const SCRIPTED_PAGE_SECURITY_HEADERS = {
  ...PAGE_SECURITY_HEADERS,
  "content-security-policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'; base-uri 'none'",
};

/** Whether a rendered page loads this origin's scripts (then it is sent with SCRIPTED_PAGE_SECURITY_HEADERS). */
const SCRIPT_MARK = '<script defer src="/oauth/assets/';
export function hasScripts(htmlText: string): boolean {
  return htmlText.includes(SCRIPT_MARK);
}

const STYLE = `
  *{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2433}
  main{max-width:440px;margin:48px auto;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:32px}
  h1{font-size:1.35rem;margin:0 0 8px}p{margin:8px 0}.muted{color:#5b6475;font-size:.9rem}
  label{display:block;margin:14px 0 4px;font-weight:600}input[type=email],input[type=password],input[type=text]{width:100%;padding:10px;border:1px solid #c8ceda;border-radius:8px;font:inherit}
  button{font:inherit;padding:10px 18px;border-radius:8px;border:1px solid #c8ceda;background:#fff;cursor:pointer}
  button.primary{background:#2d5bff;border-color:#2d5bff;color:#fff}.actions{display:flex;gap:12px;justify-content:flex-end;margin-top:24px}
  .error{background:#fdecec;color:#9b1c1c;padding:10px 12px;border-radius:8px}
  .app{display:flex;gap:14px;align-items:center;margin-bottom:12px}.app img{width:56px;height:56px;border-radius:10px;object-fit:cover;border:1px solid #e3e6ed}
  .badge{display:inline-block;font-size:.75rem;padding:2px 8px;border-radius:99px;background:#e8f0ff;color:#2346b5}.badge.third{background:#fff4e0;color:#8a5300}.badge.published{background:#e6f6ea;color:#1d6b34}
  h2{font-size:.95rem;margin:18px 0 6px;color:#5b6475;text-transform:uppercase;letter-spacing:.04em}ul{margin:0;padding-left:20px}li{margin:4px 0}
  a{color:#2d5bff}.links a{margin-right:12px}
  code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;background:#f0f2f6;padding:1px 5px;border-radius:4px;word-break:break-all}
  dl.details{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:16px 0}dl.details dt{font-weight:600;color:#5b6475}dl.details dd{margin:0}
  form.inline{display:inline}button.link{border:0;padding:0;background:none;color:#2d5bff;text-decoration:underline;font-size:inherit}
  .publisher{margin:2px 0 0}.who{margin:8px 0}
  input.user-code{font:1.4rem ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.12em;text-transform:uppercase;text-align:center}
  .done{font-size:2.2rem;line-height:1;margin:0 0 8px}
  h2.section{font-size:1.05rem;text-transform:none;letter-spacing:0;color:#1d2433;margin:20px 0 4px;padding-top:12px;border-top:1px solid #e3e6ed}
  h3{font-size:.95rem;margin:18px 0 6px}main.wide{max-width:640px}
  .notice{background:#e6f6ea;color:#1d6b34;padding:10px 12px;border-radius:8px}
  ul.list{list-style:none;padding:0;margin:0}ul.list li{display:flex;justify-content:space-between;align-items:center;gap:12px;padding:10px 0;border-bottom:1px solid #eef0f4}
  ul.list li button,.row button{white-space:nowrap;flex-shrink:0}form.spaced{margin-top:20px}
  .row{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap}
  .qr{width:200px;height:200px;margin:8px auto}.qr svg{width:100%;height:100%}
  input.secret{font:1rem ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.05em}
  ol.steps{padding-left:20px;margin:12px 0 4px}
  ul.codes{display:grid;grid-template-columns:repeat(2,1fr);gap:8px;list-style:none;padding:0;margin:16px 0}ul.codes code{font-size:1.05rem;display:block;text-align:center;padding:6px}
  button.primary.danger{background:#b42318;border-color:#b42318}
  a.button.primary{background:#2d5bff;border-color:#2d5bff;color:#fff}
  .sso{margin-top:20px}.passkey{margin-top:12px}.sso .or{text-align:center;margin:0 0 8px}.sso form{margin:8px 0}button.wide{width:100%}
  a.button{display:inline-block;padding:10px 18px;border-radius:8px;border:1px solid #c8ceda;color:inherit;text-decoration:none}
`;

export function page(title: string, body: Raw, opts: { scripts?: readonly string[]; wide?: boolean } = {}): string {
  const scripts = (opts.scripts ?? []).filter((s) => s.startsWith("/oauth/assets/")).map((s) => `${SCRIPT_MARK}${esc(s.slice("/oauth/assets/".length))}"></script>`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style>${scripts}</head><body><main${opts.wide ? ' class="wide"' : ""}>${body.html}</main></body></html>`;
}
