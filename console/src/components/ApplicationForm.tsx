// One form for creating an application and editing its settings: the seeds' fields, checked
// lightly here (zod) and fully by the server, whose every ValidationError fieldError is shown
// at the field it names.
import { zodResolver } from "@hookform/resolvers/zod";
import { useEffect, useRef, useState } from "react";
import { useForm, type Resolver, type UseFormSetError } from "react-hook-form";
import * as z from "zod/mini";
import { CheckField, Field } from "./Field.tsx";
import { applicationDescription, applicationName, LIMITS, tokenExchangeTtl } from "../rules.ts";

const schema = z.object({
  name: applicationName,
  description: applicationDescription,
  applicationType: z.enum(["OAUTH", "M2M"]),
  platform: z.enum(["WEB", "SPA", "NATIVE"]),
  isFirstParty: z.boolean(),
  organizationId: z.string(),
  redirectUris: z.string(),
  defaultRedirectUri: z.string(),
  postLogoutRedirectUris: z.string(),
  usesPkce: z.boolean(),
  logoUri: z.string(),
  termsOfServiceUri: z.string(),
  privacyPolicyUri: z.string(),
  clientCode: z.string(),
  onBehalfOfEnabled: z.boolean(),
  tokenExchangeEnabled: z.boolean(),
  tokenExchangeTtl,
});

export type ApplicationFormValues = z.infer<typeof schema>;

export const EMPTY_APPLICATION: ApplicationFormValues = {
  name: "",
  description: "",
  applicationType: "OAUTH",
  platform: "WEB",
  isFirstParty: false,
  organizationId: "",
  redirectUris: "",
  defaultRedirectUri: "",
  postLogoutRedirectUris: "",
  // On for every new OAuth app: public clients must use it, and RFC 9700 recommends it for web apps too.
  usesPkce: true,
  logoUri: "",
  termsOfServiceUri: "",
  privacyPolicyUri: "",
  clientCode: "",
  onBehalfOfEnabled: false,
  tokenExchangeEnabled: false,
  tokenExchangeTtl: String(LIMITS.tokenExchangeTtlDefault),
};

export const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** What the form shows depends on these choices; the form sends only what it shows. */
export interface FormShape {
  mode: "create" | "edit";
  canSetFirstParty: boolean;
}

/**
 * The fields the form shows for the chosen type and platform, and so the only ones it sends.
 * An M2M app has no platform, redirect URIs or PKCE; only WEB apps act on behalf of people;
 * only confidential apps (WEB and M2M) take part in token exchange.
 */
export function shownFields(v: Pick<ApplicationFormValues, "applicationType" | "platform" | "redirectUris">, shape: FormShape): Set<keyof ApplicationFormValues> {
  const shown = new Set<keyof ApplicationFormValues>(["name", "description", "applicationType", "organizationId", "logoUri", "termsOfServiceUri", "privacyPolicyUri", "clientCode"]);
  const oauth = v.applicationType === "OAUTH";
  if (oauth) {
    for (const f of ["platform", "redirectUris", "postLogoutRedirectUris", "usesPkce"] as const) shown.add(f);
    if (lines(v.redirectUris).length > 1) shown.add("defaultRedirectUri");
    if (shape.canSetFirstParty) shown.add("isFirstParty");
  }
  if (oauth && v.platform === "WEB") shown.add("onBehalfOfEnabled");
  if (!oauth || v.platform === "WEB") {
    shown.add("tokenExchangeEnabled");
    shown.add("tokenExchangeTtl");
  }
  return shown;
}

const isPublic = (v: Pick<ApplicationFormValues, "applicationType" | "platform">) => v.applicationType === "OAUTH" && v.platform !== "WEB";

/** The GraphQL input fields common to create and update: only those the form shows. */
export function toInput(v: ApplicationFormValues, shape: FormShape) {
  const shown = shownFields(v, shape);
  const uris = lines(v.redirectUris);
  const opt = (s: string) => (s.trim() === "" ? null : s.trim());
  return {
    name: v.name.trim(),
    description: opt(v.description),
    logoUri: opt(v.logoUri),
    termsOfServiceUri: opt(v.termsOfServiceUri),
    privacyPolicyUri: opt(v.privacyPolicyUri),
    clientCode: opt(v.clientCode),
    ...(shown.has("redirectUris") ? { redirectUris: uris.map((uri) => ({ uri, default: uri === (v.defaultRedirectUri || uris[0]) })) } : {}),
    ...(shown.has("postLogoutRedirectUris") ? { postLogoutRedirectUris: lines(v.postLogoutRedirectUris) } : {}),
    // A public client always uses PKCE, whatever the (disabled) box held before.
    ...(shown.has("usesPkce") ? { usesPkce: isPublic(v) ? true : v.usesPkce } : {}),
    ...(shown.has("onBehalfOfEnabled") ? { onBehalfOfEnabled: v.onBehalfOfEnabled } : {}),
    ...(shown.has("tokenExchangeEnabled")
      ? { tokenExchange: { enabled: v.tokenExchangeEnabled, accessTokenTtlSeconds: Number(v.tokenExchangeTtl || String(LIMITS.tokenExchangeTtlDefault)) } }
      : {}),
  };
}

/** The input of createConnectApplication: the shared fields plus those fixed at creation. */
export function toCreateInput(v: ApplicationFormValues, shape: FormShape) {
  const oauth = v.applicationType === "OAUTH";
  return {
    ...toInput(v, shape),
    applicationType: v.applicationType,
    ...(oauth ? { platform: v.platform } : {}),
    // Required for OAuth apps; people who may not choose it make third-party apps.
    ...(oauth ? { isFirstParty: shape.canSetFirstParty ? v.isFirstParty : false } : {}),
    organizationId: v.organizationId || null,
  };
}

/** The input of updateConnectApplication, for the application `id`. */
export function toUpdateInput(id: string, v: ApplicationFormValues, shape: FormShape) {
  const shown = shownFields(v, shape);
  return { id, ...toInput(v, shape), ...(shown.has("isFirstParty") ? { isFirstParty: v.isFirstParty } : {}) };
}

const FIELD_OF: Record<string, keyof ApplicationFormValues> = {
  tokenExchange: "tokenExchangeTtl",
};

/** What a person calls each input field, for messages that cannot sit under a field. */
export const FIELD_LABEL: Record<string, string> = {
  name: "Name",
  description: "Description",
  applicationType: "Application type",
  platform: "Platform",
  isFirstParty: "First-party",
  organizationId: "Organization",
  redirectUris: "Redirect URIs",
  postLogoutRedirectUris: "Sign-out return URLs",
  usesPkce: "Require PKCE",
  logoUri: "Logo URL",
  termsOfServiceUri: "Terms of service URL",
  privacyPolicyUri: "Privacy policy URL",
  clientCode: "Client code",
  onBehalfOfEnabled: "On-behalf-of",
  onBehalfOfNamedSubjects: "On-behalf-of by name",
  tokenExchange: "Token exchange",
  scopes: "Permissions",
};

/**
 * Puts each server fieldError at its field when the form shows that field; returns, in words,
 * the ones no visible field can show (a hidden or unknown field), for the banner.
 */
export function showFieldErrors(
  fieldErrors: readonly { path: readonly string[]; message: string }[],
  setError: UseFormSetError<ApplicationFormValues>,
  values: ApplicationFormValues,
  shape: FormShape,
): string[] {
  const shown = shownFields(values, shape);
  const unplaced: string[] = [];
  const byField = new Map<keyof ApplicationFormValues, string[]>();
  for (const fe of fieldErrors) {
    const head = fe.path[0] ?? "";
    const candidate = (FIELD_OF[head] ?? (head in values ? head : null)) as keyof ApplicationFormValues | null;
    const field = candidate && shown.has(candidate) ? candidate : null;
    if (!field) {
      const label = FIELD_LABEL[head] ?? (fe.path.join(".") || "Form");
      unplaced.push(`${label}: ${fe.message}.`.replace(/\.\.$/, "."));
      continue;
    }
    // A URI's error names its line, since several share the one field.
    const index = fe.path[1] !== undefined && /^\d+$/.test(fe.path[1]) ? Number(fe.path[1]) : null;
    const text = index !== null && (field === "redirectUris" || field === "postLogoutRedirectUris") ? `Line ${index + 1}: ${fe.message}` : capitalize(fe.message);
    byField.set(field, [...(byField.get(field) ?? []), text]);
  }
  let first = true;
  for (const [field, messages] of byField) {
    setError(field, { type: "server", message: messages.join(" ") }, { shouldFocus: first });
    first = false;
  }
  return unplaced;
}

/** The banner over a form the server refused: what no field shows, then a pointer to the fields. */
export function bannerFor(unplaced: string[], placed: boolean): string {
  const below = "Some fields need attention: see the messages below them.";
  if (unplaced.length === 0) return below;
  return [...unplaced, ...(placed ? [below] : [])].join(" ");
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface ApplicationFormProps {
  mode: "create" | "edit";
  initial: ApplicationFormValues;
  organizations: { id: string; name: string }[];
  canSetFirstParty: boolean;
  submitLabel: string;
  /** Sends the form; answers null when done, a message, or the server's fieldErrors. */
  onSubmit(values: ApplicationFormValues, shape: FormShape): Promise<SubmitOutcome>;
}

export type SubmitOutcome = null | string | { fieldErrors: readonly { path: readonly string[]; message: string }[] };

/** zod's verdict on the fields the form shows: a hidden field's value is never sent, so never blocks. */
const resolver: Resolver<ApplicationFormValues, FormShape> = async (values, context, options) => {
  const result = await zodResolver(schema)(values, context, options);
  if (!context) return result;
  const shown = shownFields(values, context);
  const errors = Object.fromEntries(Object.entries(result.errors).filter(([field]) => shown.has(field as keyof ApplicationFormValues)));
  return Object.keys(errors).length ? { values: {}, errors } : { values, errors: {} };
};

export function ApplicationForm({ mode, initial, organizations, canSetFirstParty, submitLabel, onSubmit }: ApplicationFormProps) {
  const shape: FormShape = { mode, canSetFirstParty };
  const { register, handleSubmit, watch, setError, setValue, formState } = useForm<ApplicationFormValues, FormShape>({
    defaultValues: initial,
    resolver,
    context: shape,
  });
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  // The banner sits above the form while the button that caused it is below: bring it into view.
  const bannerRef = useRef<HTMLDivElement>(null);
  // Unless every message sits at a field, which then has the focus.
  const focusBanner = useRef(false);
  useEffect(() => {
    if (formError && focusBanner.current) bannerRef.current?.focus();
  }, [formError]);
  const type = watch("applicationType");
  const platform = watch("platform");
  const uris = lines(watch("redirectUris"));
  const fixed = mode === "edit";
  const errors = formState.errors;
  const publicClient = type === "OAUTH" && platform !== "WEB";
  const shown = shownFields({ applicationType: type, platform, redirectUris: watch("redirectUris") }, shape);

  useEffect(() => {
    if (publicClient) setValue("usesPkce", true);
  }, [publicClient, setValue]);
  // The default is always one of the URIs listed, the first unless another is chosen.
  const defaultUri = watch("defaultRedirectUri");
  const uriKey = uris.join("\n");
  useEffect(() => {
    if (uris.length > 0 && !uris.includes(defaultUri)) setValue("defaultRedirectUri", uris[0]!);
  }, [uriKey, defaultUri, setValue]); // eslint-disable-line react-hooks/exhaustive-deps

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    setSaved(false);
    const outcome = await onSubmit(values, shape);
    if (outcome !== null && typeof outcome === "object") {
      const unplaced = showFieldErrors(outcome.fieldErrors, setError, values, shape);
      focusBanner.current = unplaced.length > 0;
      setFormError(bannerFor(unplaced, unplaced.length < outcome.fieldErrors.length));
      return;
    }
    focusBanner.current = true;
    setFormError(outcome);
    if (!outcome && mode === "edit") setSaved(true);
  });

  return (
    <form className="app-form" noValidate onSubmit={submit}>
      {formError && (
        <div className="notice error" role="alert" tabIndex={-1} ref={bannerRef}>
          {formError}
        </div>
      )}
      <fieldset>
        <legend>Basics</legend>
        <Field label="Name" error={errors.name?.message}>
          <input type="text" autoComplete="off" {...register("name")} />
        </Field>
        <Field label="Description" hint="Shown to people on the consent screen." error={errors.description?.message}>
          <textarea rows={2} {...register("description")} />
        </Field>
        <div className="row">
          <Field label="Application type" hint={fixed ? "Fixed at creation." : "OAuth apps act for people; M2M apps act as themselves."} error={errors.applicationType?.message}>
            <select disabled={fixed} {...register("applicationType")}>
              <option value="OAUTH">OAuth</option>
              <option value="M2M">M2M</option>
            </select>
          </Field>
          {type === "OAUTH" && (
            <Field label="Platform" hint={fixed ? "Fixed at creation." : "Web apps keep a secret; SPA and native apps use PKCE."} error={errors.platform?.message}>
              <select disabled={fixed} {...register("platform")}>
                <option value="WEB">Web</option>
                <option value="SPA">SPA</option>
                <option value="NATIVE">Native</option>
              </select>
            </Field>
          )}
        </div>
        <div className="row">
          <Field label="Organization" hint={fixed ? "Fixed at creation." : undefined} error={errors.organizationId?.message}>
            <select disabled={fixed} {...register("organizationId")}>
              {canSetFirstParty && <option value="">None (first-party only)</option>}
              {organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </Field>
          {canSetFirstParty && type === "OAUTH" && (
            <CheckField label="First-party" hint="Operator-owned apps, trusted without a publication review." error={errors.isFirstParty?.message}>
              <input type="checkbox" {...register("isFirstParty")} />
            </CheckField>
          )}
        </div>
      </fieldset>

      {type === "OAUTH" && (
        <fieldset>
          <legend>Sign-in</legend>
          <Field
            label="Redirect URIs"
            hint="One per line; exact match, https (http only on loopback for native apps), no wildcards or fragments."
            error={errors.redirectUris?.message}
          >
            <textarea rows={3} spellCheck={false} autoCapitalize="off" {...register("redirectUris")} />
          </Field>
          {uris.length > 1 && (
            <Field label="Default redirect URI" hint="Used when an authorization request names none." error={errors.defaultRedirectUri?.message}>
              <select {...register("defaultRedirectUri")}>
                {uris.map((u) => (
                  <option key={u} value={u}>
                    {u}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <Field label="Sign-out return URLs" hint="Post-logout redirect URIs, one per line: where sign-out may send people back to." error={errors.postLogoutRedirectUris?.message}>
            <textarea rows={2} spellCheck={false} autoCapitalize="off" {...register("postLogoutRedirectUris")} />
          </Field>
          <CheckField label="Require PKCE" hint={publicClient ? "Always on for SPA and native apps." : "Recommended for web apps too."} error={errors.usesPkce?.message}>
            <input type="checkbox" disabled={publicClient} {...register("usesPkce")} />
          </CheckField>
        </fieldset>
      )}

      <fieldset>
        <legend>Branding and policies</legend>
        <Field label="Logo URL" hint="https; shown on the consent screen." error={errors.logoUri?.message}>
          <input type="text" inputMode="url" spellCheck={false} {...register("logoUri")} />
        </Field>
        <Field label="Terms of service URL" error={errors.termsOfServiceUri?.message}>
          <input type="text" inputMode="url" spellCheck={false} {...register("termsOfServiceUri")} />
        </Field>
        <Field label="Privacy policy URL" error={errors.privacyPolicyUri?.message}>
          <input type="text" inputMode="url" spellCheck={false} {...register("privacyPolicyUri")} />
        </Field>
        <Field label="Client code" hint="Optional short unique code to look the app up by." error={errors.clientCode?.message}>
          <input type="text" autoComplete="off" spellCheck={false} {...register("clientCode")} />
        </Field>
      </fieldset>

      {(shown.has("onBehalfOfEnabled") || shown.has("tokenExchangeEnabled")) && (
        <fieldset>
          <legend>{shown.has("onBehalfOfEnabled") ? "Acting for people" : "Token exchange"}</legend>
          {shown.has("onBehalfOfEnabled") && (
            <CheckField label="On-behalf-of" hint="Lets this app exchange a person's token for one carrying on-behalf-of scopes." error={errors.onBehalfOfEnabled?.message}>
              <input type="checkbox" {...register("onBehalfOfEnabled")} />
            </CheckField>
          )}
          <CheckField label="Token exchange" hint="Accept tokens from the organization's identity providers (RFC 8693)." error={errors.tokenExchangeEnabled?.message}>
            <input type="checkbox" {...register("tokenExchangeEnabled")} />
          </CheckField>
          <Field
            label="Token lifetime (seconds)"
            hint={`Of access tokens issued by token exchange: ${LIMITS.tokenExchangeTtlMin} to ${LIMITS.tokenExchangeTtlMax}.`}
            error={errors.tokenExchangeTtl?.message}
          >
            <input type="text" inputMode="numeric" {...register("tokenExchangeTtl")} />
          </Field>
        </fieldset>
      )}

      <div className="actions">
        <span role="status" className="saved">
          {saved ? "Saved." : ""}
        </span>
        <button className="primary" type="submit" disabled={formState.isSubmitting}>
          {formState.isSubmitting ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
