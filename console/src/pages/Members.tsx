import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useMutation, useQuery } from "urql";
import { InviteMemberMutation, MembersQuery, PasswordResetLinkMutation, RemoveMemberMutation, UpdateMemberRoleMutation } from "../operations.ts";
import { useSession } from "../session.tsx";
import { Field } from "../components/Field.tsx";
import { OneTimeLinkDialog } from "../components/OneTimeLinkDialog.tsx";
import { ConfirmDialog, failureOf } from "../components/ConfirmDialog.tsx";
import { EmptyState, ErrorNotice } from "../components/Notice.tsx";
import { formatDate } from "../labels.ts";
import { placeServerErrors } from "../components/form.ts";
import { inviteForm, type InviteFormValues } from "../rules.ts";
import type { MemberRole } from "../gql/graphql.ts";

type Link = { title: string; label: string; url: string; note: string };

export function MembersPage() {
  const { organization } = useSession();
  if (!organization) {
    return (
      <section>
        <h1>Members</h1>
        <EmptyState title="Only administrators manage members" />
      </section>
    );
  }
  return <MemberList organizationId={organization.id} organizationName={organization.name} />;
}

function MemberList({ organizationId, organizationName }: { organizationId: string; organizationName: string }) {
  const { email: myEmail } = useSession();
  const [{ data, error }] = useQuery({ query: MembersQuery, variables: { organizationId } });
  const [, updateRole] = useMutation(UpdateMemberRoleMutation);
  const [, resetLink] = useMutation(PasswordResetLinkMutation);
  const [problem, setProblem] = useState<string | null>(null);
  const [link, setLink] = useState<Link | null>(null);
  const [removing, setRemoving] = useState<{ userId: string; email: string } | null>(null);
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState("");
  const all = data?.organization?.members ?? [];
  const needle = query.trim().toLowerCase();
  const members = needle ? all.filter((m) => m.email.toLowerCase().includes(needle) || (m.name ?? "").toLowerCase().includes(needle)) : all;

  return (
    <section>
      <h1>Members</h1>
      <p className="muted">
        People in {organizationName}. Admins manage its applications and members; members sign in to its private apps.
      </p>
      <InviteForm organizationId={organizationId} onLink={setLink} />
      {problem && (
        <div className="notice error" role="alert">
          {problem}
        </div>
      )}
      {error && <ErrorNotice error={error} />}
      <p role="status" className="saved">
        {status}
      </p>
      {all.length > 0 && (
        <div className="field search">
          <label htmlFor="member-search">Search members</label>
          <input id="member-search" type="search" placeholder="Name or email" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
      )}
      {data && all.length === 0 && <EmptyState title="No members yet">Invite someone above.</EmptyState>}
      {all.length > 0 && members.length === 0 && <EmptyState title={`No member matches “${query.trim()}”`} />}
      {members.length > 0 && (
        <table className="list">
          <caption className="visually-hidden">Members</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.userId}>
                <td data-label="Email">
                  {m.email}
                  {m.email === myEmail && <span className="badge">You</span>}
                </td>
                <td data-label="Name">{m.name ?? "—"}</td>
                <td data-label="Role">
                  <select
                    aria-label={`Role of ${m.email}`}
                    value={m.role}
                    onChange={async (e) => {
                      setProblem(null);
                      const r = await updateRole({ input: { organizationId, userId: m.userId, role: e.target.value as MemberRole } }, { additionalTypenames: ["Member"] });
                      const o = r.data?.updateMemberRole;
                      if (r.error || (o && o.__typename !== "UpdateMemberRoleSuccess")) setProblem(r.error?.message ?? (o && "message" in o ? o.message : "The role could not be changed."));
                    }}
                  >
                    <option value="ADMIN">Admin</option>
                    <option value="MEMBER">Member</option>
                  </select>
                </td>
                <td data-label="Joined">{formatDate(m.joinedAt)}</td>
                <td data-label="">
                  <div className="row-actions">
                  <button
                    type="button"
                    className="small"
                    onClick={async () => {
                      setProblem(null);
                      const r = await resetLink({ input: { organizationId, userId: m.userId } });
                      const o = r.data?.createPasswordResetLink;
                      if (o?.__typename === "CreatePasswordResetLinkSuccess") {
                        setLink({ title: `Password reset link for ${m.email}`, label: "Password reset link", url: o.resetUrl, note: "Send this link to the person. It works once, for 24 hours." });
                      } else setProblem(r.error?.message ?? (o && "message" in o ? o.message : "No link could be made."));
                    }}
                  >
                    Reset password
                  </button>
                  <button type="button" className="danger-button small" onClick={() => setRemoving({ userId: m.userId, email: m.email })}>
                    Remove
                  </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <OneTimeLinkDialog inputId="one-time-link" onClose={() => setLink(null)} link={link && { title: link.title, description: link.note, label: link.label, url: link.url }} />
      <RemoveDialog organizationId={organizationId} member={removing} onClose={() => setRemoving(null)} onRemoved={(email) => setStatus(`${email} removed.`)} />
    </section>
  );
}

function InviteForm({ organizationId, onLink }: { organizationId: string; onLink(link: Link): void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const [, invite] = useMutation(InviteMemberMutation);
  const { register, handleSubmit, setError, reset, formState } = useForm<InviteFormValues>({ defaultValues: { email: "", role: "MEMBER" }, resolver: zodResolver(inviteForm) });
  const submit = handleSubmit(async (values) => {
    setProblem(null);
    const email = values.email.trim();
    const r = await invite({ input: { organizationId, email, role: values.role } });
    const o = r.data?.inviteMember;
    if (o?.__typename === "InviteMemberSuccess") {
      onLink({ title: `Invitation for ${email}`, label: "Invitation link", url: o.invitationUrl, note: "Send this link to the person. It works once, for 7 days: they choose a password and join." });
      reset({ email: "", role: values.role });
      return;
    }
    setProblem(placeServerErrors(r, o, setError, { email: "email", role: "role" }, "The invitation failed."));
  });
  return (
    <form className="invite" noValidate onSubmit={submit}>
      <h2>Invite someone</h2>
      {problem && (
        <div className="notice error" role="alert">
          {problem}
        </div>
      )}
      <div className="row">
        <Field label="Email" error={formState.errors.email?.message}>
          <input type="email" autoComplete="off" {...register("email")} />
        </Field>
        <Field label="Role" error={formState.errors.role?.message}>
          <select {...register("role")}>
            <option value="MEMBER">Member</option>
            <option value="ADMIN">Admin</option>
          </select>
        </Field>
        <div className="field">
          <button type="submit" className="primary" disabled={formState.isSubmitting}>
            Invite
          </button>
        </div>
      </div>
    </form>
  );
}

function RemoveDialog({
  organizationId,
  member,
  onClose,
  onRemoved,
}: {
  organizationId: string;
  member: { userId: string; email: string } | null;
  onClose(): void;
  onRemoved(email: string): void;
}) {
  const [{ fetching }, remove] = useMutation(RemoveMemberMutation);
  return (
    <ConfirmDialog
      open={member !== null}
      onClose={onClose}
      title={`Remove ${member?.email ?? ""}?`}
      description="They lose access at once: their sign-in sessions and the refresh tokens of this organization's apps end."
      confirmLabel="Remove member"
      busy={fetching}
      onConfirm={async () => {
        if (!member) return null;
        const r = await remove({ input: { organizationId, userId: member.userId } }, { additionalTypenames: ["Member"] });
        const o = r.data?.removeMember;
        if (o?.__typename !== "RemoveMemberSuccess") return failureOf(r, o, "The member could not be removed.");
        onRemoved(member.email);
        return null;
      }}
    />
  );
}
