// GraphQL ids are the public ids of src/ids.ts. Inputs are decoded by hand so a wrong or
// foreign id becomes a typed error (NotFoundError or ValidationError) or null, never a
// top-level GraphQL failure.
import { ID_PREFIXES, parsePublicId, publicId, rawIdOf, type IdType } from "../ids.ts";

/**
 * The object types `node(id:)` resolves. A new Relay node type (builder.prismaNode) must be
 * added here, or node(id:) answers null for its ids.
 */
const NODE_TYPES: ReadonlySet<string> = new Set<IdType>(["Organization", "ConnectApplication", "ClientSecret", "AuditEvent", "PublicationRequest"]);

export function encodeNodeId(typename: string, id: string | number | bigint): string {
  if (!(typename in ID_PREFIXES)) throw new Error(`${typename} has no public id prefix: add it to src/ids.ts`);
  return publicId(typename as IdType, String(id));
}

/**
 * For node(id:): an id that is malformed or of an unknown type resolves to an application
 * that cannot exist, so the answer is null exactly as for an absent object.
 */
export function decodeNodeId(globalId: string): { typename: string; id: string } {
  const parsed = parsePublicId(globalId);
  return parsed && NODE_TYPES.has(parsed.type) ? { typename: parsed.type, id: parsed.id } : { typename: "ConnectApplication", id: "" };
}

export function idOf(globalId: string | null | undefined, type: IdType): string | null {
  return rawIdOf(globalId, type);
}
