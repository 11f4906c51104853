/**
 * What a tenant's files must not hold: any other tenant's id, namespaces, email, display name, hosts or Vault
 * paths. Exceptions, the tenant's own data: the ids of the tenants it invites (its members) and the namespaces
 * it is itself invited into; in an organisation (docs/organisations.md) the ids of its ancestors, descendants and, with
 * organisations.parentView, of its ancestors' members, and the active namespaces of its descendants it views.
 * The exceptions are computed from the registry records, not from the portal's code.
 */
import type { AccessRow } from "../../policy/access";
import { type RegistryModel, descendants } from "../../registry/model";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function foreignData(
  text: string,
  tenantId: string,
  model: RegistryModel,
  rows: readonly AccessRow[],
): string[] {
  const tenant = model.tenants.find((t) => t.id === tenantId)!;
  const byId = new Map(model.tenants.map((t) => [t.id, t]));
  const chain: string[] = [];
  for (let p = tenant.parent; p !== undefined && !chain.includes(p); p = byId.get(p)?.parent) chain.push(p);
  const parentView = model.environment.organisations.parentView;
  const members = new Set([
    ...tenant.members.map((m) => m.tenant),
    ...chain,
    ...descendants(model, tenantId).map((t) => t.id),
    ...(parentView ? chain.flatMap((a) => byId.get(a)?.members.map((m) => m.tenant) ?? []) : []),
  ]);
  /** Whether `tenantId` is an ancestor of `other`, or a member of one (what parentView lets it view). */
  const views = (other: (typeof model.tenants)[number]) => {
    if (!parentView || other.offboarding) return false;
    for (let p = byId.get(other.parent ?? ""), n = 0; p && n < 64; p = byId.get(p.parent ?? ""), n++)
      if (p.id === tenantId || p.members.some((m) => m.tenant === tenantId)) return true;
    return false;
  };
  const found: string[] = [];
  const lower = text.toLowerCase();
  for (const other of model.tenants.filter((t) => t.id !== tenantId)) {
    // the namespaces of `other` this tenant is invited into, by other's own record
    const invitedInto = new Set([
      ...other.members
        .filter((m) => m.tenant === tenantId && !other.offboarding)
        .flatMap((m) => m.namespaces),
      ...(views(other) ? other.namespaces.filter((n) => !n.offboarding).map((n) => n.name) : []),
    ]);
    const names = [
      // a namespace it is invited into named like its owner (`acme`) is that namespace's name it holds
      ...(members.has(other.id) || invitedInto.has(other.id) ? [] : [other.id]),
      ...other.namespaces.map((n) => n.name).filter((n) => !invitedInto.has(n)),
    ];
    // each as a whole name: not inside `bob-prod`, `alice.example.com` or `x@bob` (those are other names)
    for (const n of names) {
      // a namespace named like a tenant this one invites (`alice`): only its namespace forms can tell them apart
      const forms = members.has(n)
        ? [
            `namespace:${escape(n)}(?![a-z0-9_-])`,
            `ns-${escape(n)}(?![a-z0-9_-])`,
            `${escape(n)}/`,
            // its deployer's path: `creds/<namespace>-deployer` (not `creds/acme-web-deployer` for acme)
            `creds/${escape(n)}-deployer`,
          ]
        : [`${escape(n)}(?![a-z0-9_@-]|\\.[a-z0-9])`];
      const matches = forms.some((f) => new RegExp(`(?<![a-z0-9_.@-])${f}`, "i").test(text));
      if (matches) found.push(`${other.id}: ${n}`);
    }
    const exact = [
      other.email,
      ...(other.displayName ? [other.displayName] : []),
      ...other.domains.map((d) => d.name),
      ...other.apps.map((a) => a.host),
      ...rows.filter((r) => r.tenant === other.id && r.system === "vault").map((r) => r.resource),
    ];
    for (const s of exact) if (lower.includes(s.toLowerCase())) found.push(`${other.id}: ${s}`);
  }
  return [...new Set(found)];
}

/** HTML text with the portal's entities decoded (portal/html.ts escapes these). */
export function decodeHtml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, "`")
    .replace(/&amp;/g, "&");
}
