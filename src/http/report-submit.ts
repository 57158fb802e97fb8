import type { Context } from "hono";
import { checkToken } from "../accounts/token.service.ts";
import type { CrisisResources } from "../instance/crisis-resources.ts";
import { getCrisisResources } from "../instance/instance-settings.ts";
import { STATUS_BY_KIND } from "../lib/result.ts";
import { createLocalReport, type ReportRequest } from "../reports/local-report.service.ts";
import type { RemoteReport } from "../reports/report.service.ts";
import { clientAddress, rateLimitKey } from "./client-address.ts";
import type { HttpDeps } from "./deps.ts";

export type Submission =
  | { ok: true; report: RemoteReport; crisisResources: CrisisResources }
  | { ok: false; status: number; message: string; retryAfterSeconds?: number };

/**
 * One path for the API and the watch page's form: who is reporting (a token,
 * if given, must be valid), from which address, then the report service.
 */
export async function submitReport(
  c: Context,
  deps: HttpDeps,
  request: ReportRequest,
): Promise<Submission> {
  const db = deps.database.db;
  let accountId: string | null = null;
  const auth = c.req.header("authorization");
  if (auth) {
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    const checked = token ? await checkToken(db, deps.tokens, token) : null;
    if (!checked || !("principal" in checked)) {
      return { ok: false, status: 401, message: "The access token is invalid" };
    }
    accountId = checked.principal.account.id;
  }
  const address = rateLimitKey(clientAddress(c, deps.config.trustProxy));
  const result = await createLocalReport(db, deps.jobs, request, { accountId, address });
  if (!result.ok) {
    if ("rateLimited" in result) {
      return {
        ok: false,
        status: 429,
        message: result.error.message,
        retryAfterSeconds: result.retryAfterSeconds,
      };
    }
    return { ok: false, status: STATUS_BY_KIND[result.error.kind], message: result.error.message };
  }
  return { ok: true, report: result.value, crisisResources: await getCrisisResources(db) };
}
