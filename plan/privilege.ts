/**
 * The privilege delta of a registry change (`tenancy diff`, ARCHITECTURE.md "Pull requests and runs"): what
 * each principal gains in privilege, apart from the access rows. A tenant's own reviewers approve changes to
 * its record (CODEOWNERS); a raise of privilege needs a platform admin (exit 6, `tenancy approve-check`).
 *
 * Compared on the resolved models (every default applied) and on the access matrix: role, tier, trusted bundles
 * and grants, cluster placements, quota beyond the tier's default, owner and manager memberships, CI claims,
 * admission allowances, Pod Security, the tier's clusterReader, automation identities (a new one, a higher role,
 * more namespaces or bundles), access gained at cluster scope, and a new or changed `parent` (docs/organisations.md:
 * joining an organisation gains its shared objects, hostnames inside its domains, a share of its tier's budget,
 * and its reviewers' approval of later raises; policy/approval.ts lets only an admin or the new parent's own
 * reviewers approve it). A lowering, leaving an organisation, or no change is never a raise.
 */
import { parseQuantity } from "../components/core/quantity";
import { jsonEqual } from "../components/core/json";
import { defaultCluster } from "../components/clusters/placement";
import { tenantAdmission } from "../components/admission/rules";
import type { AccessRow } from "../policy/access";
import {
  type EnvironmentModel,
  type MemberModel,
  MEMBER_RANK,
  type NamespaceModel,
  POD_SECURITY_RANK,
  type Quota,
  ROLE_RANK,
  type RegistryModel,
  type TenantAdmission,
  type TenantModel,
  tierOf,
} from "../registry/model";

export type PrivilegeKind =
  | "role"
  | "tier"
  | "grant"
  | "placement"
  | "quota"
  | "membership"
  | "ci"
  | "automation"
  | "admission"
  | "pod-security"
  | "cluster-reader"
  | "cluster-access"
  | "organisation";

export interface PrivilegeRaise {
  /** Who gains: a tenant id, `ci:<tenant>` for a tenant's CI identity, or an access row's principal. */
  principal: string;
  /** The tenant whose record (or tier) grants it: its reviewers must not approve it alone. */
  tenant: string;
  kind: PrivilegeKind;
  /** What it gains, readable: `role power-user -> admin`. */
  what: string;
}

/** a > b as quantities; an absent value is no limit at all (a ResourceQuota without the key bounds nothing). */
function above(a: string | number | undefined, b: string | number | undefined): boolean {
  if (a === undefined) return b !== undefined;
  if (b === undefined) return false;
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== undefined && y !== undefined && x > y;
}
const q = (v: string | number | undefined) => (v === undefined ? "unlimited" : String(v));

/** The keys of `head` (or `base`) whose limit rises from base to head: `key base -> head` each. */
function quotaRises(base: Quota | undefined, head: Quota | undefined, keys?: Iterable<string>): string[] {
  const all = keys
    ? [...keys]
    : [...new Set([...Object.keys(base ?? {}), ...Object.keys(head ?? {})])].sort();
  const out: string[] = [];
  for (const k of all) {
    const b = base?.[k as keyof Quota];
    const h = head?.[k as keyof Quota];
    if (above(h, b)) out.push(`${k} ${q(b)} -> ${q(h)}`);
  }
  return out;
}

/** Entries of each allowance list in head and not in base (`*` allows any). */
function allowanceGains(base: TenantAdmission | undefined, head: TenantAdmission): string[] {
  const out: string[] = [];
  for (const key of Object.keys(head).sort() as (keyof TenantAdmission)[]) {
    const h = head[key];
    const b = base?.[key];
    if (typeof h === "boolean") {
      // requireRuntimeClass: dropping the requirement allows more
      if (b === true && h === false) out.push(`${key} true -> false`);
      continue;
    }
    const had = new Set(Array.isArray(b) ? b : []);
    if (had.has("*")) continue;
    const gained = h.filter((x) => !had.has(x));
    if (gained.length > 0) out.push(`${key} + ${gained.join(", ")}`);
  }
  return out;
}

/** The environment's default quota of a tier: defaults.quota <- the tier's quota. */
function tierQuota(env: EnvironmentModel, tier: string): Quota {
  return {
    ...env.defaults.quota,
    ...tierOf(env, tier)?.quota,
  } as Quota;
}

/** What a tier allows beyond another: its default quota, max, budget, a container's limits.max, namespace count, Pod Security, reader. */
function tierGains(baseEnv: EnvironmentModel, from: string, headEnv: EnvironmentModel, to: string): string[] {
  const b = tierOf(baseEnv, from);
  const h = tierOf(headEnv, to);
  const out: string[] = [];
  for (const k of quotaRises(tierQuota(baseEnv, from), tierQuota(headEnv, to))) out.push(`quota ${k}`);
  // a key a tier's max leaves out is bounded by the environment's maxQuota, else by the tier's default
  const ceiling = (env: EnvironmentModel, tier: string, max: Quota | undefined): Quota => ({
    ...tierQuota(env, tier),
    ...env.maxQuota,
    ...max,
  });
  for (const k of quotaRises(ceiling(baseEnv, from, b?.max), ceiling(headEnv, to, h?.max)))
    out.push(`max ${k}`);
  for (const k of quotaRises(b?.budget, h?.budget)) out.push(`budget ${k}`);
  // a container's ceiling: the tier's limits.max, else the environment's
  const limitsMax = (env: EnvironmentModel, t: typeof b) =>
    ({ ...env.defaults.limits?.max, ...t?.limits?.max }) as Quota;
  for (const k of quotaRises(limitsMax(baseEnv, b), limitsMax(headEnv, h), [
    "cpu",
    "memory",
    "ephemeral-storage",
  ]))
    out.push(`limits.max ${k}`);
  if (above(h?.maxNamespaces, b?.maxNamespaces))
    out.push(`maxNamespaces ${q(b?.maxNamespaces)} -> ${q(h?.maxNamespaces)}`);
  if (h?.clusterReader === true && b?.clusterReader !== true) out.push("clusterReader");
  return out;
}

/** What a tenant looks like before it exists: a namespace owner of the default tier, with nothing else. */
function newcomer(env: EnvironmentModel, t: TenantModel): TenantModel {
  const tier = env.defaults.tier;
  const home = defaultCluster(env.clusters);
  const t0 = tierOf(env, tier);
  return {
    ...t,
    role: "namespace-owner",
    tier,
    clusterReader: t0?.clusterReader === true,
    podSecurity: { ...t.podSecurity, ...env.podSecurity, ...t0?.podSecurity },
    admission: undefined as unknown as TenantAdmission,
    namespaces: [],
    clusters: [home],
    grants: [],
    members: [],
    ci: undefined,
  } as TenantModel;
}

function trusted(env: EnvironmentModel, bundle: string): boolean {
  return Object.hasOwn(env.roleBundles, bundle) && env.roleBundles[bundle]!.trusted === true;
}

/** The raises one tenant's record (resolved) makes, base to head. */
function tenantRaises(
  baseEnv: EnvironmentModel,
  headEnv: EnvironmentModel,
  b: TenantModel | undefined,
  h: TenantModel,
): PrivilegeRaise[] {
  const out: PrivilegeRaise[] = [];
  const add = (kind: PrivilegeKind, what: string, principal = h.id) =>
    out.push({ principal, tenant: h.id, kind, what });
  const base = b ?? newcomer(baseEnv, h);

  // joining an organisation (a new record naming a parent included): its parent must consent
  if (h.parent !== undefined && h.parent !== b?.parent)
    add("organisation", `parent ${b?.parent ?? "(none)"} -> ${h.parent}: joins organisation ${h.parent}`);
  if (ROLE_RANK[h.role] > ROLE_RANK[base.role]) add("role", `role ${base.role} -> ${h.role}`);
  if (h.tier !== base.tier || !b) {
    const gains = tierGains(baseEnv, base.tier, headEnv, h.tier);
    if (gains.length > 0)
      add("tier", `tier ${base.tier === h.tier ? h.tier : `${base.tier} -> ${h.tier}`}: ${gains.join("; ")}`);
  }
  if (h.clusterReader && !base.clusterReader)
    add("cluster-reader", "clusterReader: reads the cluster's classes");
  for (const key of ["enforce", "audit", "warn"] as const)
    if (POD_SECURITY_RANK[h.podSecurity[key]] > POD_SECURITY_RANK[base.podSecurity[key]])
      add("pod-security", `podSecurity.${key} ${base.podSecurity[key]} -> ${h.podSecurity[key]}`);
  const allowances = allowanceGains(b?.admission ?? tierAdmission(baseEnv, base.tier), h.admission);
  if (allowances.length > 0) add("admission", `admission ${allowances.join("; ")}`);

  // grants: a new bundle, or one on more clusters or namespaces
  for (const g of h.grants) {
    const old = base.grants.find((x) => x.bundle === g.bundle && x.scope === g.scope);
    const label = `${trusted(headEnv, g.bundle) ? "trusted " : ""}bundle ${g.bundle} (${g.scope})`;
    if (!old) {
      add(
        "grant",
        `${label} on ${g.clusters.join(", ")}${g.namespaces.length ? ` in ${g.namespaces.join(", ")}` : ""}`,
      );
      continue;
    }
    const clusters = g.clusters.filter((c) => !old.clusters.includes(c));
    const namespaces = g.namespaces.filter((n) => !old.namespaces.includes(n));
    if (clusters.length + namespaces.length > 0)
      add(
        "grant",
        `${label} wider: ${[...(clusters.length ? [`+ clusters ${clusters.join(", ")}`] : []), ...(namespaces.length ? [`+ namespaces ${namespaces.join(", ")}`] : [])].join("; ")}`,
      );
    else if (trusted(headEnv, g.bundle) && !trusted(baseEnv, g.bundle)) add("grant", `${label} now trusted`);
  }

  // placements: the tenant, or a namespace, on clusters it was not on
  const clusters = h.clusters.filter((c) => !base.clusters.includes(c));
  if (clusters.length > 0) add("placement", `placed on ${clusters.join(", ")}`);
  const baseNs = new Map(base.namespaces.map((n) => [n.name, n]));
  const defaultQuota = tierQuota(headEnv, h.tier);
  for (const n of h.namespaces) {
    if (n.offboarding) continue;
    const old: NamespaceModel | undefined = baseNs.get(n.name);
    const wider = old ? n.clusters.filter((c) => !old.clusters.includes(c)) : [];
    if (wider.length > 0) add("placement", `namespace ${n.name} on ${wider.join(", ")}`);
    // quota beyond the tier's default: raised keys above what the tier gives by default
    const keys = new Set([...Object.keys(n.quota), ...Object.keys(old?.quota ?? {})]);
    const beyond = [...keys].sort().filter((k) => {
      const v = n.quota[k as keyof Quota];
      return (
        above(v, old ? old.quota[k as keyof Quota] : defaultQuota[k as keyof Quota]) &&
        above(v, defaultQuota[k as keyof Quota])
      );
    });
    if (beyond.length > 0)
      add(
        "quota",
        `namespace ${n.name} quota beyond the tier's default: ${beyond
          .map((k) => {
            const from = old ? old.quota[k as keyof Quota] : defaultQuota[k as keyof Quota];
            return `${k} ${q(from)} -> ${q(n.quota[k as keyof Quota])} (tier default ${q(defaultQuota[k as keyof Quota])})`;
          })
          .join(", ")}`,
      );
  }

  // memberships: who becomes an owner or a manager (who reviews this record) of the tenant's namespaces
  for (const m of h.members) {
    const old: MemberModel | undefined = base.members.find((x) => x.tenant === m.tenant);
    const where = m.namespaces.length ? ` in ${m.namespaces.join(", ")}` : "";
    if (m.role === "owner" && old?.role !== "owner")
      add("membership", `member of ${h.id}: role ${old ? `${old.role} -> ` : ""}owner${where}`, m.tenant);
    else if (m.role === "owner" && old && old.namespaces.length > 0) {
      const more =
        m.namespaces.length === 0
          ? ["every namespace"]
          : m.namespaces.filter((n) => !old.namespaces.includes(n));
      if (more.length > 0) add("membership", `member of ${h.id}: owner in ${more.join(", ")}`, m.tenant);
    }
    if (m.manager && !old?.manager)
      add("membership", `member of ${h.id}: manager (reviews ${h.id}'s record)`, m.tenant);
  }

  // CI: any change of bound claims changes which tokens get in; more namespaces deploy more
  if (h.ci) {
    const principal = `ci:${h.id}`;
    if (!base.ci) add("ci", `CI deployer bound to ${claims(h.ci.boundClaims)}`, principal);
    else {
      if (!jsonEqual(base.ci.boundClaims, h.ci.boundClaims))
        add("ci", `ci.boundClaims ${claims(base.ci.boundClaims)} -> ${claims(h.ci.boundClaims)}`, principal);
      const more = h.ci.namespaces.filter((n) => !base.ci!.namespaces.includes(n));
      if (more.length > 0) add("ci", `CI deploys to ${more.join(", ")}`, principal);
    }
  }

  // automation identities (docs/automation-identities.md): a new principal holding the tenant's roles, like a member
  for (const sa of h.serviceAccounts ?? []) {
    const principal = `system:serviceaccount:${sa.namespace}:${sa.name}`;
    const label = `automation identity ${sa.namespace}/${sa.name}`;
    const old = base.serviceAccounts?.find((x) => x.namespace === sa.namespace && x.name === sa.name);
    const bundles = sa.bundles.length > 0 ? `; bundles ${sa.bundles.join(", ")}` : "";
    if (!old) {
      add("automation", `${label}: ${sa.role} in ${sa.namespaces.join(", ")}${bundles}`, principal);
      continue;
    }
    const namespaces = sa.namespaces.filter((n) => !old.namespaces.includes(n));
    const more = sa.bundles.filter((x) => !old.bundles.includes(x));
    const gains = [
      ...(MEMBER_RANK[sa.role] > MEMBER_RANK[old.role] ? [`role ${old.role} -> ${sa.role}`] : []),
      ...(namespaces.length > 0 ? [`+ namespaces ${namespaces.join(", ")}`] : []),
      ...(more.length > 0 ? [`+ bundles ${more.join(", ")}`] : []),
    ];
    if (gains.length > 0) add("automation", `${label}: ${gains.join("; ")}`, principal);
  }
  return out;
}

const claims = (c: Record<string, string>) =>
  Object.keys(c).length === 0
    ? "{}"
    : Object.entries(c)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(", ");

/** A tenant's allowances on `tier` in `env` (a newcomer's baseline). */
function tierAdmission(env: EnvironmentModel, tier: string): TenantAdmission {
  return tenantAdmission(env, tierOf(env, tier)?.admission);
}

/**
 * Every raise of privilege from base to head, per principal. Offboarding tenants gain nothing (their access is
 * revoked). `access`: gained rows at cluster scope (beyond the class objects) count as raises of their principal.
 */
export function privilegeDelta(
  base: RegistryModel,
  head: RegistryModel,
  access?: { gained: readonly AccessRow[] },
): PrivilegeRaise[] {
  const before = new Map(base.tenants.map((t) => [t.id, t]));
  const out: PrivilegeRaise[] = [];
  for (const h of head.tenants) {
    if (h.offboarding) continue;
    const b = before.get(h.id);
    out.push(...tenantRaises(base.environment, head.environment, b?.offboarding ? undefined : b, h));
  }
  // access the models do not say: a principal gaining rows at cluster scope
  const cluster = new Map<string, { tenant: string; vias: Set<string>; rows: number }>();
  for (const r of access?.gained ?? []) {
    if (r.scope !== "cluster" || r.system !== "kubernetes") continue;
    const e = cluster.get(r.principal) ?? { tenant: r.tenant ?? "", vias: new Set<string>(), rows: 0 };
    e.vias.add(r.via);
    e.rows++;
    cluster.set(r.principal, e);
  }
  for (const [principal, e] of cluster)
    out.push({
      principal,
      tenant: e.tenant,
      kind: "cluster-access",
      what: `cluster-wide access: ${e.rows} rule${e.rows === 1 ? "" : "s"} via ${[...e.vias].sort().join(", ")}`,
    });
  return out;
}
