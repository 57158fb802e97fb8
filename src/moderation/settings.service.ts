import type { Db } from "../db/client.ts";
import { recordAudit } from "./audit.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { applyPlan, newlySuspended, planChanges } from "./planner.ts";
import { buildPreview, type ChangePreview } from "./preview.ts";
import { loadSnapshot, type ModerationSnapshot } from "./snapshot.ts";
import {
  bumpModerationVersion,
  readCombinationPolicy,
  SETTING_COMBINATION_POLICY,
  withModerationLock,
  writeSetting,
} from "./state.ts";
import type { CombinationPolicy, ModerationActor } from "./types.ts";

export { getModerationSettings } from "./state.ts";

function planPolicy(snapshot: ModerationSnapshot, policy: CombinationPolicy) {
  return planChanges(snapshot, [], {
    ctx: { ...snapshot.ctx, policy },
    touched: snapshot.claims.keys(),
  });
}

function checked(policy: unknown): CombinationPolicy | null {
  return readCombinationPolicy(policy);
}

const INVALID_POLICY =
  'The combination policy must be {kind: "harshest"}, {kind: "priority"} or {kind: "threshold", threshold: N} with N ≥ 1';

/** What switching the combination policy would block or lift. */
export async function previewCombinationPolicy(
  db: Db,
  policy: CombinationPolicy,
): Promise<ModerationResult<ChangePreview>> {
  const valid = checked(policy);
  if (!valid) return fail("invalid", INVALID_POLICY);
  const snapshot = await loadSnapshot(db);
  return success(await buildPreview(db, snapshot, planPolicy(snapshot, valid)));
}

/** Sets how subscription claims combine and recomputes every block lists made. */
export function setCombinationPolicy(
  db: Db,
  policy: CombinationPolicy,
  actor: ModerationActor,
): Promise<ModerationResult<{ policy: CombinationPolicy; newlySuspended: string[] }>> {
  const valid = checked(policy);
  if (!valid) return Promise.resolve(fail("invalid", INVALID_POLICY));
  return withModerationLock(db, async (tx) => {
    const snapshot = await loadSnapshot(tx);
    const plan = planPolicy(snapshot, valid);
    await writeSetting(tx, SETTING_COMBINATION_POLICY, valid);
    await applyPlan(tx, plan);
    await recordAudit(tx, {
      actor,
      action: "settings.update",
      target: SETTING_COMBINATION_POLICY,
      details: {
        before: snapshot.settings.combinationPolicy,
        after: valid,
        effectiveChanges: plan.effectiveChanges.map((c) => ({ domain: c.domain, kind: c.kind })),
      },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ policy: valid, newlySuspended: newlySuspended(plan) });
  });
}
