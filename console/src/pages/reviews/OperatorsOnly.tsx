import { EmptyState } from "../../components/Notice.tsx";

/** What the review pages say to anyone who is not an ADMIN of the operator organization. */
export function OperatorsOnly({ title }: { title: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <EmptyState title="Only operators review publication requests">
        <p>
          ADMINs of the organization that operates this server decide which applications are published. Your own organization's requests and
          their outcome are on each application's Publication tab.
        </p>
      </EmptyState>
    </section>
  );
}
