import type { Context } from "hono";
import { Hono } from "hono";
import type { Db } from "../../../db/client.ts";
import {
  type CombinationPolicy,
  getModerationSettings,
  getPublicationSettings,
  isPublishLevel,
  PUBLISH_LEVELS,
  type PublicationSettings,
  previewAllowlistMode,
  previewCombinationPolicy,
  setAllowlistMode,
  setCombinationPolicy,
  updatePublicationSettings,
} from "../../../moderation/index.ts";
import type { AuthEnv } from "../../auth.ts";
import { BadBodyError, type Fields, optionalBoolean } from "../../body.ts";
import { errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import { changePreviewJson, purgedJson } from "./json.ts";
import { actorOf, adminAuth, moderationErrorResponse, readParams } from "./support.ts";

interface SettingsPatch {
  federationMode?: "blocklist" | "allowlist";
  combinationPolicy?: CombinationPolicy;
  publication: { -readonly [K in keyof PublicationSettings]?: PublicationSettings[K] };
}

/**
 * `combination_policy` as JSON (`{"kind": "threshold", "threshold": 2}`) or
 * as form fields (`combination_policy=threshold&threshold=2`).
 */
function parseCombination(fields: Fields): CombinationPolicy | undefined {
  const raw = fields.combination_policy;
  if (raw === undefined || raw === null || raw === "") return undefined;
  const o = typeof raw === "string" ? { kind: raw, threshold: fields.threshold } : raw;
  if (typeof o !== "object" || o === null) throw new BadBodyError("combination_policy is invalid");
  const { kind, threshold } = o as { kind?: unknown; threshold?: unknown };
  if (kind === "harshest" || kind === "priority") return { kind };
  const n = typeof threshold === "string" ? Number(threshold) : threshold;
  if (kind === "threshold" && typeof n === "number" && Number.isInteger(n) && n >= 1) {
    return { kind, threshold: n };
  }
  throw new BadBodyError(
    'combination_policy must be "harshest", "priority" or "threshold" with a threshold ≥ 1',
  );
}

function parseSettings(fields: Fields): SettingsPatch {
  const patch: SettingsPatch = { publication: {} };
  const mode = fields.federation_mode;
  if (mode !== undefined) {
    if (mode !== "blocklist" && mode !== "allowlist") {
      throw new BadBodyError("federation_mode must be blocklist or allowlist");
    }
    patch.federationMode = mode;
  }
  const combination = parseCombination(fields);
  if (combination) patch.combinationPolicy = combination;
  for (const [field, key] of [
    ["publish_domain_blocks", "publishDomainBlocks"],
    ["publish_domain_blocks_rationale", "publishDomainBlocksRationale"],
  ] as const) {
    const v = fields[field];
    if (v === undefined) continue;
    if (!isPublishLevel(v))
      throw new BadBodyError(`${field} must be one of ${PUBLISH_LEVELS.join(", ")}`);
    patch.publication[key] = v;
  }
  const authorizedFetch = optionalBoolean(fields, "authorized_fetch");
  if (authorizedFetch !== undefined) patch.publication.authorizedFetch = authorizedFetch;
  return patch;
}

async function settingsJson(db: Db) {
  const [moderation, publication] = await Promise.all([
    getModerationSettings(db),
    getPublicationSettings(db),
  ]);
  return {
    federation_mode: moderation.federationMode,
    combination_policy: moderation.combinationPolicy,
    publish_domain_blocks: publication.publishDomainBlocks,
    publish_domain_blocks_rationale: publication.publishDomainBlocksRationale,
    authorized_fetch: publication.authorizedFetch,
  };
}

async function readSettings(c: Context) {
  const body = await readParams(c);
  if (!body.ok) return body;
  try {
    return { ok: true as const, patch: parseSettings(body.params) };
  } catch (e) {
    if (e instanceof BadBodyError)
      return { ok: false as const, response: errorResponse(c, 422, e.message) };
    throw e;
  }
}

/**
 * Haven: instance-wide federation settings — allowlist mode, how subscribed
 * lists combine, whether the block list is published, authorized fetch —
 * with a preview of what switching the mode or the combination would cut.
 */
export function settingsRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");

  app.get("/", read, async (c) => c.json(await settingsJson(db)));

  const update = async (c: Context<AuthEnv>) => {
    const body = await readSettings(c);
    if (!body.ok) return body.response;
    const { federationMode, combinationPolicy, publication } = body.patch;
    const actor = actorOf(c);
    const newlySuspended: string[] = [];
    const current = await getModerationSettings(db);
    if (federationMode !== undefined && federationMode !== current.federationMode) {
      const result = await setAllowlistMode(db, federationMode === "allowlist", actor);
      if (!result.ok) return moderationErrorResponse(c, result.error);
    }
    if (combinationPolicy !== undefined) {
      const result = await setCombinationPolicy(db, combinationPolicy, actor);
      if (!result.ok) return moderationErrorResponse(c, result.error);
      newlySuspended.push(...result.value.newlySuspended);
    }
    if (Object.keys(publication).length > 0) {
      const result = await updatePublicationSettings(db, publication, actor);
      if (!result.ok) return moderationErrorResponse(c, result.error);
    }
    // Allowlist mode on: every follower domain not allowed is cut like a suspension.
    const purged = await deps.moderationAdmin.afterChange({ newlySuspended }, actor);
    return c.json({ ...(await settingsJson(db)), purged: purgedJson(purged) });
  };
  app.put("/", write, update);
  app.patch("/", write, update);

  /** What `federation_mode: "allowlist"` and/or a `combination_policy` would cut; changes nothing. */
  app.post("/preview", read, async (c) => {
    const body = await readSettings(c);
    if (!body.ok) return body.response;
    const { federationMode, combinationPolicy } = body.patch;
    const out: Record<string, unknown> = {};
    if (federationMode === "allowlist") {
      const p = await previewAllowlistMode(db);
      out.allowlist = {
        by_domain: p.byDomain.map((d) => ({
          domain: d.domain,
          followers_cut: d.followersCut,
          pending_requests_cut: d.pendingRequestsCut,
        })),
        totals: {
          followers_cut: p.totals.followersCut,
          pending_requests_cut: p.totals.pendingRequestsCut,
        },
      };
    }
    if (combinationPolicy !== undefined) {
      const result = await previewCombinationPolicy(db, combinationPolicy);
      if (!result.ok) return moderationErrorResponse(c, result.error);
      out.combination_policy = changePreviewJson(result.value);
    }
    return c.json(out);
  });

  return app;
}
