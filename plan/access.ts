/**
 * The access matrix: who can do what, computed from the planned resources of every layer, never from the
 * registry directly, so it shows what would really be applied. Each concern contributes its rows, in this order
 * (the order of `access --json`): the Kubernetes bindings (components/members/access-rows.ts), Vault's
 * principals and the deployer credentials they mint (components/vault/access-rows.ts), the DNS records
 * (components/dns/access-rows.ts).
 */
import { defaultCluster } from "../components/clusters/placement";
import { dnsAccess } from "../components/dns/access-rows";
import { kubernetesAccess } from "../components/members/access-rows";
import { vaultAccess } from "../components/vault/access-rows";
import type { AccessContext, AccessRow } from "../policy/access";
import type { RegistryModel } from "../registry/model";
import type { Plan } from "./plan";

export type { AccessRow };

export function accessMatrix(model: RegistryModel, plan: Plan): AccessRow[] {
  const resources = plan.stacks.flatMap((s) => s.resources);
  const env = model.environment;
  const rows: AccessRow[] = [];
  const push = (
    who: { principal: string; tenant: string | undefined },
    row: Omit<AccessRow, "principal" | "tenant">,
  ) =>
    rows.push({
      principal: who.principal,
      ...(who.tenant !== undefined ? { tenant: who.tenant } : {}),
      ...row,
    });

  const ctx: AccessContext = {
    model,
    env,
    home: defaultCluster(env.clusters),
    byType: (suffix) => resources.filter((r) => r.type.endsWith(suffix)),
    push,
  };
  const kubernetes = kubernetesAccess(ctx);
  vaultAccess(ctx, kubernetes);
  dnsAccess(ctx);
  return rows;
}
