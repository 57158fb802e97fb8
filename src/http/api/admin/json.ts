import type {
  AccountBlock,
  AuditLogEntry,
  BlockRule,
  ChangePreview,
  DomainBlockDraft,
  DomainBlockExclusion,
  DomainBlockSubscription,
  ImportPreview,
  ParseIssue,
  PreviewEntry,
  PurgedTarget,
  SyncReport,
} from "../../../moderation/index.ts";

/*
 * Haven-only admin resources, in the style of Mastodon's admin API:
 * snake_case, ids as strings, ISO 8601 times, null for absent values.
 */

export function ruleJson(rule: BlockRule | null) {
  if (rule === null) return null;
  return {
    severity: rule.severity,
    reject_media: rule.rejectMedia,
    reject_reports: rule.rejectReports,
    private_comment: rule.privateComment,
    public_comment: rule.publicComment,
    obfuscate: rule.obfuscate,
  };
}

function entryJson(e: PreviewEntry) {
  return {
    domain: e.domain,
    change: e.change,
    before: ruleJson(e.before),
    after: ruleJson(e.after),
    effective_before: ruleJson(e.effectiveBefore),
    effective_after: ruleJson(e.effectiveAfter),
    followers_cut: e.followersCut,
    pending_requests_cut: e.pendingRequestsCut,
  };
}

/** What a change would do (or did): per entry, per effective block, and totals. */
export function changePreviewJson(p: ChangePreview) {
  return {
    new: p.new.map(entryJson),
    changed: p.changed.map(entryJson),
    removed: p.removed.map(entryJson),
    unchanged: p.unchanged,
    effective_changes: p.effectiveChanges.map((c) => ({
      domain: c.domain,
      kind: c.kind,
      before: ruleJson(c.before),
      after: ruleJson(c.after),
      followers_cut: c.followersCut,
      pending_requests_cut: c.pendingRequestsCut,
    })),
    newly_suspended: p.newlySuspended,
    totals: {
      new: p.totals.new,
      changed: p.totals.changed,
      removed: p.totals.removed,
      unchanged: p.totals.unchanged,
      followers_cut: p.totals.followersCut,
      pending_requests_cut: p.totals.pendingRequestsCut,
    },
  };
}

const issueJson = (i: ParseIssue) => ({ line: i.line, message: i.message });

export function importPreviewJson(p: ImportPreview) {
  return {
    token: p.token,
    expires_at: p.expiresAt.toISOString(),
    format: p.format,
    changes: changePreviewJson(p.changes),
    errors: p.errors.map(issueJson),
    duplicates: p.duplicates.map(issueJson),
    obfuscated: p.obfuscated.map((o) => ({ line: o.line, domain: o.domain, digest: o.digest })),
    needs_confirmation: p.needsConfirmation.map((n) => ({
      line: n.line,
      domain: n.domain,
      reason: n.reason,
    })),
  };
}

export function syncReportJson(r: SyncReport) {
  return {
    subscription_id: r.subscriptionId === 0 ? null : String(r.subscriptionId),
    status: r.status,
    error: r.error,
    changes: r.changes === null ? null : changePreviewJson(r.changes),
    drafted: r.drafted,
    excluded: r.excluded,
    ignored: r.ignored.map((i) => ({ line: i.line, domain: i.domain, reason: i.reason })),
    errors: r.errors.map(issueJson),
    duplicates: r.duplicates.map(issueJson),
    newly_suspended: r.newlySuspended,
  };
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function subscriptionJson(s: DomainBlockSubscription) {
  return {
    id: String(s.id),
    url: s.url,
    title: s.title,
    format: s.format,
    priority: s.priority,
    review_mode: s.reviewMode,
    enabled: s.enabled,
    sync_interval_seconds: s.syncIntervalSeconds,
    last_fetched_at: iso(s.lastFetchedAt),
    last_success_at: iso(s.lastSuccessAt),
    last_error: s.lastError,
    last_error_at: iso(s.lastErrorAt),
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

export function draftJson(d: DomainBlockDraft) {
  return {
    id: String(d.id),
    subscription_id: String(d.subscriptionId),
    domain: d.domain,
    ...ruleJson(d)!,
    status: d.status,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}

export function exclusionJson(e: DomainBlockExclusion) {
  return {
    id: String(e.id),
    domain: e.domain,
    comment: e.comment,
    created_at: e.createdAt.toISOString(),
  };
}

export function accountBlockJson(b: AccountBlock) {
  return {
    id: String(b.id),
    actor_id: b.actorIri,
    domain: b.domain,
    private_comment: b.privateComment,
    created_at: b.createdAt.toISOString(),
  };
}

export function auditEntryJson(e: AuditLogEntry) {
  return {
    id: String(e.id),
    actor: e.actor,
    actor_account_id: e.actorAccountId,
    action: e.action,
    target: e.target,
    details: e.details,
    source: e.source,
    created_at: e.createdAt.toISOString(),
  };
}

/** What a change cut, for responses: `[{target, reason, removed: {follows: 3}}]`. */
export function purgedJson(purged: readonly PurgedTarget[]) {
  return purged.map((p) => ({ target: p.target, reason: p.reason, removed: p.removed }));
}
