/**
 * The NodeInfo 2.0 and 2.1 JSON schemas (http://nodeinfo.diaspora.software/ns/schema/2.x,
 * also PeerTube's generated type `HttpNodeinfoDiasporaSoftwareNsSchema20`) as checks: required
 * keys, types, enums, and `additionalProperties: false` where the schemas say so. Returns the
 * problems found; empty means the document validates.
 */
type Json = Record<string, unknown>;

const PROTOCOLS = ["activitypub", "buddycloud", "dfrn", "diaspora", "libertree", "ostatus"].concat([
  "pumpio",
  "tent",
  "xmpp",
  "zot",
]);
const INBOUND = ["atom1.0", "gnusocial", "imap", "pnut", "pop3", "pumpio", "rss2.0", "twitter"];
const TOP = [
  "version",
  "software",
  "protocols",
  "services",
  "openRegistrations",
  "usage",
  "metadata",
];

const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

function extraKeys(where: string, object: Json, allowed: string[], problems: string[]): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) problems.push(`${where}: unexpected "${key}"`);
  }
}

export function nodeInfoSchemaProblems(version: "2.0" | "2.1", doc: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(doc)) return ["not an object"];
  for (const key of TOP) if (!(key in doc)) problems.push(`missing ${key}`);
  extraKeys("top level", doc, TOP, problems);
  if (doc.version !== version) problems.push(`version is not "${version}"`);

  const software = doc.software;
  if (!isObject(software)) problems.push("software");
  else {
    if (typeof software.name !== "string" || !/^[a-z0-9-]+$/.test(software.name)) {
      problems.push("software.name does not match ^[a-z0-9-]+$");
    }
    if (typeof software.version !== "string") problems.push("software.version");
    const allowed =
      version === "2.1" ? ["name", "version", "repository", "homepage"] : ["name", "version"];
    extraKeys("software", software, allowed, problems);
    for (const key of ["repository", "homepage"]) {
      if (key in software && typeof software[key] !== "string") problems.push(`software.${key}`);
    }
  }

  const protocols = doc.protocols;
  if (!Array.isArray(protocols) || protocols.length < 1) problems.push("protocols: at least one");
  else if (!protocols.every((p) => PROTOCOLS.includes(p)))
    problems.push("protocols: unknown value");

  const services = doc.services;
  if (
    !isObject(services) ||
    !Array.isArray(services.inbound) ||
    !Array.isArray(services.outbound)
  ) {
    problems.push("services: inbound and outbound arrays");
  } else {
    extraKeys("services", services, ["inbound", "outbound"], problems);
    if (!services.inbound.every((s) => INBOUND.includes(s))) problems.push("services.inbound");
  }

  if (typeof doc.openRegistrations !== "boolean") problems.push("openRegistrations");

  const usage = doc.usage;
  if (!isObject(usage) || !isObject(usage.users)) problems.push("usage.users");
  else {
    extraKeys("usage", usage, ["users", "localPosts", "localComments"], problems);
    extraKeys("usage.users", usage.users, ["total", "activeHalfyear", "activeMonth"], problems);
    for (const [key, value] of Object.entries(usage.users)) {
      if (!isCount(value)) problems.push(`usage.users.${key}`);
    }
    for (const key of ["localPosts", "localComments"]) {
      if (key in usage && !isCount(usage[key])) problems.push(`usage.${key}`);
    }
  }
  if (!isObject(doc.metadata)) problems.push("metadata");
  return problems;
}
