/**
 * The live aggregated roles against what a namespace owner may hold (`tenancy check-roles`; ARCHITECTURE.md,
 * "Roles"): tenancy's owner, manager, developer and viewer roles aggregate whatever the cluster aggregates into `admin`,
 * `edit` and `view` (its bootstrap policy, which differs between Kubernetes versions and is never taken back on
 * upgrade, and every CRD's contribution). This reads the cluster's ClusterRoles, resolves the aggregation as the
 * cluster's controller does (components/members/aggregation.ts), and holds every rule each role reaches against
 * the isolation rules (components/core/rbac.ts): no escalate, bind, `*` or impersonation beyond service
 * accounts, no wildcard, no write to what the platform owns (PROTECTED_RESOURCES: namespaces, quotas, limits,
 * endpoints, EndpointSlices, services/status, cluster RBAC), no cluster-scoped resource (by the cluster's
 * discovery) beyond the namespace reads Kubernetes' own view grants, no non-resource URL. Rules beyond the
 * bootstrap policy written out in aggregation.ts (a CRD's kinds) that stay inside are listed, not found.
 * Read only; loaded on use.
 */
import {
  ApisApi,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  RbacAuthorizationV1Api,
  type V1ClusterRole,
} from "@kubernetes/client-node";
import {
  type ClusterRoleData,
  KUBERNETES_AGGREGATED,
  MANAGER_RULES,
  MIRRORS,
  resolveAggregation,
  selects,
} from "../components/members/aggregation";
import { CLUSTER_SCOPED_RESOURCES, NAMESPACE_ROLE_FOR } from "../components/members/rbac";
import { FORBIDDEN_VERBS, WRITE_VERBS, isProtected } from "../components/core/rbac";
import { ExternalError } from "../components/core/problems";
import { kubeError } from "./kube";

/** The roles checked: Kubernetes' three user-facing ones and tenancy's three that aggregate them. */
export const CHECKED_ROLES = ["admin", "edit", "view", ...Object.values(NAMESPACE_ROLE_FOR)] as const;

/** A rule of a live ClusterRole, as RBAC writes it (non-resource URLs too). */
export interface LiveRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** One grant beyond the bound: the roles that reach it, the ClusterRole it comes from, what and why. */
export interface RoleFinding {
  roles: string[];
  /** The ClusterRole holding the rule (an aggregated role's source). */
  source: string;
  apiGroup: string;
  resource: string;
  verbs: string[];
  resourceNames?: string[];
  why: string;
}

/** A grant inside the bound that Kubernetes' bootstrap policy (as aggregation.ts writes it) does not hold. */
export interface RoleExtra {
  roles: string[];
  source: string;
  apiGroup: string;
  resource: string;
  verbs: string[];
}

export interface RolesReport {
  /** The cluster (environment name) or the kubeconfig context checked. */
  target: string;
  /** Each checked role: whether the cluster has it. */
  roles: { name: string; present: boolean }[];
  findings: RoleFinding[];
  extras: RoleExtra[];
}

/** Whether a group/resource is cluster-scoped: the cluster's discovery, else Kubernetes' own list. */
export type ScopeOf = (group: string, resource: string) => boolean;

const READ_VERBS = new Set(["get", "list", "watch"]);
const key = (group: string, resource: string) => (group === "" ? resource : `${group}/${resource}`);

/** The bootstrap policy's grants on a role (its aggregation resolved): `group/resource` -> verbs. */
function bootstrapGrants(): Map<string, Map<string, Set<string>>> {
  const resolved = resolveAggregation(KUBERNETES_AGGREGATED);
  const out = new Map<string, Map<string, Set<string>>>();
  for (const [role, mirror] of Object.entries(MIRRORS)) {
    const grants = new Map<string, Set<string>>();
    // a manager holds edit and tenancy's own RoleBinding writes (ARCHITECTURE.md, "Roles")
    const own = role === "manager" ? MANAGER_RULES : [];
    for (const r of [...(resolved.get(mirror.kubernetes) ?? []), ...own])
      for (const g of r.apiGroups)
        for (const res of r.resources) {
          const k = key(g, res);
          grants.set(k, new Set([...(grants.get(k) ?? []), ...r.verbs]));
        }
    if (own.length === 0) out.set(mirror.kubernetes, grants);
    out.set(NAMESPACE_ROLE_FOR[role as keyof typeof NAMESPACE_ROLE_FOR], grants);
  }
  return out;
}

/** What a live ClusterRole is, for the resolver (`rules` kept whole, non-resource URLs included). */
/** A live ClusterRole as far as the check goes: its name, labels, aggregation rule and rules as written. */
interface LiveRole {
  name: string;
  labels: Record<string, string>;
  aggregationRule?: NonNullable<ClusterRoleData["aggregationRule"]>;
  live: LiveRule[];
}

function roleData(r: V1ClusterRole): LiveRole {
  const live = (r.rules ?? []).map((x) => ({
    verbs: x.verbs,
    ...(x.apiGroups ? { apiGroups: x.apiGroups } : {}),
    ...(x.resources ? { resources: x.resources } : {}),
    ...(x.resourceNames ? { resourceNames: x.resourceNames } : {}),
    ...(x.nonResourceURLs ? { nonResourceURLs: x.nonResourceURLs } : {}),
  }));
  const selectors = (r.aggregationRule?.clusterRoleSelectors ?? []).map((s) => ({
    matchLabels: s.matchLabels ?? {},
  }));
  return {
    name: r.metadata?.name ?? "",
    labels: r.metadata?.labels ?? {},
    live,
    ...(r.aggregationRule ? { aggregationRule: { clusterRoleSelectors: selectors } } : {}),
  };
}

/** Why one grant crosses the bound, or undefined. `bootstrap`: the verbs Kubernetes' own role grants there. */
function beyond(
  group: string,
  resource: string,
  verbs: string[],
  scope: ScopeOf,
  bootstrap: Set<string> | undefined,
): string | undefined {
  // impersonating the namespace's own service accounts is what admin grants
  const forbidden = verbs.filter(
    (v) => FORBIDDEN_VERBS.has(v) && !(v === "impersonate" && resource === "serviceaccounts"),
  );
  if (forbidden.length > 0) return `grants ${forbidden.join(", ")}`;
  if (group === "*" || resource.includes("*")) return "a wildcard";
  const writes = verbs.filter((v) => WRITE_VERBS.has(v));
  if (writes.length > 0 && isProtected(resource))
    return "writes what the platform owns (a tenant's fences, endpoints, a Service's status or cluster RBAC)";
  if (scope(group, resource.split("/")[0]!) && !verbs.every((v) => bootstrap?.has(v) && READ_VERBS.has(v)))
    return "a cluster-scoped resource";
  return undefined;
}

/**
 * Every grant of the checked roles beyond the bound, and those inside it that the bootstrap policy does not
 * hold. `roles`: every ClusterRole of the cluster.
 */
export function compareRoles(roles: readonly V1ClusterRole[], scope: ScopeOf): Omit<RolesReport, "target"> {
  const data = roles.map(roleData);
  const byName = new Map(data.map((r) => [r.name, r]));
  const bootstrap = bootstrapGrants();
  const findings = new Map<string, RoleFinding>();
  const extras = new Map<string, RoleExtra>();
  const present: { name: string; present: boolean }[] = [];
  for (const name of CHECKED_ROLES) {
    const role = byName.get(name);
    present.push({ name, present: role !== undefined });
    if (!role) continue;
    // the roles it reaches without an aggregation rule of their own, with their rules as written
    const sources = new Map<string, LiveRule[]>();
    const visit = (r: (typeof data)[number], seen: Set<string>) => {
      if (seen.has(r.name)) return;
      seen.add(r.name);
      if (!r.aggregationRule) {
        sources.set(r.name, r.live);
        return;
      }
      for (const other of data)
        if (
          other.name !== r.name &&
          r.aggregationRule.clusterRoleSelectors.some((s) => selects(s.matchLabels, other.labels))
        )
          visit(other, seen);
    };
    visit(role, new Set());
    const own = bootstrap.get(name);
    for (const [source, rules] of sources)
      for (const rule of rules) {
        if (rule.nonResourceURLs?.length) {
          const k = `${source}|url|${rule.nonResourceURLs.join(",")}`;
          const f = findings.get(k);
          if (f) f.roles.push(name);
          else
            findings.set(k, {
              roles: [name],
              source,
              apiGroup: "",
              resource: rule.nonResourceURLs.join(", "),
              verbs: rule.verbs,
              why: "non-resource URLs",
            });
        }
        for (const group of rule.apiGroups ?? [])
          for (const resource of rule.resources ?? []) {
            const why = beyond(group, resource, rule.verbs, scope, own?.get(key(group, resource)));
            const k = `${source}|${group}|${resource}|${why ?? ""}|${rule.verbs.join(",")}`;
            if (why) {
              const f = findings.get(k);
              if (f) f.roles.push(name);
              else
                findings.set(k, {
                  roles: [name],
                  source,
                  apiGroup: group,
                  resource,
                  verbs: rule.verbs,
                  ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}),
                  why,
                });
              continue;
            }
            const known = own?.get(key(group, resource));
            if (known && rule.verbs.every((v) => known.has(v))) continue;
            const e = extras.get(k);
            if (e) e.roles.push(name);
            else extras.set(k, { roles: [name], source, apiGroup: group, resource, verbs: rule.verbs });
          }
      }
  }
  return { roles: present, findings: [...findings.values()], extras: [...extras.values()] };
}

/** The cluster's answer to which resources are cluster-scoped, by discovery; Kubernetes' own list where it is silent. */
async function discoverScope(kc: KubeConfig, groups: Set<string>): Promise<ScopeOf> {
  const known = new Map<string, boolean>();
  const record = (group: string, list: { name: string; namespaced: boolean }[]) => {
    for (const r of list) if (!r.name.includes("/")) known.set(key(group, r.name), !r.namespaced);
  };
  try {
    if (groups.has("")) record("", (await kc.makeApiClient(CoreV1Api).getAPIResources()).resources);
    const all = (await kc.makeApiClient(ApisApi).getAPIVersions()).groups;
    const custom = kc.makeApiClient(CustomObjectsApi);
    for (const g of all) {
      if (!groups.has(g.name)) continue;
      const version = g.preferredVersion?.version ?? g.versions[0]?.version;
      if (!version) continue;
      record(g.name, (await custom.getAPIResources({ group: g.name, version })).resources);
    }
  } catch (e) {
    throw new ExternalError(`cannot read the cluster's API discovery: ${kubeError(e)}`);
  }
  return (group, resource) =>
    known.get(key(group, resource)) ?? CLUSTER_SCOPED_RESOURCES.has(key(group, resource));
}

/** Reads every ClusterRole of the cluster (paged) and compares the checked roles with the bound. */
export async function checkRoles(kc: KubeConfig, target: string): Promise<RolesReport> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const roles: V1ClusterRole[] = [];
  let next: string | undefined;
  try {
    do {
      const page = await rbac.listClusterRole({ limit: 500, ...(next ? { _continue: next } : {}) });
      roles.push(...page.items);
      next = page.metadata?._continue || undefined;
    } while (next);
  } catch (e) {
    throw new ExternalError(`${target}: cannot list ClusterRoles: ${kubeError(e)}`);
  }
  const groups = new Set(roles.flatMap((r) => (r.rules ?? []).flatMap((x) => x.apiGroups ?? [])));
  const scope = await discoverScope(kc, groups);
  return { target, ...compareRoles(roles, scope) };
}

/** The report as text: per target, each finding on a line, then the extras, then a summary. */
export function rolesText(reports: readonly RolesReport[]): string {
  const out: string[] = [];
  const grant = (x: { apiGroup: string; resource: string; verbs: string[] }) =>
    `${x.apiGroup === "" ? "" : `${x.apiGroup}/`}${x.resource} [${x.verbs.join(", ")}]`;
  for (const r of reports) {
    const missing = r.roles.filter((x) => !x.present).map((x) => x.name);
    out.push(`${r.target}:`);
    if (missing.length) out.push(`  not in the cluster: ${missing.join(", ")}`);
    for (const f of r.findings)
      out.push(`  beyond: ${grant(f)} from ${f.source} (in ${f.roles.join(", ")}): ${f.why}`);
    for (const e of r.extras)
      out.push(`  beyond Kubernetes' own: ${grant(e)} from ${e.source} (in ${e.roles.join(", ")})`);
    out.push(
      r.findings.length === 0
        ? "  every grant is within what a namespace owner may hold"
        : `  ${r.findings.length} grant${r.findings.length === 1 ? "" : "s"} beyond what a namespace owner may hold: remove them from the ClusterRoles named (an upgraded cluster keeps what its first version granted)`,
    );
  }
  return out.join("\n") + "\n";
}
