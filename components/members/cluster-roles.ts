import {
  MANAGER_RULES,
  type NamespaceRole,
  aggregateLabel,
  extraRulesLabels,
  namespaceRoleAggregation,
} from "./aggregation";
import { MANAGED_BY } from "../core/labels";
import { bundleRoleName } from "../clusters/placement";
import {
  CLUSTER_READER_RULES,
  CLUSTER_ROLE_FOR,
  NAMESPACE_ROLE_FOR,
  POWER_USER_RULES,
  type RbacRule,
} from "./rbac";
import { type ResourceSpec, type Specs } from "../core/spec";

export interface SharedClusterRolesArgs {
  /** The environment's extra rules per namespace role (`rbac.extraRules`). @default - none */
  extraRules?: Partial<Record<NamespaceRole, RbacRule[]>>;
  /** The environment's role bundles, each a ClusterRole that tenants' grants bind. @default - none */
  bundles?: Record<string, RbacRule[]>;
}

/**
 * The shared ClusterRoles: created once per cluster, never per tenant. The cluster reader and the power user
 * list their rules; the namespace roles aggregate (components/members/aggregation.ts), and the environment's extra rules
 * join them through tenancy's own aggregation labels.
 */
export function sharedClusterRoles(
  specs: Specs,
  name: string,
  args: SharedClusterRolesArgs,
  provider: ResourceSpec,
): ResourceSpec {
  const component = specs.component("tenancy:k8s:SharedClusterRoles", name, { providers: [provider] });
  const role = (roleName: string, body: Record<string, unknown>, labels: Record<string, string> = {}) => {
    // named `${name}-${roleName}` before the child-name rule (ARCHITECTURE.md, "Names")
    specs.kubernetes(
      `${name}-clusterrole/${roleName}`,
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: roleName, labels: { ...MANAGED_BY, ...labels } },
        ...body,
      },
      { parent: component, provider },
      { deleteBeforeReplace: true, aliases: [`${name}-${roleName}`] },
    );
  };
  role(CLUSTER_ROLE_FOR["namespace-owner"], { rules: CLUSTER_READER_RULES });
  role(CLUSTER_ROLE_FOR["power-user"], { rules: POWER_USER_RULES });
  for (const ns of ["owner", "manager", "developer", "viewer"] as const) {
    // the rules are the aggregation controller's to fill in
    role(NAMESPACE_ROLE_FOR[ns], { aggregationRule: namespaceRoleAggregation(ns) });
    const extra = args.extraRules?.[ns] ?? [];
    if (extra.length > 0) role(`${NAMESPACE_ROLE_FOR[ns]}-extra`, { rules: extra }, extraRulesLabels(ns));
  }
  // what a manager holds besides edit: RoleBinding writes, through its own aggregation label
  role(`${NAMESPACE_ROLE_FOR.manager}-rolebindings`, { rules: MANAGER_RULES }, aggregateLabel("manager"));
  for (const [bundle, rules] of Object.entries(args.bundles ?? {})) role(bundleRoleName(bundle), { rules });
  return component;
}
