import type { ConsoleApplicationFieldsFragment } from "../../gql/graphql.ts";

export function PublicationTab({ app }: { app: ConsoleApplicationFieldsFragment }) {
  const missing = [
    !app.description && "a description",
    !app.logoUri && "a logo URL",
    !app.termsOfServiceUri && "a terms of service URL",
    !app.privacyPolicyUri && "a privacy policy URL",
    app.applicationType === "OAUTH" && app.redirectUris.length === 0 && "a redirect URI",
  ].filter(Boolean) as string[];
  return (
    <>
      <h2>Visibility</h2>
      {app.visibility === "PUBLIC" ? (
        <p>
          <span className="badge">Public</span> Anyone may authorize <strong>{app.name}</strong>, after consenting to its permissions.
        </p>
      ) : (
        <p>
          <span className="badge muted-badge">Private</span>{" "}
          {app.organization
            ? `Only members of ${app.organization.name} may authorize ${app.name}.`
            : `${app.name} is first-party: it belongs to the operator of this server.`}
        </p>
      )}
      {app.visibility === "PRIVATE" && app.applicationType === "OAUTH" && (
        <>
          <h3>Before asking for publication</h3>
          {missing.length ? (
            <p>
              Reviewers need {missing.join(", ")}. Add {missing.length > 1 ? "them" : "it"} under Settings.
            </p>
          ) : (
            <p>Everything reviewers need is filled in.</p>
          )}
          <p className="muted">Requests for publication and their review arrive in a later release of the console.</p>
        </>
      )}
    </>
  );
}
