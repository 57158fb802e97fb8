import { createHash } from "node:crypto";
import type { AppError, Result } from "../lib/result.ts";
import { normalizeDomain } from "./domain.ts";
import type { DomainAllow, DomainBlock, Severity } from "./types.ts";
import { isSeverity } from "./types.ts";

/*
 * Mastodon-shaped views and parameter parsing, so the HTTP layer is a thin
 * wrapper over the services. Shapes follow Mastodon 4.x:
 * REST::Admin::DomainBlockSerializer, REST::Admin::DomainAllowSerializer,
 * REST::DomainBlockSerializer and REST::Admin::ExistingDomainBlockErrorSerializer.
 */

export interface MastodonAdminDomainBlock {
  id: string;
  domain: string;
  digest: string;
  created_at: string;
  severity: Severity;
  reject_media: boolean;
  reject_reports: boolean;
  private_comment: string | null;
  public_comment: string | null;
  obfuscate: boolean;
}

export interface MastodonAdminDomainAllow {
  id: string;
  domain: string;
  created_at: string;
}

export interface MastodonPublicDomainBlock {
  domain: string;
  digest: string;
  severity: Severity;
  comment: string | null;
}

/** `DomainBlock#domain_digest`: lets others match an obfuscated entry they know. */
export function domainDigest(domain: string): string {
  return createHash("sha256").update(domain).digest("hex");
}

/**
 * `DomainBlock#public_domain`: with `obfuscate`, the middle half of the
 * characters (dots excepted) becomes `*` — `example.com` → `exa****.com`.
 */
export function publicDomain(domain: string, obfuscate: boolean): string {
  if (!obfuscate) return domain;
  const chars = Array.from(domain);
  const length = chars.length;
  const visibleRatio = Math.floor(length / 4);
  return chars
    .map((chr, i) => (i > visibleRatio && i < length - visibleRatio && chr !== "." ? "*" : chr))
    .join("");
}

export function toMastodonAdminDomainBlock(row: DomainBlock): MastodonAdminDomainBlock {
  return {
    id: String(row.id),
    domain: row.domain,
    digest: domainDigest(row.domain),
    created_at: row.createdAt.toISOString(),
    severity: row.severity,
    reject_media: row.rejectMedia,
    reject_reports: row.rejectReports,
    private_comment: row.privateComment,
    public_comment: row.publicComment,
    obfuscate: row.obfuscate,
  };
}

export function toMastodonAdminDomainAllow(row: DomainAllow): MastodonAdminDomainAllow {
  return { id: String(row.id), domain: row.domain, created_at: row.createdAt.toISOString() };
}

/**
 * One entry of `GET /api/v1/instance/domain_blocks`. Mastodon sends
 * `comment: null` when the rationale is not shown to this viewer.
 */
export function toPublicDomainBlock(
  row: DomainBlock,
  options: { withComment?: boolean } = {},
): MastodonPublicDomainBlock {
  return {
    domain: publicDomain(row.domain, row.obfuscate),
    digest: domainDigest(row.domain),
    severity: row.severity,
    comment: options.withComment === false ? null : row.publicComment,
  };
}

/** The 422 body Mastodon sends when an equal or harsher block already covers the domain. */
export function toMastodonExistingDomainBlockError(existing: DomainBlock): {
  error: string;
  existing_domain_block: MastodonAdminDomainBlock;
} {
  return {
    error: `You have already imposed stricter limits on ${existing.domain}.`,
    existing_domain_block: toMastodonAdminDomainBlock(existing),
  };
}

/** What `POST /api/v1/admin/domain_blocks` may set; omitted fields take Mastodon's defaults. */
export interface DomainBlockInput {
  domain: string;
  severity?: Severity;
  rejectMedia?: boolean;
  rejectReports?: boolean;
  privateComment?: string | null;
  publicComment?: string | null;
  obfuscate?: boolean;
}

/** What `PUT /api/v1/admin/domain_blocks/:id` may change. */
export type DomainBlockPatch = Omit<DomainBlockInput, "domain">;

/** Rails' `ActiveModel::Type::Boolean`: these are false, any other non-empty value is true. */
const RAILS_FALSE = new Set(["0", "f", "F", "false", "FALSE", "off", "OFF"]);

export function railsBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  const text = String(value);
  if (text === "") return false; // Rails casts "" to nil; the column default is false
  return !RAILS_FALSE.has(text);
}

function optionalText(value: unknown): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

const unprocessable = (message: string): Result<never, AppError> => ({
  ok: false,
  error: { kind: "unprocessable", message: `Validation failed: ${message}` },
});

/**
 * Mastodon's create/update parameters (JSON or form fields) as service input.
 * Failures carry Mastodon's 422 wording (`Validation failed: …`), which the
 * HTTP layer sends as `{"error": message}`.
 */
export function parseDomainBlockParams(
  params: Record<string, unknown>,
  mode: "create",
): Result<DomainBlockInput, AppError>;
export function parseDomainBlockParams(
  params: Record<string, unknown>,
  mode: "update",
): Result<DomainBlockPatch, AppError>;
export function parseDomainBlockParams(
  params: Record<string, unknown>,
  mode: "create" | "update",
): Result<DomainBlockInput | DomainBlockPatch, AppError> {
  const patch: DomainBlockPatch = {};
  if (params.severity !== undefined && params.severity !== null) {
    if (!isSeverity(params.severity)) return unprocessable("Severity is not included in the list");
    patch.severity = params.severity;
  }
  const rejectMedia = railsBoolean(params.reject_media);
  if (rejectMedia !== undefined) patch.rejectMedia = rejectMedia;
  const rejectReports = railsBoolean(params.reject_reports);
  if (rejectReports !== undefined) patch.rejectReports = rejectReports;
  const obfuscate = railsBoolean(params.obfuscate);
  if (obfuscate !== undefined) patch.obfuscate = obfuscate;
  const privateComment = optionalText(params.private_comment);
  if (privateComment !== undefined) patch.privateComment = privateComment;
  const publicComment = optionalText(params.public_comment);
  if (publicComment !== undefined) patch.publicComment = publicComment;
  if (mode === "update") return { ok: true, value: patch };

  const domain = typeof params.domain === "string" ? params.domain.trim() : "";
  if (domain === "") return unprocessable("Domain can't be blank");
  const normalized = normalizeDomain(domain);
  if (!normalized.ok) return unprocessable(`Domain is invalid (${normalized.message})`);
  return { ok: true, value: { ...patch, domain: normalized.domain } };
}

/** `DomainBlock.by_severity`: noop, silence, suspend, then by domain. */
export function compareBySeverity(a: DomainBlock, b: DomainBlock): number {
  const order: Record<Severity, number> = { noop: 0, silence: 1, suspend: 2 };
  return (
    order[a.severity] - order[b.severity] ||
    (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0)
  );
}
