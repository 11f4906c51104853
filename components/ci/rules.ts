/**
 * Per-tenant CI: only where the environment has per-tenant CI, only into the tenant's own namespaces, and
 * bound to something only this tenant has: at least one claim naming its repository or owner
 * (`ci.perTenant.tenantClaims`), with a value no other tenant binds, and at least one immutable id
 * (`ci.perTenant.immutableClaims`): a name can change hands. An ID token any pipeline can get (an audience, an
 * issuer) would otherwise reach this tenant's deployers.
 */
import type { CiModel, NamespaceModel } from "../../registry/model";
import { show } from "../core/problems";
import type { TenantContext } from "../../registry/rules/context";
import { offDefaultCluster } from "../clusters/rules";

export function checkCi(
  { env, doc, data, claims, at }: TenantContext,
  own: ReadonlySet<string>,
  namespaces: readonly NamespaceModel[],
): CiModel | undefined {
  if (data.ci && !env.ci.perTenant)
    at(
      ["ci"],
      `the environment has no ci.perTenant settings (${env.source}), so this tenant's CI role would not exist`,
    );
  const tenantClaims = env.ci.perTenant?.tenantClaims ?? [];
  if (data.ci && env.ci.perTenant) {
    const bound = Object.entries(data.ci.boundClaims).filter(([k]) => tenantClaims.includes(k));
    if (bound.length === 0)
      at(
        ["ci", "boundClaims"],
        `binds none of the claims that name a tenant's own repository or owner (${tenantClaims.join(", ")}; ci.perTenant.tenantClaims in ${env.source}), so pipelines of other tenants could obtain this tenant's deployer credentials`,
      );
    const immutable = env.ci.perTenant.immutableClaims;
    if (bound.length > 0 && !Object.keys(data.ci.boundClaims).some((k) => immutable.includes(k)))
      at(
        ["ci", "boundClaims"],
        `binds no immutable identifier (one of ${immutable.join(", ")}; ci.perTenant.immutableClaims in ${env.source}): a repository or owner name can be renamed and registered again by someone else`,
      );
    for (const [k, v] of bound)
      for (const value of Array.isArray(v) ? v : [v]) {
        const key = `${k}=${value}`;
        const other = claims.ciClaimOwner.get(key);
        if (other !== undefined && other !== doc.id)
          at(
            ["ci", "boundClaims", k],
            `${show(value)} is already bound by tenant ${show(other)} (${claims.source(other)}); one CI identity would reach both tenants`,
          );
        else claims.ciClaimOwner.set(key, doc.id);
      }
  }
  if (data.ci && own.size === 0)
    at(["ci"], `tenant ${show(doc.id)} has no namespaces for its pipelines to deploy to (namespaces: [])`);
  (data.ci?.namespaces ?? []).forEach((ns, j, all) => {
    if (all.indexOf(ns) !== j) at(["ci", "namespaces", j], `${show(ns)} is listed twice`);
    else if (!own.has(ns))
      at(["ci", "namespaces", j], `${show(ns)} is not a namespace of tenant ${show(doc.id)}`);
    else {
      const entry = namespaces.find((n) => n.name === ns);
      const off = entry && offDefaultCluster(env, entry);
      if (off) at(["ci", "namespaces", j], `pipelines deploy with deployer credentials of ${off}`);
    }
  });
  return data.ci
    ? { boundClaims: data.ci.boundClaims, namespaces: data.ci.namespaces ?? [...own] }
    : undefined;
}
