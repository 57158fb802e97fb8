import type { Db } from "../db/client.ts";
import type { ModerationResult } from "./errors.ts";
import { applyPlan, type ClaimOp, type Plan, planChanges } from "./planner.ts";
import { loadPartialSnapshot } from "./snapshot.ts";
import { bumpModerationVersion, readModerationVersion, withModerationLock } from "./state.ts";
import { yieldToEventLoop } from "./yield.ts";

/**
 * Claim operations per transaction. On embedded PGlite a transaction holds
 * the only connection and its statements run on the main thread: 2,000
 * rows keep each one to tens of milliseconds, and whatever queued meanwhile
 * runs before the next.
 */
export const APPLY_CHUNK = 2_000;

export interface ChunkHooks {
  /** Operations per transaction (tests use small ones to cross chunk borders). */
  readonly chunkSize?: number;
  /** In the first transaction, before writing: a failure stops all, nothing written. */
  readonly first?: (tx: Db) => Promise<ModerationResult<void>>;
  /** In the last transaction, after writing: audit, version bump. */
  readonly last: (tx: Db) => Promise<void>;
  /** After a later chunk failed and the earlier ones were undone (e.g. restore the preview). */
  readonly undone?: () => Promise<void>;
  /** The policy version the operations were planned against. */
  readonly version: number;
  /**
   * The operations' plan against the snapshot at `version`: a chunk that
   * finds the version unchanged writes its slice without reading anything.
   */
  readonly plan?: Plan;
}

/**
 * Applies claim operations in transactions of `chunkSize`, each planning
 * its own domains against what is stored at that moment (so a change made
 * between two chunks is taken into account, as if made before the import).
 * All or nothing: when a chunk fails, the chunks already committed are
 * undone (their claims put back as they were) before the error is thrown.
 * Returns each chunk's plan. A crash between chunks leaves the committed
 * ones in place; applying the same list again completes it.
 */
export async function applyInChunks(
  db: Db,
  ops: readonly ClaimOp[],
  hooks: ChunkHooks,
): Promise<ModerationResult<Plan[]>> {
  const size = hooks.chunkSize ?? APPLY_CHUNK;
  const chunks: ClaimOp[][] = [];
  for (let i = 0; i < ops.length; i += size) chunks.push(ops.slice(i, i + size));
  if (chunks.length === 0) chunks.push([]);
  const plans: Plan[] = [];
  try {
    for (const [i, chunk] of chunks.entries()) {
      const result = await withModerationLock(db, async (tx): Promise<ModerationResult<Plan>> => {
        if (i === 0 && hooks.first) {
          const ok = await hooks.first(tx);
          if (!ok.ok) return ok;
        }
        const plan =
          hooks.plan && (await readModerationVersion(tx)) === hooks.version
            ? await writeSlice(tx, slice(hooks.plan, chunk))
            : await writeChunk(tx, chunk);
        if (i === chunks.length - 1) await hooks.last(tx);
        return { ok: true, value: plan };
      });
      if (!result.ok) return result;
      plans.push(result.value);
      if (i < chunks.length - 1) await yieldToEventLoop();
    }
  } catch (error) {
    if (plans.length > 0) {
      await undo(db, plans, size, hooks.version);
      await hooks.undone?.();
    }
    throw error;
  }
  return { ok: true, value: plans };
}

async function writeChunk(tx: Db, ops: readonly ClaimOp[]): Promise<Plan> {
  const domains = ops.map((op) => (op.op === "put" ? op.claim.domain : op.domain));
  const plan = planChanges(await loadPartialSnapshot(tx, domains), ops);
  await applyPlan(tx, plan);
  return plan;
}

async function writeSlice(tx: Db, plan: Plan): Promise<Plan> {
  await applyPlan(tx, plan);
  return plan;
}

/** The part of `plan` about the domains `ops` name (an import plans nothing else). */
function slice(plan: Plan, ops: readonly ClaimOp[]): Plan {
  const domains = new Set(ops.map((op) => (op.op === "put" ? op.claim.domain : op.domain)));
  return {
    claimChanges: plan.claimChanges.filter((c) => domains.has(c.domain)),
    effectiveChanges: plan.effectiveChanges.filter((c) => domains.has(c.domain)),
  };
}

/** Puts every claim the committed chunks touched back as it was. */
async function undo(db: Db, plans: readonly Plan[], size: number, version: number) {
  const inverse: ClaimOp[] = [];
  for (const plan of plans) {
    for (const c of plan.claimChanges) {
      if (c.change === "new") {
        inverse.push({ op: "delete", domain: c.domain, subscriptionId: c.subscriptionId });
      } else if (c.change !== "unchanged" && c.before) {
        inverse.push({
          op: "put",
          claim: { ...c.before, domain: c.domain, subscriptionId: c.subscriptionId },
        });
      }
    }
  }
  for (let i = 0; i < inverse.length; i += size) {
    await withModerationLock(db, (tx) => writeChunk(tx, inverse.slice(i, i + size)));
    await yieldToEventLoop();
  }
  // Policy caches reload only when the version moves. If another change
  // moved it while the chunks were in place, a cache may hold them: the
  // bump makes it reload. Otherwise no cache saw them, and the preview stays valid.
  if ((await readModerationVersion(db)) !== version) {
    await withModerationLock(db, (tx) => bumpModerationVersion(tx));
  }
}
