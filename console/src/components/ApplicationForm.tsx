// One form for creating an application and editing its settings: the seeds' fields, checked
// lightly here (zod) and fully by the server, whose every ValidationError fieldError is shown
// at the field it names.
import { zodResolver } from "@hookform/resolvers/zod";
import { useEffect, useState } from "react";
import { useForm, type UseFormSetError } from "react-hook-form";
import * as z from "zod/mini";
import { CheckField, Field } from "./Field.tsx";

const schema = z.object({
  name: z.string().check(z.trim(), z.minLength(1, "Give the application a name."), z.maxLength(100, "At most 100 characters.")),
  description: z.string().check(z.maxLength(1000, "At most 1000 characters.")),
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
  tokenExchangeTtl: z.string().check(z.regex(/^\d*$/, "Seconds, as a whole number.")),
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
  usesPkce: false,
  logoUri: "",
  termsOfServiceUri: "",
  privacyPolicyUri: "",
  clientCode: "",
  onBehalfOfEnabled: false,
  tokenExchangeEnabled: false,
  tokenExchangeTtl: "3600",
};

export const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** The GraphQL input fields common to create and update. */
export function toInput(v: ApplicationFormValues) {
  const uris = lines(v.redirectUris);
  const opt = (s: string) => (s.trim() === "" ? null : s.trim());
  return {
    name: v.name.trim(),
    description: opt(v.description),
    redirectUris: v.applicationType === "M2M" ? [] : uris.map((uri) => ({ uri, default: uri === (v.defaultRedirectUri || uris[0]) })),
    postLogoutRedirectUris: v.applicationType === "M2M" ? [] : lines(v.postLogoutRedirectUris),
    usesPkce: v.applicationType === "M2M" ? false : v.usesPkce,
    logoUri: opt(v.logoUri),
    termsOfServiceUri: opt(v.termsOfServiceUri),
    privacyPolicyUri: opt(v.privacyPolicyUri),
    clientCode: opt(v.clientCode),
    onBehalfOfEnabled: v.onBehalfOfEnabled,
    tokenExchange: { enabled: v.tokenExchangeEnabled, accessTokenTtlSeconds: Number(v.tokenExchangeTtl || "3600") },
  };
}

const FIELD_OF: Record<string, keyof ApplicationFormValues> = {
  tokenExchange: "tokenExchangeTtl",
};

/** Puts each server fieldError at its field; returns the ones no field shows. */
export function showFieldErrors(
  fieldErrors: readonly { path: readonly string[]; message: string }[],
  setError: UseFormSetError<ApplicationFormValues>,
  values: ApplicationFormValues,
): string[] {
  const unplaced: string[] = [];
  const byField = new Map<keyof ApplicationFormValues, string[]>();
  for (const fe of fieldErrors) {
    const head = fe.path[0] ?? "";
    const field = (FIELD_OF[head] ?? (head in values ? head : null)) as keyof ApplicationFormValues | null;
    if (!field) {
      unplaced.push(`${fe.path.join(".")}: ${fe.message}`);
      continue;
    }
    // A URI's error names its line, since several share the one field.
    const index = fe.path[1] !== undefined && /^\d+$/.test(fe.path[1]) ? Number(fe.path[1]) : null;
    const text = index !== null && (field === "redirectUris" || field === "postLogoutRedirectUris") ? `Line ${index + 1}: ${fe.message}` : capitalize(fe.message);
    byField.set(field, [...(byField.get(field) ?? []), text]);
  }
  for (const [field, messages] of byField) setError(field, { type: "server", message: messages.join(" ") });
  return unplaced;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface ApplicationFormProps {
  mode: "create" | "edit";
  initial: ApplicationFormValues;
  organizations: { id: string; name: string }[];
  canSetFirstParty: boolean;
  submitLabel: string;
  onSubmit(values: ApplicationFormValues, setError: UseFormSetError<ApplicationFormValues>): Promise<string | null>;
}

export function ApplicationForm({ mode, initial, organizations, canSetFirstParty, submitLabel, onSubmit }: ApplicationFormProps) {
  const { register, handleSubmit, watch, setError, setValue, formState } = useForm<ApplicationFormValues>({
    defaultValues: initial,
    resolver: zodResolver(schema),
  });
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const type = watch("applicationType");
  const platform = watch("platform");
  const uris = lines(watch("redirectUris"));
  const fixed = mode === "edit";
  const errors = formState.errors;
  const publicClient = type === "OAUTH" && platform !== "WEB";

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
    const error = await onSubmit(values, setError);
    setFormError(error);
    if (!error && mode === "edit") setSaved(true);
  });

  return (
    <form className="app-form" noValidate onSubmit={submit}>
      {formError && (
        <div className="notice error" role="alert">
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

      <fieldset>
        <legend>Acting for people</legend>
        <CheckField label="On-behalf-of" hint="Lets this app exchange a person's token for one carrying on-behalf-of scopes." error={errors.onBehalfOfEnabled?.message}>
          <input type="checkbox" {...register("onBehalfOfEnabled")} />
        </CheckField>
        <CheckField label="Token exchange" hint="Accept tokens from the organization's identity providers (RFC 8693)." error={errors.tokenExchangeEnabled?.message}>
          <input type="checkbox" {...register("tokenExchangeEnabled")} />
        </CheckField>
        <Field label="Token lifetime (seconds)" hint="Of access tokens issued by token exchange: 60 to 86400." error={errors.tokenExchangeTtl?.message}>
          <input type="text" inputMode="numeric" {...register("tokenExchangeTtl")} />
        </Field>
      </fieldset>

      <div className="actions">
        <span aria-live="polite" className="saved">
          {saved ? "Saved." : ""}
        </span>
        <button className="primary" type="submit" disabled={formState.isSubmitting}>
          {formState.isSubmitting ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
