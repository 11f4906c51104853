/**
 * Writing tenant records (`tenancy onboard`, `tenancy offboard`): the text of a new record, and phase one of
 * offboarding set in an existing record's text with its comments and layout kept. Pure text in, text out; the
 * commands validate the result against the whole registry before anything is written.
 */
import { isMap, isScalar, isSeq, parseDocument, Document, YAMLMap } from "yaml";
import { UsageError } from "../components/core/problems";
import type { TenantDocument, TreeNode } from "./model";

export interface NewRecord {
  email: string;
  displayName?: string;
  role?: string;
  tier?: string;
  /** The organisation it belongs to (docs/organisations.md). */
  parent?: string;
  namespaces: string[];
  domains: string[];
  members: { tenant: string; role: string; namespaces?: string[] }[];
}

/** `tenant:role` or `tenant:role:ns1,ns2`, as `--member` takes it. */
export function parseMember(spec: string): NewRecord["members"][number] {
  const m = /^([^:]+):([^:]+)(?::(.+))?$/.exec(spec);
  if (!m)
    throw new UsageError(
      `--member ${JSON.stringify(spec)}: expected tenant:role or tenant:role:namespace,namespace (role owner, developer or viewer)`,
    );
  return { tenant: m[1]!, role: m[2]!, ...(m[3] ? { namespaces: m[3].split(",") } : {}) };
}

/** A new record's text: the schema line (for editors), then only the fields given. */
export function renderRecord(record: NewRecord, schemaPath: string): string {
  const data: Record<string, unknown> = { email: record.email };
  if (record.displayName !== undefined) data.displayName = record.displayName;
  if (record.role !== undefined) data.role = record.role;
  if (record.tier !== undefined) data.tier = record.tier;
  if (record.parent !== undefined) data.parent = record.parent;
  if (record.namespaces.length > 0) data.namespaces = record.namespaces;
  if (record.domains.length > 0) data.domains = record.domains;
  if (record.members.length > 0) data.members = record.members;
  const doc = new Document(data);
  return `# yaml-language-server: $schema=${schemaPath}\n${doc.toString({ lineWidth: 0 })}`;
}

/**
 * Phase one of offboarding in a record's text: `offboarding: true` on the tenant, or on one of its namespaces
 * (a plain name becomes `{name, offboarding: true}`). Everything else, comments included, stays as it was.
 * Returns undefined when it is offboarding already.
 */
export function offboardText(text: string, source: string, namespace?: string): string | undefined {
  const doc = parseDocument(text, { uniqueKeys: true, strict: true });
  if (doc.errors.length > 0 || !isMap(doc.contents))
    throw new UsageError(`${source}: cannot edit: not a valid tenant record (tenancy validate says why)`);
  if (namespace === undefined) {
    if (doc.get("offboarding") === true) return undefined;
    doc.set("offboarding", true);
    return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  }
  const list = doc.get("namespaces", true);
  const items = isSeq(list) ? list.items : [];
  const nameOf = (item: unknown) =>
    isScalar(item) ? item.value : isMap(item) ? (item.get("name") as unknown) : undefined;
  const index = items.findIndex((item) => nameOf(item) === namespace);
  if (index < 0)
    throw new UsageError(
      `${source}: no namespace ${JSON.stringify(namespace)} in its namespaces list (a tenant's default namespace is offboarded with the tenant: leave out --namespace)`,
    );
  const item = items[index];
  if (isMap(item)) {
    if (item.get("offboarding") === true) return undefined;
    // next to its name, where a reader looks
    if (item.has("offboarding")) item.set("offboarding", true);
    else item.items.splice(1, 0, doc.createPair("offboarding", true));
  } else {
    const entry = new YAMLMap();
    entry.set("name", namespace);
    entry.set("offboarding", true);
    if (isScalar(item) && item.comment) entry.comment = item.comment;
    (list as { items: unknown[] }).items[index] = entry;
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** The id of each record's parent, as the documents hold them (read before validation: they may be invalid). */
export function treeOf(docs: readonly TenantDocument[]): TreeNode[] {
  return docs.map((d) => {
    const parent = (d.data as { parent?: unknown } | undefined)?.parent;
    return { id: d.id, ...(typeof parent === "string" ? { parent } : {}) };
  });
}
