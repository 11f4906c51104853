/** The clusters concern's parts of the platform layer: every cluster's provider, and tenants' role bundles. */
import type { Contribution } from "../../layers/stack";
import { activeNamespaces, tenantSubject } from "../members/rbac";
import { tenantGrants as tenantGrantsSpecs } from "./grants";
import { namespaceObjects, namespacesReady, namespacesOn, onCluster } from "./placement";

/** Every cluster's Kubernetes provider, whichever tenants the stack holds (ARCHITECTURE.md, "Clusters"). */
export const clusterProviders: Contribution = ({ input, providers }) => {
  for (const c of input.model.environment.clusters) providers.kubernetes(c.name);
};

/** Per active tenant and cluster, the bindings of its role bundles there, waiting for its namespaces. */
export const tenantGrants: Contribution = ({ input, specs, providers, handles }) => {
  const env = input.model.environment;
  for (const tenant of input.tenants) {
    if (tenant.offboarding) continue;
    const active = activeNamespaces(tenant);
    for (const c of tenant.clusters) {
      const activeHere = namespacesOn(tenant, c, active);
      const grants = tenant.grants
        .filter((g) => g.clusters.includes(c))
        .map((g) => ({
          ...g,
          namespaces: namespacesOn(
            tenant,
            c,
            g.namespaces.filter((ns) => active.includes(ns)),
          ),
        }))
        .filter((g) => g.scope === "cluster" || g.namespaces.length > 0);
      if (grants.length === 0) continue;
      tenantGrantsSpecs(
        specs,
        onCluster(env.clusters, c, tenant.id),
        {
          tenant: tenant.id,
          subject: tenantSubject(env, tenant),
          grants,
          namespaceObjects: namespaceObjects(handles, c, activeHere),
        },
        providers.kubernetes(c),
        namespacesReady(handles, c, activeHere),
      );
    }
  }
};
