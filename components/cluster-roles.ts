import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type NamespaceRole, extraRulesLabels, namespaceRoleAggregation } from "../policy/aggregation";
import { MANAGED_BY } from "../policy/labels";
import { bundleRoleName } from "../policy/placement";
import {
  CLUSTER_READER_RULES,
  CLUSTER_ROLE_FOR,
  NAMESPACE_ROLE_FOR,
  POWER_USER_RULES,
  type RbacRule,
} from "../policy/rbac";

export interface SharedClusterRolesArgs {
  /** The environment's extra rules per namespace role (`rbac.extraRules`). @default - none */
  extraRules?: Partial<Record<NamespaceRole, RbacRule[]>>;
  /** The environment's role bundles, each a ClusterRole that tenants' grants bind. @default - none */
  bundles?: Record<string, RbacRule[]>;
}

/**
 * The shared ClusterRoles: created once per cluster, never per tenant. The cluster reader and the power user
 * list their rules; the namespace roles aggregate (policy/aggregation.ts), and the environment's extra rules
 * join them through tenancy's own aggregation labels.
 */
export class SharedClusterRoles extends pulumi.ComponentResource {
  constructor(name: string, args: SharedClusterRolesArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:k8s:SharedClusterRoles", name, {}, opts);
    const role = (roleName: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) =>
      new k8s.rbac.v1.ClusterRole(
        `${name}-clusterrole/${roleName}`,
        { metadata: { name: roleName, labels: { ...MANAGED_BY, ...labels } }, ...spec },
        // named `${name}-${roleName}` before the child-name rule (ARCHITECTURE.md, "Names")
        { parent: this, deleteBeforeReplace: true, aliases: [{ name: `${name}-${roleName}` }] },
      );
    role(CLUSTER_ROLE_FOR["namespace-owner"], { rules: CLUSTER_READER_RULES });
    role(CLUSTER_ROLE_FOR["power-user"], { rules: POWER_USER_RULES });
    for (const ns of ["owner", "developer", "viewer"] as const) {
      // the rules are the aggregation controller's to fill in
      role(NAMESPACE_ROLE_FOR[ns], { aggregationRule: namespaceRoleAggregation(ns) });
      const extra = args.extraRules?.[ns] ?? [];
      if (extra.length > 0) role(`${NAMESPACE_ROLE_FOR[ns]}-extra`, { rules: extra }, extraRulesLabels(ns));
    }
    for (const [bundle, rules] of Object.entries(args.bundles ?? {})) role(bundleRoleName(bundle), { rules });
    this.registerOutputs({});
  }
}
