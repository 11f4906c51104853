/**
 * Layer "vault" (after platform): per tenant its policy, identity and deployer credentials.
 * Offboarding tenants are left out, which revokes all of it; KV data stays.
 */
import * as pulumi from "@pulumi/pulumi";
import { TenantVault } from "../components/tenant-vault";
import { type VaultLayout, deployerRoleName } from "../components/vault-policy";
import type { EnvironmentModel } from "../registry/model";
import { type LayerInput, stackName, upstream } from "./layer";
import { clusterProvider } from "./platform";

export function vaultLayout(env: EnvironmentModel): VaultLayout {
  const { kvMount, layout, tenantPrefix, kubernetesSecretsMount } = env.vault;
  return { kvMount, layout, tenantPrefix, kubernetesSecretsMount };
}

type PlatformTenants = Record<string, { namespaces: string[] }>;

/** An Output resolving to `namespace` once the platform stack reports it for `tenant`; fails otherwise. */
export function namespaceReady(
  platform: pulumi.Output<PlatformTenants>,
  platformStack: string,
  tenant: string,
  namespace: string,
) {
  return platform.apply((tenants) => {
    if (!tenants?.[tenant]?.namespaces.includes(namespace))
      throw new Error(
        `namespace ${namespace} of tenant ${tenant} is not in stack ${platformStack}: run the platform layer first`,
      );
    return namespace;
  });
}

export async function vaultProgram({ model, tenants }: LayerInput): Promise<Record<string, unknown>> {
  const env = model.environment;
  const platformStack = stackName(env.name, "platform");
  const platform = upstream(env.name, "platform").getOutput("tenants") as pulumi.Output<PlatformTenants>;
  const kubernetes = clusterProvider(env);
  const layout = vaultLayout(env);
  const exported: Record<string, { policy: string; deployerRoles: string[] }> = {};
  for (const tenant of tenants.filter((t) => !t.offboarding)) {
    const tv = new TenantVault(tenant.id, {
      tenant: tenant.id,
      email: tenant.email,
      oidcMountAccessor: env.oidc.vaultMountAccessor,
      layout,
      namespaces: tenant.namespaces.map((n) => ({
        name: n.name,
        ready: namespaceReady(platform, platformStack, tenant.id, n.name),
      })),
      deployer: env.vault.deployer,
      kubernetes,
    });
    exported[tenant.id] = {
      policy: tv.policyName,
      deployerRoles: tenant.namespaces.map((n) => deployerRoleName(n.name)),
    };
  }
  return { tenants: exported };
}
