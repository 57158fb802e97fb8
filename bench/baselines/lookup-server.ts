import { serve } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";
import { serveRpc } from "../support/rpc.ts";

/**
 * Baseline for S5/S6: Hono, one indexed SELECT, a small JSON body. It
 * answers WebFinger and actor GETs in the same shape Haven does, so the
 * load generator checks both the same way.
 */
serveRpc({
  async start(args: { databaseUrl: string }) {
    const sql = postgres(args.databaseUrl, { max: 10, onnotice: () => {} });
    const find = async (handle: string) => {
      const [row] = await sql<{ id: string; handle: string; display_name: string }[]>`
        SELECT id, handle, display_name FROM local_actors WHERE handle = ${handle} LIMIT 1`;
      return row;
    };
    const app = new Hono();
    app.get("/.well-known/webfinger", async (c) => {
      const m = /^acct:([^@]+)@(.+)$/.exec(c.req.query("resource") ?? "");
      const host = c.req.header("host");
      if (!m || m[2] !== host) return c.text("Not found", 404);
      const row = await find(m[1]!);
      if (!row) return c.text("Not found", 404);
      const href = `http://${host}/users/${row.handle}`;
      return c.json({
        subject: `acct:${row.handle}@${host}`,
        aliases: [href],
        links: [{ rel: "self", href, type: "application/activity+json" }],
      });
    });
    app.get("/users/:handle", async (c) => {
      const row = await find(c.req.param("handle"));
      if (!row) return c.text("Not found", 404);
      const id = `http://${c.req.header("host")}/users/${row.handle}`;
      c.header("Content-Type", "application/activity+json");
      return c.body(
        JSON.stringify({
          "@context": "https://www.w3.org/ns/activitystreams",
          id,
          type: "Person",
          preferredUsername: row.handle,
          name: row.display_name,
          inbox: `${id}/inbox`,
        }),
      );
    });
    const port = await new Promise<number>((resolve) => {
      serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve(info.port));
    });
    return { port };
  },
});
