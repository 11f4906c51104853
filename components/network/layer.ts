/**
 * The network concern's part of the platform layer: with `network.adminNetworkPolicy.enabled`, per tenant and
 * cluster its namespaces are on, a `TenantAdminNetworkPolicy` holding the tenant's AdminNetworkPolicy
 * (components/network/admin-policy.ts), left under its handle for the namespaces, which wait for it.
 *
 * Protection (ARCHITECTURE.md, "Safety"): it fences the tenant's namespaces in, so it is protected like their
 * fences, while one of the tenant's namespaces on that cluster is (none offboarding), unless the environment
 * releases it (`release`, to switch it off). Offboarding tenants keep it: a namespace depends on it, so a removal
 * deletes it after the namespaces it fences (the engine deletes dependents first), and the last pods of an
 * offboarded tenant stay denied until their namespace is gone; and a new namespace is made once it exists.
 */
import type { Contribution } from "../../layers/stack";
import { onCluster } from "../clusters/placement";
import { adminNetworkPolicy } from "./admin-policy";

export const TENANT_ADMIN_NETWORK_POLICY = "tenancy:k8s:TenantAdminNetworkPolicy";

/** The key a tenant's AdminNetworkPolicy on a cluster is left under: what its namespaces there depend on. */
export const adminPolicyHandle = (cluster: string, tenant: string): string => `${cluster}#anp/${tenant}`;

export const tenantAdminNetworkPolicies: Contribution = ({ input, specs, providers, handles }) => {
  const env = input.model.environment;
  const settings = env.network.adminNetworkPolicy;
  if (!settings.enabled) return;
  for (const tenant of input.tenants) {
    // the clusters its namespaces are on, in the environment's order (tenant.clusters holds them all)
    const on = tenant.clusters.filter((c) => tenant.namespaces.some((ns) => ns.clusters.includes(c)));
    for (const c of on) {
      const provider = providers.kubernetes(c);
      const name = onCluster(env.clusters, c, tenant.id);
      const component = specs.component(
        TENANT_ADMIN_NETWORK_POLICY,
        name,
        { providers: [provider] },
        { tenant: tenant.id },
      );
      const fencing = tenant.namespaces.some(
        (ns) => ns.clusters.includes(c) && !tenant.offboarding && !ns.offboarding,
      );
      const policy = specs.kubernetes(
        `${name}-admin-network-policy`,
        adminNetworkPolicy(tenant.id, env.network, settings.priority),
        { parent: component, provider },
        // cluster-scoped and named after the tenant: a name change is a replace, delete first
        { protect: fencing && !settings.release, deleteBeforeReplace: true },
      );
      handles.set(adminPolicyHandle(c, tenant.id), policy);
    }
  }
};
