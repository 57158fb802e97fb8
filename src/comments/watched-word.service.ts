import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { watchedWords } from "../db/schema/index.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { recordAudit } from "../moderation/audit.ts";
import type { ModerationActor } from "../moderation/types.ts";
import {
  buildWatchedWordMatcher,
  type WatchedWordMatcher,
  watchedWordKey,
} from "./watched-words.ts";

export type WatchedWord = typeof watchedWords.$inferSelect;

/** Long enough for a phrase; a paragraph is not a watched word. */
export const MAX_WATCHED_WORD_LENGTH = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listWatchedWords(db: Db): Promise<WatchedWord[]> {
  return db.select().from(watchedWords).orderBy(asc(watchedWords.createdAt), asc(watchedWords.id));
}

/** Adds a word or phrase; the same words in another spelling are a conflict. */
export async function addWatchedWord(
  db: Db,
  input: string,
  actor: ModerationActor,
): Promise<Result<WatchedWord>> {
  const word = input.trim();
  if (word.length > MAX_WATCHED_WORD_LENGTH) {
    return err("invalid", `word must be at most ${MAX_WATCHED_WORD_LENGTH} characters`);
  }
  const normalized = watchedWordKey(word);
  if (normalized === "") return err("invalid", "word must contain at least one letter or digit");
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(watchedWords)
      .values({
        word,
        normalized,
        createdBy: actor.kind === "account" ? actor.accountId : null,
      })
      .onConflictDoNothing({ target: watchedWords.normalized })
      .returning();
    if (!row) return err("conflict", `"${word}" is already a watched word`);
    await recordAudit(tx, {
      actor,
      action: "watched_word.create",
      target: row.id,
      details: { word },
      source: "manual",
    });
    return ok(row);
  });
}

/** Removes by id, or by the word itself (any spelling of it: the CLI's way). */
export async function removeWatchedWord(
  db: Db,
  idOrWord: string,
  actor: ModerationActor,
): Promise<WatchedWord | null> {
  const where = UUID.test(idOrWord)
    ? eq(watchedWords.id, idOrWord)
    : eq(watchedWords.normalized, watchedWordKey(idOrWord));
  return db.transaction(async (tx) => {
    const [row] = await tx.delete(watchedWords).where(where).returning();
    if (!row) return null;
    await recordAudit(tx, {
      actor,
      action: "watched_word.destroy",
      target: row.id,
      details: { word: row.word },
      source: "manual",
    });
    return row;
  });
}

/** The current list as a matcher (one small query; the list is short). */
export async function loadWatchedWordMatcher(db: Db): Promise<WatchedWordMatcher> {
  const rows = await db.select({ word: watchedWords.word }).from(watchedWords);
  return buildWatchedWordMatcher(rows.map((r) => r.word));
}
