/**
 * Layer "platform": per tenant its namespaces (quota, limits, network isolation, Pod Security) and its
 * Kubernetes access; the shared cluster roles once. Exports each tenant's namespaces for downstream layers.
 */
import { SharedClusterRoles } from "../components/cluster-roles";
import { TenantAccess } from "../components/tenant-access";
import { TenantNamespace } from "../components/tenant-namespace";
import { activeMembers, tenantSubject } from "../policy/rbac";
import type { LayerInput } from "./layer";
import { Providers } from "./providers";

export async function platformProgram({ model, tenants }: LayerInput): Promise<Record<string, unknown>> {
  const env = model.environment;
  const provider = new Providers(env).kubernetes();
  new SharedClusterRoles("shared", { provider });
  const byId = new Map(model.tenants.map((t) => [t.id, t]));
  const exported: Record<string, { namespaces: string[]; offboarding: boolean }> = {};
  for (const tenant of tenants) {
    for (const ns of tenant.namespaces) {
      new TenantNamespace(
        ns.name,
        {
          tenant: tenant.id,
          namespace: ns.name,
          podSecurity: tenant.podSecurity,
          quota: ns.quota,
          limits: ns.limits,
          network: env.network,
          protect: !tenant.offboarding,
        },
        { provider },
      );
    }
    if (!tenant.offboarding) {
      new TenantAccess(
        tenant.id,
        {
          tenant: tenant.id,
          subject: tenantSubject(env, tenant),
          role: tenant.role,
          namespaces: tenant.namespaces.map((n) => n.name),
          members: activeMembers(env, byId, tenant),
        },
        { provider },
      );
    }
    exported[tenant.id] = {
      namespaces: tenant.namespaces.map((n) => n.name),
      offboarding: tenant.offboarding,
    };
  }
  return { tenants: exported };
}
