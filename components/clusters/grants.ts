import { tenantLabels } from "../core/labels";
import { bundleRoleName, grantBindingName } from "./placement";
import { type Subject, rbacSubject } from "../members/rbac";
import { type Dependency, type ResourceSpec, type Specs } from "../core/spec";

/** A role bundle granted to a tenant: at cluster scope, or in some of its namespaces. */
export interface BundleBinding {
  bundle: string;
  scope: "namespace" | "cluster";
  /** The namespaces of a namespace-scoped grant (active, on this component's cluster). */
  namespaces: string[];
}

export interface TenantGrantsArgs {
  tenant: string;
  subject: Subject;
  grants: BundleBinding[];
  /**
   * The Namespace objects of the granted namespaces, by name: each RoleBinding is deleted with its namespace
   * (ARCHITECTURE.md, "Safety"). @default - none
   */
  namespaceObjects?: Readonly<Record<string, ResourceSpec>>;
}

/**
 * A tenant's role bundles (ARCHITECTURE.md, "Clusters"): per grant a binding of the tenant's subject to the
 * bundle's ClusterRole, a ClusterRoleBinding for a cluster-scoped grant, else a RoleBinding per namespace
 * (deleted with its namespace: `namespaceObjects`).
 */
export function tenantGrants(
  specs: Specs,
  name: string,
  args: TenantGrantsArgs,
  provider: ResourceSpec,
  dependsOn: Dependency[],
): ResourceSpec {
  const component = specs.component(
    "tenancy:k8s:TenantGrants",
    name,
    { providers: [provider], dependsOn },
    { tenant: args.tenant },
  );
  const within = { parent: component, provider, dependsOn };
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
      specs.kubernetes(
        `${name}-grant/${g.bundle}`,
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRoleBinding",
          metadata: { name: bindingName, labels },
          roleRef: roleRef(g.bundle),
          subjects,
        },
        within,
        { deleteBeforeReplace: true },
      );
      continue;
    }
    for (const ns of g.namespaces) {
      specs.kubernetes(
        `${name}-grant/${g.bundle}/${ns}`,
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: bindingName, namespace: ns, labels },
          roleRef: roleRef(g.bundle),
          subjects,
        },
        within,
        {
          deleteBeforeReplace: true,
          ...(args.namespaceObjects?.[ns] ? { deletedWith: args.namespaceObjects[ns] } : {}),
        },
      );
    }
  }
  return component;
}
