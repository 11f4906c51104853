import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { tenantLabels } from "../policy/labels";
import { bundleRoleName, grantBindingName } from "../policy/placement";
import { type Subject, rbacSubject } from "../policy/rbac";
import { TenantComponent, childOptions } from "./tenant-component";

/** One bundle granted on this component's cluster: in these namespaces, or cluster-wide. */
export interface BundleBinding {
  bundle: string;
  scope: "namespace" | "cluster";
  /** scope namespace: the namespaces it is bound in (on this cluster). */
  namespaces: string[];
}

export interface TenantGrantsArgs {
  tenant: string;
  subject: Subject;
  grants: BundleBinding[];
}

/**
 * A tenant's role bundle grants on one cluster (ARCHITECTURE.md, "Clusters"): a RoleBinding of the bundle's
 * ClusterRole in each granted namespace, or one ClusterRoleBinding. The bundles' ClusterRoles are shared
 * (SharedClusterRoles), on every cluster.
 */
export class TenantGrants extends TenantComponent {
  constructor(name: string, args: TenantGrantsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:k8s:TenantGrants", name, args.tenant, opts);
    const labels = tenantLabels(args.tenant);
    const roleRef = (bundle: string) => ({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: bundleRoleName(bundle),
    });
    const subjects = [rbacSubject(args.subject)];
    for (const g of args.grants) {
      const bindingName = grantBindingName(args.tenant, g.bundle, g.scope);
      if (g.scope === "cluster") {
        new k8s.rbac.v1.ClusterRoleBinding(
          `${name}-grant/${g.bundle}`,
          { metadata: { name: bindingName, labels }, roleRef: roleRef(g.bundle), subjects },
          childOptions(this, opts, { deleteBeforeReplace: true }),
        );
        continue;
      }
      for (const ns of g.namespaces)
        new k8s.rbac.v1.RoleBinding(
          `${name}-grant/${g.bundle}/${ns}`,
          { metadata: { name: bindingName, namespace: ns, labels }, roleRef: roleRef(g.bundle), subjects },
          childOptions(this, opts, { deleteBeforeReplace: true }),
        );
    }
    this.registerTenantOutputs();
  }
}
