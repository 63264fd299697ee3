// Relay global ids in inputs, decoded by hand so a wrong or foreign id becomes a typed error
// (NotFoundError or ValidationError) instead of a top-level GraphQL failure.
import { decodeGlobalID } from "@pothos/plugin-relay";

export function idOf(globalId: string | null | undefined, typename: string): string | null {
  if (!globalId) return null;
  try {
    const decoded = decodeGlobalID(globalId);
    return decoded.typename === typename && decoded.id ? decoded.id : null;
  } catch {
    return null;
  }
}
