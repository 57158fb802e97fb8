import type { Context } from "@fedify/fedify";
import { type Create, Note, type Update } from "@fedify/vocab";
import type { HavenContext } from "../context.ts";
import { isAuthoredBy } from "../objects/remote-note.ts";
import { signedLoader } from "./loader.ts";

/**
 * The Note a Create/Update carries, believed only as the actor's own
 * (SECURITY #14). An embedded copy is used when its id has the actor's
 * origin and it is attributed to the actor; otherwise it is fetched from
 * its origin and checked again. A Note whose id is on another origin could
 * never pass, so it is not fetched at all (no requests on a forger's behalf).
 */
export async function trustedNoteOf(
  ctx: Context<HavenContext>,
  activity: Create | Update,
  actorId: URL,
): Promise<Note | null> {
  const objectId = activity.objectId;
  if (objectId == null || objectId.origin !== actorId.origin) return null;
  const loader = await signedLoader(ctx);
  // "trust": Fedify's own check compares with the activity's id; ours, above
  // and below, with the actor's, which is stricter.
  const sent = await activity
    .getObject({ ...loader, crossOrigin: "trust", suppressError: true })
    .catch(() => null);
  if (sent instanceof Note && sent.id?.href === objectId.href && isAuthoredBy(sent, actorId)) {
    return sent;
  }
  const fetched = await ctx.lookupObject(objectId.href, loader).catch(() => null);
  if (
    fetched instanceof Note &&
    fetched.id?.href === objectId.href &&
    isAuthoredBy(fetched, actorId)
  ) {
    return fetched;
  }
  return null;
}
