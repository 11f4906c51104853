/**
 * Layer "ci" (after vault): how pipelines obtain deployer credentials. Shared mode (one CI identity for
 * every tenant) and per-tenant mode (a JWT role per tenant) as the environment configures; and the CI
 * system's admin list.
 */
import * as k8s from "@pulumi/kubernetes";
import { SharedCiDeployer, TenantCiDeployer } from "../components/ci-deployer";
import { MANAGED_BY } from "../components/labels";
import type { RegistryModel } from "../registry/model";
import { type LayerInput, stackName, upstream } from "./layer";
import { clusterProvider } from "./platform";
import { vaultLayout } from "./vault";

/** Admin tenants (not offboarding) plus the environment's extra admins, comma-separated. */
export function ciAdmins(model: RegistryModel): string {
  const admins = model.tenants.filter((t) => t.role === "admin" && !t.offboarding).map((t) => t.id);
  return [...new Set([...admins, ...model.environment.ci.admins.extra])].join(",");
}

export async function ciProgram({ model, tenants }: LayerInput): Promise<Record<string, unknown>> {
  const env = model.environment;
  const layout = vaultLayout(env);
  const active = tenants.filter((t) => !t.offboarding);
  // fail early if the vault layer has not created a deployer the CI roles point at
  const vaultStack = stackName(env.name, "vault");
  const deployers = upstream(env.name, "vault")
    .getOutput("tenants")
    .apply((ts: Record<string, { deployerRoles: string[] }> | undefined) => {
      const missing = active.filter((t) => !ts?.[t.id]).map((t) => t.id);
      if (missing.length > 0)
        throw new Error(
          `tenants ${missing.join(", ")} are not in stack ${vaultStack}: run the vault layer first`,
        );
      return Object.keys(ts ?? {}).length;
    });
  if (env.ci.shared) {
    // "/" keeps the shared component's resource names apart from any tenant's
    new SharedCiDeployer("ci/shared", {
      ...env.ci.shared,
      layout,
      namespaces: active.flatMap((t) => t.namespaces.map((n) => n.name)),
    });
  }
  const perTenant = env.ci.perTenant;
  if (perTenant) {
    for (const t of active) {
      if (!t.ci) continue;
      new TenantCiDeployer(t.id, {
        tenant: t.id,
        authMount: perTenant.authMount,
        boundClaims: t.ci.boundClaims,
        ...(perTenant.audience ? { audience: perTenant.audience } : {}),
        userClaim: perTenant.userClaim,
        ttlSeconds: perTenant.ttlSeconds,
        layout,
        namespaces: t.ci.namespaces,
      });
    }
  }

  const admins = ciAdmins(model);
  const { configMap, envVar } = env.ci.admins;
  if (configMap) {
    new k8s.core.v1.ConfigMap(
      "ci-admins",
      {
        metadata: { name: configMap.name, namespace: configMap.namespace, labels: { ...MANAGED_BY } },
        data: { [envVar]: admins },
      },
      { provider: clusterProvider(env) },
    );
  }
  return { ciAdmins: { [envVar]: admins }, vaultTenants: deployers };
}
