/**
 * The isolation sets (ARCHITECTURE.md, "Isolation"): what no tenant principal is ever granted, and the
 * namespaces no tenant may claim. Plain data; the registry's schema and validation, and the tests, read them.
 */
import type { EnvironmentModel } from "../registry/model";
import type { RbacRule } from "./rbac";
import { oncePer } from "./memo";

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

/** Namespaces and prefixes no tenant may take, whatever the environment says. */
export const ALWAYS_RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
export const ALWAYS_RESERVED_PREFIXES = ["kube-"];

/** Every namespace name no tenant may claim in this environment: the system's, the configured, the platform's own. */
export const reservedNamespaces: (env: EnvironmentModel) => ReadonlySet<string> = oncePer(
  (env) =>
    new Set([
      ...ALWAYS_RESERVED_NAMESPACES,
      ...env.reserved.namespaces,
      env.network.dns.namespace,
      env.network.ingressController.namespace,
      ...[...env.network.extraIngress, ...env.network.extraEgress].flatMap((p) =>
        p.namespace ? [p.namespace] : [],
      ),
      ...(env.ci.shared ? [env.ci.shared.namespace] : []),
      ...(env.ci.admins.configMap ? [env.ci.admins.configMap.namespace] : []),
      // the shared namespaces of apps that run every user's instance in one place
      ...Object.entries(env.catalog).flatMap(([app, e]) =>
        e.placement === "shared" ? [e.namespace ?? app] : [],
      ),
    ]),
);

/** Every namespace prefix no tenant may use in this environment. */
export function reservedPrefixes(env: EnvironmentModel): string[] {
  return [...ALWAYS_RESERVED_PREFIXES, ...env.reserved.prefixes];
}
