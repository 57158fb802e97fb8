import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { and, count, eq, gt, inArray, isNull, lt, lte, or } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { resumableUploads } from "../db/schema/index.ts";

/**
 * Resumable uploads as rows: who may write, how far the bytes have come, and
 * a lease so that only one request writes to an upload at a time (across
 * processes, and surviving a crash: a lease simply runs out).
 */
export type ResumableUpload = typeof resumableUploads.$inferSelect;

/** An unfinished upload is kept this long after its creation or its last PATCH. */
export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
/** A writing request holds its upload this long at a time and renews it while it runs. */
export const UPLOAD_LEASE_MS = 60_000;
/** Unfinished uploads one account may have open at once (each may reach MAX_UPLOAD_BYTES). */
export const MAX_OPEN_UPLOADS = 10;

/** A request's hold on an upload. */
export interface UploadLease {
  readonly id: string;
  readonly token: string;
}

/** The offset is committed as complete only together with the video it became. */
export const isComplete = (u: ResumableUpload): boolean => u.uploadOffset >= u.uploadLength;

const plus = (now: Date, ms: number) => new Date(now.getTime() + ms);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function countOpenUploads(db: Db, ownerAccountId: string, now: Date) {
  const [row] = await db
    .select({ n: count() })
    .from(resumableUploads)
    .where(
      and(
        eq(resumableUploads.ownerAccountId, ownerAccountId),
        lt(resumableUploads.uploadOffset, resumableUploads.uploadLength),
        gt(resumableUploads.expiresAt, now),
      ),
    );
  return row?.n ?? 0;
}

/** Creates the row and an empty, server-named file (mode 0600) under `stagingDir`. */
export async function createUpload(
  db: Db,
  input: {
    ownerAccountId: string;
    uploadLength: number;
    metadata: Record<string, string>;
    stagingDir: string;
    now: Date;
    ttlMs?: number;
  },
): Promise<ResumableUpload> {
  const dir = resolve(input.stagingDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stagedPath = join(dir, `${randomBytes(16).toString("hex")}.tus`);
  await (await open(stagedPath, "wx", 0o600)).close();
  try {
    const [row] = await db
      .insert(resumableUploads)
      .values({
        ownerAccountId: input.ownerAccountId,
        uploadLength: input.uploadLength,
        metadata: input.metadata,
        stagedPath,
        expiresAt: plus(input.now, input.ttlMs ?? UPLOAD_TTL_MS),
        createdAt: input.now,
        updatedAt: input.now,
      })
      .returning();
    return row!;
  } catch (e) {
    await rm(stagedPath, { force: true });
    throw e;
  }
}

export async function findUpload(db: Db, id: string): Promise<ResumableUpload | null> {
  if (!UUID.test(id)) return null;
  const [row] = await db
    .select()
    .from(resumableUploads)
    .where(eq(resumableUploads.id, id))
    .limit(1);
  return row ?? null;
}

/**
 * Takes the upload for one writing request, if it is unfinished, unexpired,
 * not held by another request and still at `expectedOffset`; null otherwise.
 * Writing keeps an upload alive: its expiry moves to `now + ttl`.
 */
export async function leaseUpload(
  db: Db,
  id: string,
  expectedOffset: number,
  now: Date,
  ttlMs = UPLOAD_TTL_MS,
): Promise<{ lease: UploadLease; upload: ResumableUpload } | null> {
  const token = randomUUID();
  const [row] = await db
    .update(resumableUploads)
    .set({
      lockToken: token,
      lockedUntil: plus(now, UPLOAD_LEASE_MS),
      expiresAt: plus(now, ttlMs),
      updatedAt: now,
    })
    .where(
      and(
        eq(resumableUploads.id, id),
        eq(resumableUploads.uploadOffset, expectedOffset),
        lt(resumableUploads.uploadOffset, resumableUploads.uploadLength),
        gt(resumableUploads.expiresAt, now),
        or(isNull(resumableUploads.lockedUntil), lte(resumableUploads.lockedUntil, now)),
      ),
    )
    .returning();
  return row ? { lease: { id, token }, upload: row } : null;
}

const held = (lease: UploadLease) =>
  and(eq(resumableUploads.id, lease.id), eq(resumableUploads.lockToken, lease.token));

/** Extends the lease; false when it is no longer ours (the writer must stop). */
export async function renewLease(db: Db, lease: UploadLease, now: Date): Promise<boolean> {
  const rows = await db
    .update(resumableUploads)
    .set({ lockedUntil: plus(now, UPLOAD_LEASE_MS) })
    .where(held(lease))
    .returning({ id: resumableUploads.id });
  return rows.length > 0;
}

/** Records fsynced progress (never the final byte: see `completeUpload`) and lets go. */
export async function releaseUpload(
  db: Db,
  lease: UploadLease,
  offset: number,
  now: Date,
): Promise<void> {
  await db
    .update(resumableUploads)
    .set({ uploadOffset: offset, lockToken: null, lockedUntil: null, updatedAt: now })
    .where(and(held(lease), lt(resumableUploads.uploadOffset, resumableUploads.uploadLength)));
}

/**
 * Marks the upload complete with the video it became, in the transaction that
 * creates the video. The row stays until its expiry so the client can look up
 * the video id; the staged file now belongs to the processing job.
 */
export async function completeUpload(
  tx: Db,
  lease: UploadLease,
  upload: ResumableUpload,
  videoId: string,
  now: Date,
  ttlMs = UPLOAD_TTL_MS,
): Promise<void> {
  const rows = await tx
    .update(resumableUploads)
    .set({
      uploadOffset: upload.uploadLength,
      videoId,
      lockToken: null,
      lockedUntil: null,
      expiresAt: plus(now, ttlMs),
      updatedAt: now,
    })
    .where(held(lease))
    .returning({ id: resumableUploads.id });
  // Throwing rolls the video back with it: someone else holds the upload now.
  if (rows.length === 0) throw new Error(`lost the lease on upload ${lease.id}`);
}

/** Deletes an unfinished upload, row and file (after a refusal). */
export async function discardUpload(db: Db, upload: ResumableUpload): Promise<void> {
  await db.delete(resumableUploads).where(eq(resumableUploads.id, upload.id));
  if (!isComplete(upload)) await rm(upload.stagedPath, { force: true });
}

/**
 * tus termination: deletes the upload unless a request is writing to it
 * (false). A finished upload's file is left to the processing job.
 */
export async function terminateUpload(db: Db, id: string, now: Date): Promise<boolean> {
  const [row] = await db
    .delete(resumableUploads)
    .where(
      and(
        eq(resumableUploads.id, id),
        or(isNull(resumableUploads.lockedUntil), lte(resumableUploads.lockedUntil, now)),
      ),
    )
    .returning();
  if (!row) return false;
  if (!isComplete(row)) await rm(row.stagedPath, { force: true });
  return true;
}

const CLEAN_BATCH = 500;

/**
 * Removes uploads past their expiry that no request is writing to: rows, and
 * the files of unfinished ones. The row goes first, so a file is never
 * removed while a row still points at it. Returns how many were removed.
 */
export async function cleanExpiredUploads(db: Db, now: Date): Promise<number> {
  let removed = 0;
  for (;;) {
    const due = await db
      .select({ id: resumableUploads.id })
      .from(resumableUploads)
      .where(
        and(
          lt(resumableUploads.expiresAt, now),
          or(isNull(resumableUploads.lockedUntil), lte(resumableUploads.lockedUntil, now)),
        ),
      )
      .limit(CLEAN_BATCH);
    if (due.length === 0) return removed;
    const rows = await db
      .delete(resumableUploads)
      .where(
        and(
          inArray(
            resumableUploads.id,
            due.map((r) => r.id),
          ),
          lt(resumableUploads.expiresAt, now),
          or(isNull(resumableUploads.lockedUntil), lte(resumableUploads.lockedUntil, now)),
        ),
      )
      .returning();
    await Promise.all(
      rows.filter((r) => !isComplete(r)).map((r) => rm(r.stagedPath, { force: true })),
    );
    removed += rows.length;
    if (due.length < CLEAN_BATCH) return removed;
  }
}

/**
 * Runs `cleanExpiredUploads` now and every `everyMs` until `signal` aborts
 * (the worker process calls this once).
 */
export function sweepExpiredUploads(
  db: Db,
  signal: AbortSignal,
  options: { everyMs?: number; onError?: (error: unknown) => void } = {},
): void {
  if (signal.aborted) return;
  const run = () => {
    cleanExpiredUploads(db, new Date()).catch((e) => options.onError?.(e));
  };
  const timer = setInterval(run, options.everyMs ?? 10 * 60 * 1000);
  timer.unref();
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  run();
}
