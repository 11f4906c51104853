/**
 * Layer "vault" (after platform): per tenant its policy, identity and deployer credentials.
 * Offboarding tenants are left out, which revokes all of it; KV data stays.
 */
import type * as pulumi from "@pulumi/pulumi";
import { TenantVault } from "../components/tenant-vault";
import { stackName } from "../layers/identity";
import { deployerRoleName, vaultPaths } from "../policy/vault";
import { type LayerInput, upstream } from "./layer";
import { Providers } from "./providers";

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
  const platformId = { env: env.name, layer: "platform" } as const;
  const platform = upstream(platformId).getOutput("tenants") as pulumi.Output<PlatformTenants>;
  const kubernetes = new Providers(env).kubernetes();
  const paths = vaultPaths(env);
  const exported: Record<string, { policy: string; deployerRoles: string[] }> = {};
  for (const tenant of tenants.filter((t) => !t.offboarding)) {
    const tv = new TenantVault(
      tenant.id,
      {
        tenant: tenant.id,
        email: tenant.email,
        oidcMountAccessor: env.oidc.vaultMountAccessor,
        paths,
        namespaces: tenant.namespaces.map((n) => ({
          name: n.name,
          ready: namespaceReady(platform, stackName(platformId), tenant.id, n.name),
        })),
        deployer: env.vault.deployer,
      },
      { providers: [kubernetes] },
    );
    exported[tenant.id] = {
      policy: tv.policyName,
      deployerRoles: tenant.namespaces.map((n) => deployerRoleName(n.name)),
    };
  }
  return { tenants: exported };
}
