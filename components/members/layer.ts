/** The members concern's parts of the platform layer: the shared ClusterRoles, and each tenant's bindings. */
import type { Contribution } from "../../layers/stack";
import { names } from "../../policy/names";
import {
  clusterPrefix,
  namespaceObjects,
  namespacesReady,
  namespacesOn,
  onCluster,
} from "../clusters/placement";
import { tenantAccess as tenantAccessSpecs } from "./access";
import { sharedClusterRoles } from "./cluster-roles";
import { activeMembers, activeNamespaces, tenantSubject } from "./rbac";
import { serviceAccountReach, tenantServiceAccounts as tenantServiceAccountsSpecs } from "./service-accounts";

/** Per cluster, once (the layer's shared part): the namespace roles, the cluster roles, the role bundles. */
export const sharedRoles: Contribution = ({ input, specs, providers }) => {
  if (!(input.part?.shared ?? true)) return;
  const env = input.model.environment;
  const bundles = Object.fromEntries(Object.entries(env.roleBundles).map(([b, { rules }]) => [b, rules]));
  for (const c of env.clusters)
    sharedClusterRoles(
      specs,
      onCluster(env.clusters, c.name, "shared"),
      { extraRules: env.rbac.extraRules, bundles },
      providers.kubernetes(c.name),
    );
};

/**
 * Per active tenant and cluster of its placement: its owner bindings in its active namespaces there, its
 * members' bindings, its cluster-level binding, waiting for its namespaces. An offboarding tenant gets none.
 */
export const tenantAccess: Contribution = ({ input, specs, providers, handles }) => {
  const { model } = input;
  const env = model.environment;
  const n = names(env);
  const byId = new Map(model.tenants.map((t) => [t.id, t]));
  for (const tenant of input.tenants) {
    if (tenant.offboarding) continue;
    const active = activeNamespaces(tenant);
    const members = activeMembers(env, byId, tenant);
    for (const c of tenant.clusters) {
      const activeHere = namespacesOn(tenant, c, active);
      tenantAccessSpecs(
        specs,
        onCluster(env.clusters, c, tenant.id),
        {
          tenant: tenant.id,
          subject: tenantSubject(env, tenant),
          bindingNames: {
            owner: Object.fromEntries(activeHere.map((ns) => [ns, n.ownerBinding(tenant.id, ns)])),
            member: (ns: string, member: string) => n.memberBinding(tenant.id, ns, member),
            cluster: n.clusterBinding(tenant.id, tenant.role),
          },
          role: tenant.role,
          clusterReader: tenant.clusterReader,
          namespaces: activeHere,
          members: members
            .map((m) => ({ ...m, namespaces: namespacesOn(tenant, c, m.namespaces) }))
            .filter((m) => m.namespaces.length > 0),
          childPrefix: clusterPrefix(env.clusters, c),
          namespaceObjects: namespaceObjects(
            handles,
            c,
            namespacesOn(
              tenant,
              c,
              tenant.namespaces.map((ns) => ns.name),
            ),
          ),
        },
        providers.kubernetes(c),
        namespacesReady(handles, c, activeHere),
      );
    }
  }
};

/**
 * Per active tenant with automation identities, per cluster where one exists: the ServiceAccounts and their
 * bindings (components/members/service-accounts.ts), waiting for the namespaces they are in. Where an identity's
 * own namespace is offboarding, or its tenant is, it is not made: the platform deletes it, and its tokens stop.
 */
export const tenantServiceAccounts: Contribution = ({ input, specs, providers, handles }) => {
  const env = input.model.environment;
  for (const tenant of input.tenants) {
    if (tenant.offboarding || !tenant.serviceAccounts) continue;
    const active = activeNamespaces(tenant);
    const reach = tenant.serviceAccounts.map((sa) => ({ sa, on: serviceAccountReach(tenant, sa, active) }));
    for (const c of tenant.clusters) {
      const accounts = reach.flatMap(({ sa, on }) =>
        on
          .filter((r) => r.cluster === c)
          .map((r) => ({ name: sa.name, namespace: sa.namespace, role: sa.role, reach: r })),
      );
      if (accounts.length === 0) continue;
      const used = [...new Set(accounts.flatMap((a) => [a.namespace, ...a.reach.namespaces]))];
      tenantServiceAccountsSpecs(
        specs,
        onCluster(env.clusters, c, tenant.id),
        {
          tenant: tenant.id,
          accounts,
          childPrefix: clusterPrefix(env.clusters, c),
          namespaceObjects: namespaceObjects(handles, c, used),
        },
        providers.kubernetes(c),
        namespacesReady(handles, c, used),
      );
    }
  }
};
