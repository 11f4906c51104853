/**
 * Layer "ci" (after vault): how pipelines obtain deployer credentials. Shared mode (one CI identity for
 * every tenant) and per-tenant mode (a JWT role per tenant) as the environment configures; and the CI
 * system's admin list.
 */
import * as k8s from "@pulumi/kubernetes";
import { SharedCiDeployer, TenantCiDeployer } from "../components/ci-deployer";
import { stackName } from "../layers/identity";
import { ciAdmins } from "../policy/ci";
import { MANAGED_BY } from "../policy/labels";
import { vaultPaths } from "../policy/vault";
import { type LayerInput, upstream } from "./layer";
import { Providers } from "./providers";

export async function ciProgram({ model, tenants }: LayerInput): Promise<Record<string, unknown>> {
  const env = model.environment;
  const paths = vaultPaths(env);
  const active = tenants.filter((t) => !t.offboarding);
  // fail early if the vault layer has not created a deployer the CI roles point at
  const vaultId = { env: env.name, layer: "vault" } as const;
  const deployers = upstream(vaultId)
    .getOutput("tenants")
    .apply((ts: Record<string, { deployerRoles: string[] }> | undefined) => {
      const missing = active.filter((t) => !ts?.[t.id]).map((t) => t.id);
      if (missing.length > 0)
        throw new Error(
          `tenants ${missing.join(", ")} are not in stack ${stackName(vaultId)}: run the vault layer first`,
        );
      return Object.keys(ts ?? {}).length;
    });
  if (env.ci.shared) {
    // named "ci/shared" before the child-name rule (ARCHITECTURE.md, "Names"); its children's aliases follow
    new SharedCiDeployer(
      "shared",
      {
        ...env.ci.shared,
        paths,
        namespaces: active.flatMap((t) => t.namespaces.map((n) => n.name)),
      },
      { aliases: [{ name: "ci/shared" }] },
    );
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
        paths,
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
      { provider: new Providers(env).kubernetes() },
    );
  }
  return { ciAdmins: { [envVar]: admins }, vaultTenantCount: deployers };
}
