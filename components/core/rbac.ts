/**
 * RBAC rules as data, and the isolation rules every rule a tenant can reach is checked against
 * (ARCHITECTURE.md, "Isolation"): below the registry's schema and every concern, so that the schema can check
 * the environment's rules without importing the concerns that build on the schema.
 */

/** One RBAC policy rule, as Kubernetes writes it. */
export type RbacRule = {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
};

/** Verbs never granted to a tenant principal. */
export const FORBIDDEN_VERBS: ReadonlySet<string> = new Set(["*", "escalate", "bind", "impersonate"]);
export const WRITE_VERBS: ReadonlySet<string> = new Set([
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
]);
/**
 * What the isolation rules never let a tenant principal write: its fences (namespaces, quotas, limits), the
 * endpoints a Service routes to (CVE-2021-25740), a Service's status, and cluster-wide RBAC. A subresource counts
 * as its resource (`namespaces/finalize`), except where the subresource alone is listed (`services/status`).
 * Roles, RoleBindings and NetworkPolicies are the owner's to write: Kubernetes' escalation check bounds the
 * first two, and the admission policies protect the platform's own (ARCHITECTURE.md, "Roles").
 */
export const PROTECTED_RESOURCES: ReadonlySet<string> = new Set([
  "*",
  "namespaces",
  "resourcequotas",
  "limitranges",
  "endpoints",
  "endpointslices",
  "services/status",
  "clusterroles",
  "clusterrolebindings",
]);

/** Whether a resource (`pods`, `namespaces/finalize`) is one PROTECTED_RESOURCES forbids writing. */
export function isProtected(resource: string): boolean {
  return PROTECTED_RESOURCES.has(resource) || PROTECTED_RESOURCES.has(resource.split("/")[0]!);
}

/**
 * Where a list of rules crosses the isolation rules: `[rule index, field, offending value]` for each forbidden
 * verb, and for each protected resource the rule writes.
 */
export function ruleViolations(rules: readonly RbacRule[]): [number, "verbs" | "resources", string][] {
  const out: [number, "verbs" | "resources", string][] = [];
  rules.forEach((r, i) => {
    for (const v of r.verbs) if (FORBIDDEN_VERBS.has(v)) out.push([i, "verbs", v]);
    if (!r.verbs.some((v) => WRITE_VERBS.has(v))) return;
    for (const res of r.resources) if (isProtected(res)) out.push([i, "resources", res]);
  });
  return out;
}

/** What a deploy pipeline needs in its namespace by default: roll out new images and watch the result. */
export const DEFAULT_DEPLOYER_RULES: RbacRule[] = [
  {
    apiGroups: ["apps"],
    resources: ["deployments", "statefulsets"],
    verbs: ["get", "list", "watch", "patch", "update"],
  },
  { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
  {
    apiGroups: [""],
    resources: ["pods", "pods/log", "services", "configmaps"],
    verbs: ["get", "list", "watch"],
  },
];
