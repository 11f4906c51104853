/**
 * The isolation sets (ARCHITECTURE.md, "Isolation"): what no tenant principal is ever granted, and the
 * namespaces no tenant may claim. Plain data; the registry's schema and validation, and the tests, read them.
 */
import type { EnvironmentModel } from "../registry/model";
import { oncePer } from "../components/core/memo";

export {
  FORBIDDEN_VERBS,
  PROTECTED_RESOURCES,
  WRITE_VERBS,
  isProtected,
  ruleViolations,
} from "../components/core/rbac";

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
