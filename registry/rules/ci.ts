/** Per-tenant CI: only where the environment has per-tenant CI, and only into the tenant's own namespaces. */
import type { CiModel } from "../model";
import { show } from "../problems";
import type { TenantContext } from "./context";

export function checkCi(
  { env, doc, data, at }: TenantContext,
  own: ReadonlySet<string>,
): CiModel | undefined {
  if (data.ci && !env.ci.perTenant)
    at(
      ["ci"],
      `the environment has no ci.perTenant settings (${env.source}), so this tenant's CI role would not exist`,
    );
  (data.ci?.namespaces ?? []).forEach((ns, j, all) => {
    if (all.indexOf(ns) !== j) at(["ci", "namespaces", j], `${show(ns)} is listed twice`);
    else if (!own.has(ns))
      at(["ci", "namespaces", j], `${show(ns)} is not a namespace of tenant ${show(doc.id)}`);
  });
  return data.ci
    ? { boundClaims: data.ci.boundClaims, namespaces: data.ci.namespaces ?? [...own] }
    : undefined;
}
