// The audit trail: one row per change, written in the same transaction as the change itself,
// with the same public ids as the API and nothing secret. Every room that changes something
// records here; this room imports nothing above the database.
import type { Prisma } from "../db/client.ts";
import { publicId, rawIdOf, type IdType } from "../ids.ts";
import { registryChanges } from "./changes.ts";

type Tx = Prisma.TransactionClient;

/** Who did it: a person (`usr_` id) or an application (clientId); null for the server itself. */
export interface Actor {
  kind: "USER" | "APPLICATION";
  subject: string;
}

/** Which kind of object an action's target is, so events carry the same public ids as the API. */
const TARGET_ID_TYPES: Record<string, IdType> = {
  application: "ConnectApplication",
  client_secret: "ClientSecret",
  scopes: "ConnectApplication",
  organization: "Organization",
  user: "User",
  membership: "User",
  invitation: "Invitation",
  consent: "ConnectApplication",
  registration_token: "RegistrationToken",
  publication: "PublicationRequest",
};

export async function audit(
  tx: Tx,
  actor: Actor | null,
  organizationId: string | null,
  action: string,
  targetId: string,
  details: Record<string, unknown>,
): Promise<void> {
  const targetType = action.split(".")[0] ?? null;
  const idType = targetType ? TARGET_ID_TYPES[targetType] : undefined;
  const applicationId = idType === "ConnectApplication" ? targetId : rawIdOf(details.applicationId, "ConnectApplication");
  await tx.auditEvent.create({
    data: {
      organizationId,
      applicationId,
      actorType: actor ? actor.kind : "SYSTEM",
      actorId: actor?.subject ?? null,
      action,
      targetType,
      targetId: idType ? publicId(idType, targetId) : targetId,
      details: JSON.stringify(details),
    },
  });
  registryChanges.record();
}
