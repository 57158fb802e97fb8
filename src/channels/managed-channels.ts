import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { type Channel, listChannels } from "./channel.service.ts";

/**
 * The channels an account manages (the same rule as `canManageChannel`):
 * every channel for an admin; otherwise those it owns or is a member of.
 */
export async function listManagedChannels(
  db: Db,
  account: { id: string; isAdmin: boolean },
): Promise<Channel[]> {
  const all = await listChannels(db);
  if (account.isAdmin) return all;
  const rows = await queryRows<{ id: string }>(
    db,
    sql`SELECT c.id FROM local_actors c
          JOIN local_actors owner ON owner.id = c.owner_actor_id
         WHERE c.kind = 'group' AND owner.account_id = ${account.id}
        UNION
        SELECT channel_id FROM channel_members WHERE account_id = ${account.id}`,
  );
  const ids = new Set(rows.map((r) => r.id));
  return all.filter((ch) => ids.has(ch.id));
}
