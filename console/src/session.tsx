// Who is signed in and which organization the console is working on.
import { createContext, useContext } from "react";

export interface Membership {
  role: "ADMIN" | "MEMBER";
  organization: { id: string; name: string; isOperator: boolean };
}

export interface Session {
  email: string | null;
  memberships: Membership[];
  /** The organization whose applications and members the admin pages show; null for MEMBERs only. */
  organization: Membership["organization"] | null;
  setOrganizationId(id: string): void;
  isOperatorAdmin: boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside the signed-in shell");
  return session;
}
