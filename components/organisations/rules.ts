/**
 * Organisations (docs/organisations.md): a tenant naming a `parent` is bounded by it. Run once every tenant is
 * resolved (a child may come before its parent in id order), over the resolved models and the files they came
 * from, so that each problem names the child's file and field:
 *
 * - the parent is another tenant of the registry; no cycle; the chain is at most `organisations.maxDepth`
 *   levels deep, its root included;
 * - role: the child's tenant role is not above its parent's (namespace-owner < power-user < admin);
 * - tier: the child's tier is not more than its parent's (`tierExcess` says precisely what that means);
 * - the organisation's totals: a tier's `budget` and `maxNamespaces` bound its tenant and every descendant
 *   together (each quota counted on every cluster its namespace is on, as the tenant's own budget counts it);
 * - grants: a role bundle only where the parent holds it (the same bundle, on each cluster the grant selects);
 * - clusters: the child's placement and each namespace's within the clusters its parent is placed on;
 * - domains: each equal to or below one of the parent's domains (its bare name, without `*.`);
 * - members: only the parent and the parent's members, each with a role no higher than it holds in the parent
 *   (owner > manager > developer > viewer), a manager only where it manages the parent;
 * - offboarding: no offboarding tenant has a child that is not.
 *
 * With `organisations.parentView`, each tenant's `organisationViewers` are resolved here as well.
 */
import type { EnvironmentModel, TenantAdmission, TenantDocument, TenantModel } from "../../registry/model";
import {
  MEMBER_RANK,
  POD_SECURITY_RANK,
  ROLE_RANK,
  ancestors,
  descendants,
  tierOf,
} from "../../registry/model";
import type { TenantFileData } from "../../registry/schema";
import type { Claims } from "../../registry/rules/context";
import { withoutWildcard } from "../../registry/rules/context";
import { type PathSegment, type Problem, show } from "../core/problems";
import { formatQuantity, parseQuantity } from "../core/quantity";
import { selectClusters } from "../clusters/placement";

/** One tenant as validation resolved it, with the file it came from. */
export interface Resolved {
  doc: TenantDocument;
  data: TenantFileData;
  model: TenantModel;
}

/** The admission allowances that are lists (`*` allows any). */
const ALLOWANCE_LISTS = [
  "serviceTypes",
  "storageClasses",
  "priorityClasses",
  "runtimeClasses",
  "ingressClasses",
  "registries",
  "imagePullPolicies",
  "gatewayClasses",
  "clusterIssuers",
  "nodePools",
  "tolerations",
] as const satisfies readonly (keyof TenantAdmission)[];

type Tier = EnvironmentModel["tiers"][string];
type Q = Record<string, string | number | undefined>;

/** The keys of a LimitRange's per-container `max` a tier may set (`limits.max`). */
const LIMIT_MAX_KEYS = ["cpu", "memory", "ephemeral-storage"] as const;

/** Service exposure a tier caps even without a `max` (components/namespace/quotas.ts). */
const EXPOSURE_KEYS = ["services.nodeports", "services.loadbalancers"];

/**
 * The largest per-namespace quota of `key` a tenant of tier `t` may have: the least of its `max`, the
 * environment's `maxQuota` and, for service exposure, the cap components/namespace/quotas.ts applies (its max,
 * else its quota, else the environment's default, else 0); undefined when nothing bounds it.
 */
function ceiling(env: EnvironmentModel, t: Tier, key: string): string | undefined {
  const exposure = EXPOSURE_KEYS.includes(key)
    ? ((t.max as Q | undefined)?.[key] ??
      (t.quota as Q | undefined)?.[key] ??
      (env.defaults.quota as Q | undefined)?.[key] ??
      "0")
    : undefined;
  const all = [(t.max as Q | undefined)?.[key], (env.maxQuota as Q | undefined)?.[key], exposure].flatMap(
    (v) => (v === undefined ? [] : [String(v)]),
  );
  return all.sort((a, b) => (parseQuantity(a)! < parseQuantity(b)! ? -1 : 1))[0];
}

/** Whether a child's allowance item is within its parent's list: `*` only within `*`; a registry within a prefix. */
function allowed(list: keyof TenantAdmission, item: string, parents: readonly string[]): boolean {
  if (parents.includes("*")) return true;
  if (item === "*") return false;
  return parents.some((p) => p === item || (list === "registries" && item.startsWith(`${p}/`)));
}

/**
 * Why tier `child` (of tenant `c`) is more than tier `parent` (of tenant `p`), each reason a phrase; none when
 * it is not more. Not more means: every quota key the parent's tier bounds in `max` or `budget` the child's
 * tier bounds too, at most as high (a key the parent's leaves unbounded is free); `maxNamespaces` likewise;
 * `limits.max` (cpu, memory, ephemeral-storage per container, the environment's where the tier sets none)
 * likewise; each admission allowance list within the parent's (`*` only under `*`, a registry under one of the
 * parent's prefixes), `requireRuntimeClass` kept; `clusterReader` only with the parent's; Pod Security enforced at
 * least as strictly.
 */
export function tierExcess(env: EnvironmentModel, c: TenantModel, p: TenantModel): string[] {
  if (c.tier === p.tier) return [];
  const ct = tierOf(env, c.tier);
  const pt = tierOf(env, p.tier);
  if (!ct || !pt) return [];
  const out: string[] = [];
  const keys = (q: object | undefined) =>
    Object.entries(q ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [k]));
  for (const field of ["max", "budget"] as const) {
    const bound = (t: Tier, key: string) =>
      field === "max" ? ceiling(env, t, key) : (t.budget as Q | undefined)?.[key];
    for (const key of new Set([...keys(pt[field]), ...(field === "max" ? EXPOSURE_KEYS : [])])) {
      const theirs = bound(pt, key);
      if (theirs === undefined) continue;
      const mine = bound(ct, key);
      if (mine === undefined)
        out.push(`${field} leaves ${key} unbounded where the parent's is ${show(String(theirs))}`);
      else if (parseQuantity(String(mine))! > parseQuantity(String(theirs))!)
        out.push(`${field} ${key} ${show(String(mine))} is above the parent's ${show(String(theirs))}`);
    }
  }
  // the LimitRange's max per container (the environment's, then the tier's): a key the parent's bounds, the
  // child's bounds at most as high
  const limitMax = (t: Tier) =>
    ({ ...env.defaults.limits?.max, ...t.limits?.max }) as Record<string, string | number | undefined>;
  const [cmax, pmax] = [limitMax(ct), limitMax(pt)];
  for (const key of LIMIT_MAX_KEYS) {
    const theirs = pmax[key];
    if (theirs === undefined) continue;
    const mine = cmax[key];
    if (mine === undefined)
      out.push(`limits.max leaves ${key} unbounded where the parent's is ${show(String(theirs))}`);
    else if (parseQuantity(String(mine))! > parseQuantity(String(theirs))!)
      out.push(`limits.max ${key} ${show(String(mine))} is above the parent's ${show(String(theirs))}`);
  }
  if (pt.maxNamespaces !== undefined && (ct.maxNamespaces ?? Infinity) > pt.maxNamespaces)
    out.push(`maxNamespaces ${ct.maxNamespaces ?? "(unbounded)"} is above the parent's ${pt.maxNamespaces}`);
  if (c.clusterReader && !p.clusterReader) out.push("clusterReader is true where the parent's is not");
  if (POD_SECURITY_RANK[c.podSecurity.enforce] > POD_SECURITY_RANK[p.podSecurity.enforce])
    out.push(
      `Pod Security enforces ${show(c.podSecurity.enforce)}, less strict than the parent's ${show(p.podSecurity.enforce)}`,
    );
  for (const list of ALLOWANCE_LISTS) {
    const extra = (c.admission[list] as string[]).filter(
      (i) => !allowed(list, i, p.admission[list] as string[]),
    );
    if (extra.length > 0)
      out.push(
        `admission ${list} allows ${extra.map((e) => show(e)).join(", ")} beyond the parent's (${(p.admission[list] as string[]).map((e) => show(e)).join(", ") || "none"})`,
      );
  }
  if (p.admission.requireRuntimeClass && !c.admission.requireRuntimeClass)
    out.push("admission requireRuntimeClass is off where the parent's is on");
  return out;
}

/** Whether hostname `name` is equal to or below `outer` (both without `*.`). */
export function within(name: string, outer: string): boolean {
  const a = withoutWildcard(name);
  const b = withoutWildcard(outer);
  return a === b || a.endsWith(`.${b}`);
}

export function checkOrganisations(
  env: EnvironmentModel,
  resolved: readonly Resolved[],
  claims: Claims,
  problems: Problem[],
): void {
  const models = resolved.map((r) => r.model);
  const byId = new Map(resolved.map((r) => [r.doc.id, r]));
  const ref = (id: string) => `tenant ${show(id)} (${claims.source(id) ?? "?"})`;
  const limit = env.organisations.maxDepth;
  const before = problems.length;
  const places = placesOf(models);
  const kids = childrenIndex(models);
  for (const { doc, data, model } of resolved) {
    const at = (path: PathSegment[], message: string) => problems.push({ source: doc.source, path, message });
    checkOffboarding(model, kids, ref, at);
    const parent = data.parent;
    if (parent === undefined) continue;
    if (parent === doc.id) {
      at(["parent"], "a tenant cannot be its own parent");
      continue;
    }
    if (!claims.isTenant(parent)) {
      at(["parent"], `${show(parent)} is not a tenant of this registry`);
      continue;
    }
    const place = places.get(doc.id)!;
    if ("cycle" in place) {
      // the walk meets a tenant again: a cycle, through this tenant or above it (shown to a few ids: a hostile
      // cycle may hold thousands)
      const walk = ancestors(models, model, 2 * SHOWN + 1).map((t) => t.id);
      const loop =
        walk.length <= 2 * SHOWN
          ? [doc.id, ...walk, place.cycle].join(" -> ")
          : `${[doc.id, ...walk.slice(0, SHOWN)].join(" -> ")} -> ... -> ${place.cycle}`;
      at(
        ["parent"],
        `${place.on ? "forms" : "leads into"} a cycle (${loop}): an organisation's root names no parent`,
      );
      continue;
    }
    if (place.level > limit) {
      // the chain, root first, to a few ids at each end (a hostile chain may hold thousands)
      const shown =
        place.level <= 2 * SHOWN + 1
          ? [...ancestors(models, model).map((t) => t.id)].reverse().join(" > ")
          : `${place.head.join(" > ")} > ... > ${[...ancestors(models, model, SHOWN - 1).map((t) => t.id)]
              .reverse()
              .join(" > ")}`;
      at(
        ["parent"],
        `puts tenant ${show(doc.id)} at level ${place.level} of organisation ${show(place.head[0]!)} (${shown} > ${doc.id}); environment ${show(env.name)} allows ${limit} (organisations.maxDepth in ${env.source})`,
      );
    }
    const p = byId.get(parent);
    // a parent whose file failed its schema: its problems are reported, nothing can be compared with it
    if (!p) continue;
    checkBounds(env, { doc, data, model }, p, ref, at);
  }
  checkTotals(env, resolved, models, places, limit, ref, problems);
  // viewers only of a sound tree: a cycle or a hostile depth has been reported, and the registry is refused
  if (env.organisations.parentView && problems.length === before) resolveViewers(models, limit);
}

/** How many ids a message shows at each end of a long chain or cycle. */
const SHOWN = 3;

/**
 * A tenant's place in its organisation: its level (the root 1) and the first ids from its root down (at most
 * SHOWN); or, for a tenant on a cycle or whose parents lead into one, the first tenant of the cycle its walk meets
 * (`cycle`, itself when `on` it).
 */
type Place = { level: number; head: readonly string[] } | { cycle: string; on: boolean };

/** Every tenant's place, in one pass over the forest: linear, whatever the chains hold. */
function placesOf(models: readonly TenantModel[]): Map<string, Place> {
  const index = new Map(models.map((t) => [t.id, t]));
  const out = new Map<string, Place>();
  for (const start of models) {
    if (out.has(start.id)) continue;
    // up from `start` to a tenant already placed, a root, or the first repeat
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let cur: string | undefined = start.id;
    while (cur !== undefined && index.has(cur) && !out.has(cur) && !onPath.has(cur)) {
      onPath.set(cur, path.length);
      path.push(cur);
      cur = index.get(cur)!.parent;
    }
    let above: Place | undefined = cur === undefined ? undefined : out.get(cur);
    let end = path.length;
    if (cur !== undefined && onPath.has(cur)) {
      end = onPath.get(cur)!;
      for (const id of path.slice(end)) out.set(id, { cycle: id, on: true });
      above = { cycle: cur, on: true };
    }
    for (let i = end - 1; i >= 0; i--) {
      const id = path[i]!;
      const place: Place =
        above === undefined
          ? { level: 1, head: [id] }
          : "cycle" in above
            ? { cycle: above.cycle, on: false }
            : { level: above.level + 1, head: above.head.length < SHOWN ? [...above.head, id] : above.head };
      out.set(id, place);
      above = place;
    }
  }
  return out;
}

/** Each tenant's children (a tenant naming itself left out). */
function childrenIndex(models: readonly TenantModel[]): Map<string, TenantModel[]> {
  const out = new Map<string, TenantModel[]>();
  for (const t of models)
    if (t.parent !== undefined && t.parent !== t.id) {
      const list = out.get(t.parent);
      if (list) list.push(t);
      else out.set(t.parent, [t]);
    }
  return out;
}

/** Ids for a message: all of a few, else the first SHOWN and how many more. */
function some(ids: readonly string[]): string {
  return ids.length <= 2 * SHOWN
    ? ids.join(", ")
    : `${ids.slice(0, SHOWN).join(", ")} and ${ids.length - SHOWN} more`;
}

/** An offboarding tenant with a child that is not: offboard the children first (or all at once, --recursive). */
function checkOffboarding(
  model: TenantModel,
  kids: ReadonlyMap<string, readonly TenantModel[]>,
  ref: (id: string) => string,
  at: (path: PathSegment[], message: string) => void,
): void {
  if (!model.offboarding) return;
  const active = (kids.get(model.id) ?? []).filter((t) => !t.offboarding);
  if (active.length === 0) return;
  at(
    ["offboarding"],
    `tenant ${show(model.id)} is offboarding while its ${active.length === 1 ? "child" : "children"} ${active.length <= 2 * SHOWN ? active.map((t) => ref(t.id)).join(", ") : some(active.map((t) => t.id))} ${active.length === 1 ? "is" : "are"} not: offboard the children first, or all at once with tenancy offboard ${model.id} --recursive`,
  );
}

function checkBounds(
  env: EnvironmentModel,
  { data, model: c }: Resolved,
  { model: p }: Resolved,
  ref: (id: string) => string,
  at: (path: PathSegment[], message: string) => void,
): void {
  const parent = ref(p.id);
  if (ROLE_RANK[c.role] > ROLE_RANK[p.role])
    at(["role"], `${show(c.role)} is above the role of its parent ${parent}, ${show(p.role)}`);
  const excess = tierExcess(env, c, p);
  if (excess.length > 0)
    at(
      ["tier"],
      `tier ${show(c.tier)} is more than tier ${show(p.tier)} of its parent ${parent}: ${excess.join("; ")} (tiers in ${env.source})`,
    );

  // clusters: the tenant's own selection, each namespace's
  const placed = new Set(p.clusters);
  const outside = (clusters: readonly string[]) => clusters.filter((x) => !placed.has(x));
  const own = selectClusters(env.clusters, data.clusterSelector);
  const off = outside(own);
  if (off.length > 0)
    at(
      ["clusterSelector"],
      `${data.clusterSelector === undefined ? "places it (no clusterSelector: the default cluster) on" : "selects"} ${off.join(", ")}, where its parent ${parent} is not placed (it is on ${p.clusters.join(", ")}); a child stays on its parent's clusters`,
    );
  (data.namespaces ?? []).forEach((entry, j) => {
    if (typeof entry === "string" || entry.clusterSelector === undefined) return;
    const offNs = outside(selectClusters(env.clusters, entry.clusterSelector));
    if (offNs.length > 0)
      at(
        ["namespaces", j, "clusterSelector"],
        `selects ${offNs.join(", ")}, where its parent ${parent} is not placed (it is on ${p.clusters.join(", ")}); a child stays on its parent's clusters`,
      );
  });

  // grants: a bundle where the parent holds it
  const holds = new Map<string, Set<string>>();
  for (const g of p.grants) {
    const set = holds.get(g.bundle) ?? new Set<string>();
    for (const x of g.clusters) set.add(x);
    holds.set(g.bundle, set);
  }
  data.grants.forEach((g, i) => {
    const where = holds.get(g.bundle);
    if (!where) {
      at(
        ["grants", i, "bundle"],
        `bundle ${show(g.bundle)} is not granted to its parent ${parent}${p.grants.length > 0 ? ` (it holds ${[...holds.keys()].join(", ")})` : ""}; a child is granted only bundles its parent holds`,
      );
      return;
    }
    const selected = selectClusters(env.clusters, g.clusterSelector).filter((x) => c.clusters.includes(x));
    const missing = selected.filter((x) => !where.has(x));
    if (missing.length > 0)
      at(
        ["grants", i, "clusterSelector"],
        `grants bundle ${show(g.bundle)} on ${missing.join(", ")}, where its parent ${parent} does not hold it (it holds it on ${[...where].join(", ")})`,
      );
  });

  // domains: within the parent's
  const outer = p.domains.map((d) => d.name);
  data.domains.forEach((entry, i) => {
    const name = typeof entry === "string" ? entry : entry.name;
    if (outer.some((o) => within(name, o))) return;
    at(
      typeof entry === "string" ? ["domains", i] : ["domains", i, "name"],
      `${show(name)} is outside the domains of its parent ${parent} (${outer.length > 0 ? outer.join(", ") : "it has none"}); a child's domains are its parent's or below them`,
    );
  });

  // members: the parent, and the parent's members within their role there
  const inParent = new Map(p.members.map((m) => [m.tenant, m]));
  data.members.forEach((m, i) => {
    if (m.tenant === p.id) return;
    const held = inParent.get(m.tenant);
    if (!held) {
      at(
        ["members", i, "tenant"],
        `${show(m.tenant)} is neither its parent ${show(p.id)} nor a member of it${p.members.length > 0 ? ` (its members: ${p.members.map((x) => x.tenant).join(", ")})` : ""}; a child invites only its parent and the parent's members`,
      );
      return;
    }
    if (MEMBER_RANK[m.role] > MEMBER_RANK[held.role])
      at(
        ["members", i, "role"],
        `${show(m.role)} is above the role ${show(m.tenant)} holds in its parent ${parent}, ${show(held.role)}`,
      );
    else if ((m.manager || m.role === "manager") && !held.manager)
      at(
        ["members", i, "manager"],
        `${show(m.tenant)} does not manage its parent ${parent}, so it may not manage this record`,
      );
  });
}

/**
 * The organisation's totals: a tenant whose tier has a `budget` or `maxNamespaces` shares it with every
 * descendant. Reported at each direct child's `namespaces` (any of them can give some back), and at the tenant's
 * own when its own namespaces count towards the excess; the tenant's own totals are components/namespace/quotas.ts's.
 */
function checkTotals(
  env: EnvironmentModel,
  resolved: readonly Resolved[],
  models: readonly TenantModel[],
  places: ReadonlyMap<string, Place>,
  limit: number,
  ref: (id: string) => string,
  problems: Problem[],
): void {
  const sources = new Map(resolved.map((r) => [r.doc.id, r.doc.source]));
  for (const t of models) {
    // within the depth allowed only (each tenant then counts for at most maxDepth ancestors); a cycle or a
    // tenant too deep is reported at its parent, and its totals once that is mended
    const place = places.get(t.id);
    if (!place || "cycle" in place || place.level > limit) continue;
    const tier = tierOf(env, t.tier);
    if (!tier || (tier.budget === undefined && tier.maxNamespaces === undefined)) continue;
    const below = descendants(models, t.id);
    if (below.length === 0) continue;
    const all = [t, ...below];
    const namespaces = all.flatMap((x) => x.namespaces);
    const who = `organisation ${show(t.id)} (${t.id} and ${below.length === 1 ? "its descendant" : `its ${below.length} descendants`} ${some(below.map((x) => x.id))})`;
    const reasons: string[] = [];
    // the tenant's own namespaces count towards this reason: reported at its own `namespaces` too
    const own: string[] = [];
    if (tier.maxNamespaces !== undefined && namespaces.length > tier.maxNamespaces)
      (t.namespaces.length > 0 ? own : reasons).push(
        `${namespaces.length} namespaces in ${who} exceed the tier ${show(t.tier)} limit of ${tier.maxNamespaces} of ${ref(t.id)}`,
      );
    for (const [key, budget] of Object.entries((tier.budget ?? {}) as Record<string, string | undefined>)) {
      if (budget === undefined) continue;
      let total = 0n;
      let mine = 0n;
      for (const n of namespaces) {
        const q = (n.quota as Record<string, string | undefined>)[key];
        // a namespace without the key is reported by its own tier's budget (a child's tier budgets what its parent's does)
        if (q === undefined) continue;
        const counted = parseQuantity(q)! * BigInt(Math.max(1, n.clusters.length));
        total += counted;
        if (t.namespaces.includes(n)) mine += counted;
      }
      if (total > parseQuantity(budget)!)
        (mine > 0n ? own : reasons).push(
          `${key} summed over ${who} is ${show(formatQuantity(total))}, over the tier ${show(t.tier)} budget of ${show(String(budget))} of ${ref(t.id)}`,
        );
    }
    for (const message of own)
      problems.push({ source: sources.get(t.id) ?? t.source, path: ["namespaces"], message });
    reasons.push(...own);
    if (reasons.length === 0) continue;
    for (const child of below.filter((x) => x.parent === t.id))
      for (const message of reasons)
        problems.push({ source: sources.get(child.id) ?? child.source, path: ["namespaces"], message });
  }
}

/**
 * parentView: each tenant with ancestors gets as viewers the ancestors themselves and, of each ancestor's members,
 * those invited into every namespace of that ancestor or managing it, but never a tenant inside that ancestor's
 * own subtree (a child invited into its parent views no sibling through it); itself left out. A member invited
 * into some of an ancestor's namespaces only was given that much of the ancestor, not its organisation.
 */
function resolveViewers(models: readonly TenantModel[], limit: number): void {
  const subtree = new Map<string, Set<string>>();
  const below = (id: string) => {
    let set = subtree.get(id);
    if (!set) subtree.set(id, (set = new Set(descendants(models, id).map((x) => x.id))));
    return set;
  };
  for (const t of models) {
    const chain = ancestors(models, t, limit);
    if (chain.length === 0) continue;
    const viewers = new Set<string>();
    for (const a of chain) {
      viewers.add(a.id);
      const all = a.namespaces.map((n) => n.name);
      for (const m of a.members) {
        const whole = m.manager || m.role === "manager" || all.every((n) => m.namespaces.includes(n));
        if (whole && !below(a.id).has(m.tenant)) viewers.add(m.tenant);
      }
    }
    viewers.delete(t.id);
    t.organisationViewers = [...viewers].sort();
  }
}
