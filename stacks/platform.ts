/**
 * Layer "platform": per tenant its namespaces (quota, limits, network isolation, Pod Security) and its
 * Kubernetes access; the shared cluster roles once. Exports each tenant's namespaces for downstream layers.
 */
import * as k8s from "@pulumi/kubernetes";
import { SharedClusterRoles } from "../components/cluster-roles";
import { type MemberGrant, type Subject, TenantAccess } from "../components/tenant-access";
import { TenantNamespace } from "../components/tenant-namespace";
import type { EnvironmentModel, TenantModel } from "../registry/model";
import type { LayerInput } from "./layer";

/**
 * The RBAC subject of a tenant, as the API server's OIDC mapping names it: the email behind the API server's
 * username prefix, or the tenant's IdP group (`rbac.groupPrefix` + id) behind its groups prefix.
 */
export function tenantSubject(env: EnvironmentModel, tenant: Pick<TenantModel, "id" | "email">): Subject {
  return env.rbac.subject === "group"
    ? { kind: "Group", name: `${env.oidc.groupsPrefix}${env.rbac.groupPrefix}${tenant.id}` }
    : { kind: "User", name: `${env.oidc.usernamePrefix}${tenant.email}` };
}

/**
 * Members of a tenant that keep access: offboarding members lose it in the same run.
 * `byId` is the registry's tenants by id, built once per program (not once per tenant).
 */
export function activeMembers(
  env: EnvironmentModel,
  byId: ReadonlyMap<string, TenantModel>,
  tenant: TenantModel,
): MemberGrant[] {
  return tenant.members.flatMap((m) => {
    const member = byId.get(m.tenant);
    if (!member || member.offboarding) return [];
    return [
      {
        tenant: m.tenant,
        role: m.role,
        namespaces: m.namespaces,
        subject: tenantSubject(env, member),
      },
    ];
  });
}

/** The Kubernetes provider for the environment's cluster. */
export function clusterProvider(env: EnvironmentModel): k8s.Provider {
  const cluster = env.clusters[0]!;
  return new k8s.Provider(`cluster-${cluster.name}`, {
    context: cluster.context,
    ...(cluster.kubeconfig ? { kubeconfig: cluster.kubeconfig } : {}),
    enableServerSideApply: true,
  });
}

export async function platformProgram({ model, tenants }: LayerInput): Promise<Record<string, unknown>> {
  const env = model.environment;
  const provider = clusterProvider(env);
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
