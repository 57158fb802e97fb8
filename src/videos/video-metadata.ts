import { err, ok, type Result } from "../lib/result.ts";

export type CommentsPolicy = "open" | "approval" | "closed";

export interface VideoMetadata {
  title: string;
  description: string;
  tags: string[];
  language: string | null;
  contentWarning: string | null;
  commentsPolicy: CommentsPolicy;
}

export const LIMITS = {
  // PeerTube silently drops a remote video whose name is outside 3–120 characters.
  titleMin: 3,
  title: 120,
  description: 10_000,
  tags: 10,
  tag: 50,
  contentWarning: 200,
} as const;

const LANGUAGE = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
const TAG = /^[\p{L}\p{N}_]+$/u;

/** Tags as "bpd, dbt", "#bpd #dbt" or a JSON array; normalised to lower case, no '#'. */
export function parseTags(raw: unknown): Result<string[]> {
  let list: unknown[];
  if (Array.isArray(raw)) list = raw;
  else if (typeof raw === "string") {
    const text = raw.trim();
    if (text.startsWith("[")) {
      try {
        const parsed = JSON.parse(text);
        if (!Array.isArray(parsed)) return err("invalid", "tags must be a list");
        list = parsed;
      } catch {
        return err("invalid", "tags: not a valid JSON array");
      }
    } else list = text.split(/[\s,]+/);
  } else return err("invalid", "tags must be a list of words");
  const tags: string[] = [];
  for (const item of list) {
    if (typeof item !== "string") return err("invalid", "tags must be strings");
    const tag = item.trim().replace(/^#/, "").toLowerCase();
    if (tag === "") continue;
    if (tag.length > LIMITS.tag || !TAG.test(tag)) {
      return err(
        "invalid",
        `tag "${tag.slice(0, 60)}" must be letters, digits or _ (≤ ${LIMITS.tag})`,
      );
    }
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length > LIMITS.tags) return err("invalid", `at most ${LIMITS.tags} tags`);
  return ok(tags);
}

type Fields = Readonly<Record<string, unknown>>;

function text(fields: Fields, name: string): string | undefined {
  const v = fields[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * Validates metadata for a new video (`partial` false) or an edit (`partial`
 * true: only the fields present change).
 */
export function parseVideoMetadata(fields: Fields, partial: false): Result<VideoMetadata>;
export function parseVideoMetadata(fields: Fields, partial: true): Result<Partial<VideoMetadata>>;
export function parseVideoMetadata(
  fields: Fields,
  partial: boolean,
): Result<Partial<VideoMetadata>> {
  const out: Partial<VideoMetadata> = {};
  for (const key of ["title", "description", "language", "content_warning", "comments_policy"]) {
    if (fields[key] !== undefined && fields[key] !== null && typeof fields[key] !== "string") {
      return err("invalid", `${key} must be a string`);
    }
  }
  const title = text(fields, "title")?.trim();
  if (title !== undefined || !partial) {
    if (!title) return err("invalid", "title is required");
    if (title.length > LIMITS.title)
      return err("invalid", `title must be at most ${LIMITS.title} characters`);
    out.title = title;
  }
  const description = text(fields, "description");
  if (description !== undefined || !partial) {
    if ((description ?? "").length > LIMITS.description) {
      return err("invalid", `description must be at most ${LIMITS.description} characters`);
    }
    out.description = description ?? "";
  }
  if (fields.tags !== undefined || !partial) {
    const tags = fields.tags === undefined ? ok([]) : parseTags(fields.tags);
    if (!tags.ok) return tags;
    out.tags = tags.value;
  }
  const language = text(fields, "language")?.trim();
  if (language !== undefined || !partial) {
    if (language && !LANGUAGE.test(language)) {
      return err("invalid", 'language must be a language tag such as "en" or "pt-BR"');
    }
    out.language = language || null;
  }
  const cw = text(fields, "content_warning")?.trim();
  if (cw !== undefined || !partial) {
    if (cw && cw.length > LIMITS.contentWarning) {
      return err("invalid", `content_warning must be at most ${LIMITS.contentWarning} characters`);
    }
    out.contentWarning = cw || null;
  }
  const policy = text(fields, "comments_policy")?.trim();
  if (policy !== undefined || !partial) {
    const value = policy || "open";
    if (value !== "open" && value !== "approval" && value !== "closed") {
      return err("invalid", "comments_policy must be open, approval or closed");
    }
    out.commentsPolicy = value;
  }
  return ok(out);
}
