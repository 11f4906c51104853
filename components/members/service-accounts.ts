/**
 * A tenant's automation identities (docs/automation-identities.md; ARCHITECTURE.md, "Roles"): ServiceAccounts the
 * platform makes in one of the tenant's namespaces and binds, where they exist, to a namespace role in the tenant's
 * namespaces and to the tenant's role bundles. What each reaches is computed once here (`serviceAccountReach`), as
 * plain data, for validation and for the specs alike.
 */
import { tenantLabels } from "../core/labels";
import { type Dependency, type ResourceSpec, type Specs } from "../core/spec";
import type { GrantModel, MemberRole, ServiceAccountModel } from "../../registry/model";
import { bundleRoleName } from "../clusters/placement";
import { NAMESPACE_ROLE_FOR } from "./rbac";

/** What one ServiceAccount is bound to on one cluster where it exists. */
export interface ServiceAccountReach {
  cluster: string;
  /** The tenant's namespaces there it holds its role in. */
  namespaces: string[];
  /** Its bundles there: a cluster-scoped grant, or the namespaces of a namespace-scoped one. */
  bundles: { bundle: string; scope: "namespace" | "cluster"; namespaces: string[] }[];
}

/**
 * Where a ServiceAccount exists and what it is bound to there: the clusters of its own namespace (a token is valid
 * on its own cluster only: nothing is bound anywhere else); on each, its `namespaces` among `active` that exist
 * there, and each of its bundles the tenant is granted there (a namespace-scoped one in those of its namespaces
 * the grant names). Nothing where its own namespace is not active.
 */
export function serviceAccountReach(
  tenant: {
    namespaces: readonly { name: string; clusters: readonly string[] }[];
    grants: readonly GrantModel[];
  },
  sa: Pick<ServiceAccountModel, "namespace" | "namespaces" | "bundles">,
  active: readonly string[],
): ServiceAccountReach[] {
  if (!active.includes(sa.namespace)) return [];
  const clustersOf = new Map(tenant.namespaces.map((n) => [n.name, n.clusters]));
  return (clustersOf.get(sa.namespace) ?? []).map((cluster) => {
    const namespaces = sa.namespaces.filter(
      (ns) => active.includes(ns) && (clustersOf.get(ns) ?? []).includes(cluster),
    );
    const bundles = sa.bundles.flatMap((bundle): ServiceAccountReach["bundles"] => {
      const grant = tenant.grants.find((g) => g.bundle === bundle && g.clusters.includes(cluster));
      if (!grant) return [];
      if (grant.scope === "cluster") return [{ bundle, scope: "cluster", namespaces: [] }];
      const within = namespaces.filter((ns) => grant.namespaces.includes(ns));
      return within.length > 0 ? [{ bundle, scope: "namespace", namespaces: within }] : [];
    });
    return { cluster, namespaces, bundles };
  });
}

/** The RoleBinding of a ServiceAccount to its namespace role: dots separate labels, so no two share a name. */
export const serviceAccountBindingName = (sa: { namespace: string; name: string }): string =>
  `tenancy-sa.${sa.namespace}.${sa.name}`;
/** The binding of a ServiceAccount to a bundle: a RoleBinding in each namespace, or a ClusterRoleBinding. */
export const serviceAccountGrantName = (sa: { namespace: string; name: string }, bundle: string): string =>
  `tenancy-sa-grant.${bundle}.${sa.namespace}.${sa.name}`;

export interface TenantServiceAccountsArgs {
  tenant: string;
  /** The cluster's ServiceAccounts, each with what it is bound to there. */
  accounts: { name: string; namespace: string; role: MemberRole; reach: ServiceAccountReach }[];
  /** Put before the names keyed by namespace: a cluster's prefix (components/clusters/placement.ts `clusterPrefix`). */
  childPrefix: string;
  /** The Namespace objects by name: everything in a namespace is deleted with it (ARCHITECTURE.md, "Safety"). */
  namespaceObjects: Readonly<Record<string, ResourceSpec>>;
}

/**
 * A tenant's automation identities on one cluster: per ServiceAccount the object itself (the platform's labels, so
 * tenants cannot delete, relabel or recreate it: the platformObjects admission policy; no automounted token), a
 * RoleBinding to its namespace role in each of its namespaces there, and its bundles' bindings. Everything in a
 * namespace is keyed by that namespace (`<ns>-serviceaccount/<name>`, `<ns>-sa-binding/<sa ns>/<name>`,
 * `<ns>-sa-grant/<bundle>/<sa ns>/<name>`) and deleted with it.
 */
export function tenantServiceAccounts(
  specs: Specs,
  name: string,
  args: TenantServiceAccountsArgs,
  provider: ResourceSpec,
  dependsOn: Dependency[],
): ResourceSpec {
  const component = specs.component(
    "tenancy:k8s:TenantServiceAccounts",
    name,
    { providers: [provider], dependsOn },
    { tenant: args.tenant },
  );
  const within = { parent: component, provider, dependsOn };
  const labels = tenantLabels(args.tenant);
  const prefix = args.childPrefix;
  const inNamespace = (ns: string) => ({ deletedWith: args.namespaceObjects[ns]! });
  const roleRef = (role: string) => ({
    apiGroup: "rbac.authorization.k8s.io",
    kind: "ClusterRole",
    name: role,
  });
  for (const sa of args.accounts) {
    const subjects = [{ kind: "ServiceAccount", name: sa.name, namespace: sa.namespace }];
    const key = `${sa.namespace}/${sa.name}`;
    specs.kubernetes(
      `${prefix}${sa.namespace}-serviceaccount/${sa.name}`,
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: sa.name, namespace: sa.namespace, labels },
        // its credentials are TokenRequests (docs/automation-identities.md); pods opt in explicitly
        automountServiceAccountToken: false,
      },
      within,
      { deleteBeforeReplace: true, ...inNamespace(sa.namespace) },
    );
    for (const ns of sa.reach.namespaces)
      specs.kubernetes(
        `${prefix}${ns}-sa-binding/${key}`,
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: serviceAccountBindingName(sa), namespace: ns, labels },
          roleRef: roleRef(NAMESPACE_ROLE_FOR[sa.role]),
          subjects,
        },
        within,
        { deleteBeforeReplace: true, ...inNamespace(ns) },
      );
    for (const b of sa.reach.bundles) {
      const bindingName = serviceAccountGrantName(sa, b.bundle);
      if (b.scope === "cluster") {
        specs.kubernetes(
          `${name}-sa-grant/${b.bundle}/${key}`,
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: bindingName, labels },
            roleRef: roleRef(bundleRoleName(b.bundle)),
            subjects,
          },
          within,
          { deleteBeforeReplace: true },
        );
        continue;
      }
      for (const ns of b.namespaces)
        specs.kubernetes(
          `${prefix}${ns}-sa-grant/${b.bundle}/${key}`,
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: bindingName, namespace: ns, labels },
            roleRef: roleRef(bundleRoleName(b.bundle)),
            subjects,
          },
          within,
          { deleteBeforeReplace: true, ...inNamespace(ns) },
        );
    }
  }
  return component;
}
