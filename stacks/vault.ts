/**
 * Layer "vault" (after platform): per tenant its policy, identity and deployer credentials, and (with
 * `vault.sops`) its namespaces' SOPS transit keys. Offboarding tenants (and offboarding namespaces) are left out
 * of access, which revokes all of it; KV data and SOPS keys stay until the record goes.
 */
import { PENDING, Specs, type StackSpecs } from "../components/core/spec";
import { tenantSopsKeys } from "../components/sops/specs";
import { tenantVault } from "../components/vault/specs";
import { activeNamespaces, deployerNamespaces, isOffboarding } from "../components/members/rbac";
import { names } from "../policy/names";
import { deployerRoleName, vaultPaths } from "../components/vault/policy";
import { type LayerInput, Upstream } from "./layer";
import { Providers } from "./providers";

export function vaultProgram(input: LayerInput): StackSpecs {
  const { model, tenants, adoption } = input;
  const env = model.environment;
  const platform = Upstream.of(input, "platform");
  const specs = new Specs();
  const providers = Providers.of(specs, input);
  const kubernetes = providers.kubernetes();
  const vault = providers.vault();
  const paths = vaultPaths(env);
  const exported: Record<string, { policy: string; deployerRoles: string[] }> = {};
  // SOPS keys are data: every tenant's, offboarding ones included, go only with their records
  if (env.vault.sops)
    for (const tenant of tenants)
      tenantSopsKeys(
        specs,
        tenant.id,
        {
          tenant: tenant.id,
          sops: env.vault.sops,
          namespaces: tenant.namespaces.map((ns) => ({
            name: ns.name,
            offboarding: isOffboarding(tenant, ns),
          })),
        },
        vault,
      );
  for (const tenant of tenants.filter((t) => !t.offboarding)) {
    const active = deployerNamespaces(env, tenant);
    const policy = names(env).vaultPolicy(tenant.id);
    tenantVault(
      specs,
      tenant.id,
      {
        tenant: tenant.id,
        email: tenant.email,
        policyName: policy,
        oidcMountAccessor: env.oidc.vaultMountAccessor,
        paths,
        // each deployer Role waits for its namespace in the platform stack: an input that fails in an update
        // while the namespace is not there, so only that Role (and its Vault role) is held back
        namespaces: active.map((ns) => ({
          name: ns,
          ready: platform.require(
            "tenants",
            `namespace ${ns} of tenant ${tenant.id}`,
            [{ path: [tenant.id, "namespaces"], includes: ns }],
            ns,
          ),
        })),
        deployer: env.vault.deployer,
        sopsNamespaces: activeNamespaces(tenant),
        ...(adoption
          ? {
              adopt: {
                ...(Object.hasOwn(adoption.entities, tenant.id)
                  ? { entityId: adoption.entities[tenant.id] }
                  : {}),
                ...(Object.hasOwn(adoption.aliases, tenant.id)
                  ? { aliasId: adoption.aliases[tenant.id] }
                  : {}),
              },
            }
          : {}),
      },
      { kubernetes, vault },
    );
    exported[tenant.id] = {
      policy,
      deployerRoles: active.map((ns) => deployerRoleName(ns, paths)),
    };
  }
  return {
    resources: specs.list,
    outputs: { tenants: exported, awaitingUpstream: PENDING },
    reads: [platform.stack],
  };
}
