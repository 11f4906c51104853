/**
 * The vault concern's part of the vault layer (after platform): per active tenant its policy, identity and
 * deployers, each deployer Role waiting for its namespace in the platform stack; the stack's `tenants` output.
 * Offboarding tenants (and namespaces) are left out, which revokes; KV data is never touched.
 */
import type { Contribution } from "../../layers/stack";
import { names } from "../../policy/names";
import { activeNamespaces, deployerNamespaces } from "../members/rbac";
import { deployerRoleName, vaultPaths } from "./policy";
import { tenantVault } from "./specs";

export const tenantVaults: Contribution = ({ input, specs, providers, upstream, outputs }) => {
  const { model, tenants, adoption } = input;
  const env = model.environment;
  const platform = upstream("platform");
  // the stack's providers, whichever tenants it holds
  const kubernetes = providers.kubernetes();
  const vault = providers.vault();
  const paths = vaultPaths(env);
  const exported: Record<string, { policy: string; deployerRoles: string[] }> = {};
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
    exported[tenant.id] = { policy, deployerRoles: active.map((ns) => deployerRoleName(ns, paths)) };
  }
  outputs.tenants = exported;
};
