/** The sops concern's part of the vault layer: every tenant's transit keys, offboarding ones included. */
import type { Contribution } from "../../layers/stack";
import { isOffboarding } from "../members/rbac";
import { tenantSopsKeys } from "./specs";

// SOPS keys are data: every tenant's, offboarding ones included, go only with their records
export const sopsKeys: Contribution = ({ input, specs, providers }) => {
  const sops = input.model.environment.vault.sops;
  if (!sops) return;
  for (const tenant of input.tenants)
    tenantSopsKeys(
      specs,
      tenant.id,
      {
        tenant: tenant.id,
        sops,
        namespaces: tenant.namespaces.map((ns) => ({
          name: ns.name,
          offboarding: isOffboarding(tenant, ns),
        })),
      },
      providers.vault(),
    );
};
