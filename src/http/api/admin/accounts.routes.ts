import { Hono } from "hono";
import {
  type Account,
  createAccount,
  findAccountById,
  listAccounts,
} from "../../../accounts/account.service.ts";
import type { AuthEnv } from "../../auth.ts";
import { BadBodyError, optionalBoolean } from "../../body.ts";
import { appErrorResponse, errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import { adminAuth, readParams, recordNotFound } from "./support.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function adminAccountJson(account: Account) {
  return {
    id: account.id,
    username: account.username,
    admin: account.isAdmin,
    created_at: account.createdAt.toISOString(),
  };
}

/**
 * Haven: the people who log in here. An admin creates them (the password is
 * generated unless given, and then shown once), lists and reads them. A
 * member's name shares one namespace with channels (409 when taken).
 */
export function adminAccountRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");
  const url = `${deps.config.publicUrl.origin}/api/v1/admin/accounts`;

  /** Newest first; `limit` (100, at most 200), `max_id` (an account id) for older ones. */
  app.get("/", read, async (c) => {
    const raw = c.req.query("limit");
    const asked = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : 100;
    const limit = Math.max(1, Math.min(asked, 200));
    const maxId = c.req.query("max_id");
    const rows = await listAccounts(db, {
      limit,
      ...(maxId !== undefined && UUID.test(maxId) ? { maxId } : {}),
    });
    const last = rows.at(-1);
    if (rows.length === limit && last) {
      const next = new URLSearchParams({ ...(raw === undefined ? {} : { limit: String(limit) }) });
      next.set("max_id", last.id);
      c.header("Link", `<${url}?${next}>; rel="next"`);
    }
    return c.json(rows.map(adminAccountJson));
  });

  app.get("/:id", read, async (c) => {
    const id = c.req.param("id");
    const account = UUID.test(id) ? await findAccountById(db, id) : null;
    return account ? c.json(adminAccountJson(account)) : recordNotFound(c);
  });

  app.post("/", write, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const { username, password } = body.params;
    if (typeof username !== "string" || username.trim() === "") {
      return errorResponse(c, 422, "username is required");
    }
    if (password !== undefined && password !== null && typeof password !== "string") {
      return errorResponse(c, 422, "password must be a string");
    }
    let admin: boolean | undefined;
    try {
      admin = optionalBoolean(body.params, "admin");
    } catch (e) {
      if (e instanceof BadBodyError) return errorResponse(c, 422, e.message);
      throw e;
    }
    const result = await createAccount(db, {
      username,
      // An empty password field (a form left blank) means "generate one".
      ...(typeof password === "string" && password !== "" ? { password } : {}),
      isAdmin: admin ?? false,
    });
    if (!result.ok) {
      return result.error.kind === "invalid"
        ? errorResponse(c, 422, result.error.message)
        : appErrorResponse(c, result.error);
    }
    const { account, generatedPassword } = result.value;
    return c.json(
      {
        ...adminAccountJson(account),
        ...(generatedPassword === null ? {} : { password: generatedPassword }),
      },
      201,
    );
  });
  return app;
}
