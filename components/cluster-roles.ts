import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_BY } from "../policy/labels";
import {
  CLUSTER_READER_RULES,
  CLUSTER_ROLE_FOR,
  NAMESPACE_DEVELOPER_RULES,
  NAMESPACE_OWNER_RULES,
  NAMESPACE_ROLE_FOR,
  POWER_USER_RULES,
  type RbacRule,
} from "../policy/rbac";

/** The shared ClusterRoles: created once per cluster, never per tenant. */
export class SharedClusterRoles extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:k8s:SharedClusterRoles", name, {}, opts);
    const roles: [string, RbacRule[]][] = [
      [CLUSTER_ROLE_FOR["namespace-owner"], CLUSTER_READER_RULES],
      [CLUSTER_ROLE_FOR["power-user"], POWER_USER_RULES],
      [NAMESPACE_ROLE_FOR.owner, NAMESPACE_OWNER_RULES],
      [NAMESPACE_ROLE_FOR.developer, NAMESPACE_DEVELOPER_RULES],
    ];
    for (const [roleName, rules] of roles) {
      new k8s.rbac.v1.ClusterRole(
        `${name}-clusterrole/${roleName}`,
        { metadata: { name: roleName, labels: { ...MANAGED_BY } }, rules },
        // named `${name}-${roleName}` before the child-name rule (ARCHITECTURE.md, "Names")
        { parent: this, deleteBeforeReplace: true, aliases: [{ name: `${name}-${roleName}` }] },
      );
    }
    this.registerOutputs({});
  }
}
