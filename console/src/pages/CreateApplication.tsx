import { Link, useNavigate } from "react-router";
import { useMutation } from "urql";
import { ApplicationForm, EMPTY_APPLICATION, toCreateInput } from "../components/ApplicationForm.tsx";
import { CreateApplicationMutation } from "../operations.ts";
import { useSession } from "../session.tsx";

export function CreateApplicationPage() {
  const { organization, memberships, isOperatorAdmin } = useSession();
  const navigate = useNavigate();
  const [, create] = useMutation(CreateApplicationMutation);
  const organizations = memberships.filter((m) => m.role === "ADMIN").map((m) => m.organization);
  if (!organization) {
    return (
      <section>
        <h1>Create application</h1>
        <p>Only administrators of an organization create applications.</p>
      </section>
    );
  }
  return (
    <section>
      <p className="crumbs">
        <Link to="/applications">Applications</Link> /
      </p>
      <h1>Create application</h1>
      <ApplicationForm
        mode="create"
        initial={{ ...EMPTY_APPLICATION, organizationId: organization.id }}
        organizations={organizations}
        canSetFirstParty={isOperatorAdmin}
        submitLabel="Create"
        onSubmit={async (values, shape) => {
          const result = await create({ input: toCreateInput(values, shape) });
          if (result.error) return result.error.message;
          const outcome = result.data!.createConnectApplication;
          if (outcome.__typename === "CreateConnectApplicationSuccess") {
            navigate(`/applications/${encodeURIComponent(outcome.application.id)}/credentials`, { state: { created: true } });
            return null;
          }
          return outcome.__typename === "ValidationError" ? { fieldErrors: outcome.fieldErrors } : outcome.message;
        }}
      />
    </section>
  );
}
