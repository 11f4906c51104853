/**
 * The shared objects concern's part of the vault layer (docs/shared-objects.md): per active tenant and cluster a
 * `TenantSharedObjects` component holding, in each of its active namespaces there, every object the environment,
 * its tier, its organisation's ancestors and the tenant itself declare. In the vault layer because a Secret's data
 * is read from Vault KV through the Vault provider and written through a cluster's Kubernetes provider: that
 * stack already holds both credentials, while the platform stack holds no Vault token (ARCHITECTURE.md,
 * "Stacks"). Each object waits for its namespace in the platform stack, as a deployer Role does.
 */
import type { Contribution } from "../../layers/stack";
import { onCluster } from "../clusters/placement";
import { sharedNamespaces, sharedObjectsOf } from "./rules";
import { TENANT_SHARED_OBJECTS, sharedManifest, sharedRole } from "./specs";

export const tenantSharedObjects: Contribution = ({ input, specs, providers, upstream }) => {
  const { model, tenants } = input;
  const env = model.environment;
  const platform = upstream("platform");
  for (const tenant of tenants) {
    const placed = sharedObjectsOf(model, tenant);
    const namespaces = sharedNamespaces(tenant);
    if (placed.length === 0 || namespaces.length === 0) continue;
    const vault = placed.some((d) => d.object.kind === "Secret")
      ? { provider: providers.vault().key, mount: env.vault.kvMount }
      : undefined;
    for (const c of tenant.clusters) {
      const here = namespaces.filter((n) => n.clusters.includes(c));
      if (here.length === 0) continue;
      const provider = providers.kubernetes(c);
      const component = specs.component(
        TENANT_SHARED_OBJECTS,
        onCluster(env.clusters, c, `${tenant.id}-shared`),
        { providers: [provider] },
        { tenant: tenant.id },
      );
      for (const ns of here) {
        // an input that fails in an update while the namespace is not in the platform stack: only its objects wait
        const namespace = platform.require(
          "tenants",
          `namespace ${ns.name} of tenant ${tenant.id}`,
          [{ path: [tenant.id, "namespaces"], includes: ns.name }],
          ns.name,
        );
        for (const { object } of placed)
          specs.kubernetes(
            onCluster(env.clusters, c, `${ns.name}-${sharedRole(object)}/${object.name}`),
            sharedManifest(object, tenant.id, namespace, vault),
            { parent: component, provider },
          );
      }
    }
  }
};
