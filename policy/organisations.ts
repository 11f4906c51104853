/**
 * The organisation tree as `tenancy access --tree`, `can-i` and the portal show it (docs/organisations.md): each
 * tenant under its parent, with who else reaches its namespaces. Read from the model (the tree) and the access
 * matrix (the reach, as planned), never recomputed from the records.
 */
import { ancestors, type RegistryModel } from "../registry/model";
import type { AccessRow } from "./access";

export interface TreeNode {
  tenant: string;
  /** Absent for a root. */
  parent?: string;
  /** 1 for a root. */
  depth: number;
  /** Its children's ids, sorted. */
  children: string[];
  namespaces: string[];
  offboarding: boolean;
  /** Principals of other tenants that reach its namespaces in Kubernetes, each with where and through what. */
  reachedBy: { principal: string; tenant: string; namespaces: string[]; via: string[] }[];
}

/** Every tenant, roots first then each one's children depth first (ids sorted at each level). */
export function organisationTree(model: RegistryModel, rows: readonly AccessRow[]): TreeNode[] {
  const owner = new Map(model.tenants.flatMap((t) => t.namespaces.map((n) => [n.name, t.id] as const)));
  const reach = new Map<string, Map<string, { tenant: string; namespaces: Set<string>; via: Set<string> }>>();
  for (const r of rows) {
    if (r.system !== "kubernetes" || !r.scope.startsWith("namespace:") || r.tenant === undefined) continue;
    const ns = r.scope.slice("namespace:".length);
    const of = owner.get(ns);
    if (of === undefined || of === r.tenant) continue;
    const byPrincipal = reach.get(of) ?? new Map();
    reach.set(of, byPrincipal);
    const e = byPrincipal.get(r.principal) ?? { tenant: r.tenant, namespaces: new Set(), via: new Set() };
    e.namespaces.add(ns);
    e.via.add(r.via);
    byPrincipal.set(r.principal, e);
  }
  // one index of children (and of roots: a tenant whose parent is not in the model) for the whole tree
  const byId = new Map(model.tenants.map((t) => [t.id, t]));
  const kids = new Map<string | undefined, string[]>();
  for (const t of model.tenants) {
    const key = t.parent === undefined || !byId.has(t.parent) ? undefined : t.parent;
    const list = kids.get(key);
    if (list) list.push(t.id);
    else kids.set(key, [t.id]);
  }
  for (const list of kids.values()) list.sort();
  const children = (id: string | undefined) => kids.get(id) ?? [];
  const out: TreeNode[] = [];
  const visit = (id: string, depth: number, seen: Set<string>) => {
    if (seen.has(id)) return;
    seen.add(id);
    const t = byId.get(id)!;
    out.push({
      tenant: id,
      ...(t.parent !== undefined ? { parent: t.parent } : {}),
      depth,
      children: [...children(id)],
      namespaces: t.namespaces.map((n) => n.name),
      offboarding: t.offboarding,
      reachedBy: [...(reach.get(id) ?? new Map())]
        .map(([principal, e]) => ({
          principal,
          tenant: e.tenant,
          namespaces: [...e.namespaces].sort(),
          via: [...e.via].sort(),
        }))
        .sort((a, b) => (a.principal < b.principal ? -1 : 1)),
    });
    for (const c of children(id)) visit(c, depth + 1, seen);
  };
  const seen = new Set<string>();
  for (const root of children(undefined)) visit(root, 1, seen);
  return out;
}

/** The tree as text: one line per tenant, indented under its parent, then who else reaches it. */
export function formatTree(nodes: readonly TreeNode[]): string {
  const lines: string[] = [];
  for (const n of nodes) {
    // a root at the margin; a child's mark under its parent's name
    const indent = n.depth === 1 ? "" : `${"   ".repeat(n.depth - 2)}└─ `;
    const under = " ".repeat(indent.length + 3);
    lines.push(
      `${indent}${n.tenant}${n.offboarding ? " (offboarding)" : ""}  namespaces: ${n.namespaces.join(", ") || "none"}`,
    );
    for (const r of n.reachedBy)
      lines.push(`${under}reached by ${r.principal} (${r.tenant}) in ${r.namespaces.join(", ")}`);
  }
  return lines.join("\n");
}

/** The organisation a tenant belongs to, root first and itself last; just itself when it has no parent. */
export function organisationOf(model: RegistryModel, tenant: string): string[] {
  const t = model.tenants.find((x) => x.id === tenant);
  return t
    ? [
        ...ancestors(model, t)
          .map((a) => a.id)
          .reverse(),
        tenant,
      ]
    : [];
}
