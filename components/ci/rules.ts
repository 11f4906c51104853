/**
 * Per-tenant CI: only where the environment has per-tenant CI, only into the tenant's own namespaces, and
 * bound to something only this tenant has: at least one claim naming its repository or owner
 * (`ci.perTenant.tenantClaims`), at least one immutable id (`ci.perTenant.immutableClaims`: a name can change
 * hands), and a claim set no ID token of another tenant's pipelines can satisfy (ARCHITECTURE.md,
 * Isolation). An ID token any pipeline can get (an audience, an issuer) would otherwise reach this tenant's
 * deployers.
 */
import type { CiModel, NamespaceModel } from "../../registry/model";
import { show } from "../core/problems";
import type { CiClaimGroup, TenantContext } from "../../registry/rules/context";
import { offDefaultCluster } from "../clusters/rules";

/** The values of some claims of a set, as one key. */
const valuesOf = (claims: Readonly<Record<string, string>>, names: readonly string[]) =>
  JSON.stringify(names.map((k) => claims[k]));

/** A token satisfying both claim sets (which agree where they must), as a message shows it. */
function witness(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names
    .map((k) => {
      const [x, y] = [a[k], b[k]];
      if (x === undefined || y === undefined || x === y) return `${k} ${show(x ?? y)}`;
      return `${k} [${show(x)}, ${show(y)}] (a list: Vault matches any one element)`;
    })
    .join(", ");
}

/**
 * Claims a tenant's CI claim set against every other tenant's, refusing it when one ID token could satisfy
 * both. Vault's JWT auth requires every bound claim to be in the token and to match (vault-plugin-auth-jwt
 * claims.go, validateBoundClaims), so two sets exclude each other only through a claim both bind with
 * different values, and only a claim a token carries one value of: a separating claim (naming a repository or
 * owner, or an immutable id). Any other claim (a ref, an environment) may be a list in a token, whose every
 * element matches: it tells no two tenants apart. Sets are grouped by the separating claims they bind, so a
 * new set is compared with a group through one lookup of its values of the claims they share.
 */
function claimCiClaims(
  { doc, claims, at }: TenantContext,
  bound: Readonly<Record<string, string>>,
  separating: ReadonlySet<string>,
): void {
  const keys = Object.keys(bound)
    .filter((k) => separating.has(k))
    .sort();
  let refused = false;
  for (const group of claims.ciClaimGroups.values()) {
    const common = group.keys.filter((k) => Object.hasOwn(bound, k));
    const name = common.join("\n");
    let index = group.byValues.get(name);
    if (!index) {
      index = new Map();
      for (const m of group.members)
        if (!index.has(valuesOf(m.claims, common))) index.set(valuesOf(m.claims, common), m.tenant);
      group.byValues.set(name, index);
    }
    const other = index.get(valuesOf(bound, common));
    if (other === undefined) continue;
    refused = true;
    const theirs = group.members.find((m) => m.tenant === other)!.claims;
    const where = `tenant ${show(other)}'s (${claims.source(other)}: ci.boundClaims)`;
    const why =
      common.length === 0
        ? `these claims and ${where} share no claim naming a repository or owner (${group.keys.join(", ")} there, ${keys.join(", ")} here), so nothing tells their tokens apart`
        : `these claims bind the same ${common.map((k) => `${k} ${show(bound[k])}`).join(", ")} as ${where}, and no claim naming a repository or owner with another value`;
    at(
      ["ci", "boundClaims"],
      `${why}: an ID token with ${witness(bound, theirs)} satisfies both, and its pipeline would obtain both tenants' deployer credentials; tell them apart by a claim naming a repository or owner that both bind with different values (tenant ${show(other)} binds ${group.keys.join(", ")})`,
    );
  }
  if (refused) return;
  const signature = keys.join("\n");
  let group: CiClaimGroup | undefined = claims.ciClaimGroups.get(signature);
  if (!group) {
    group = { keys, members: [], byValues: new Map() };
    claims.ciClaimGroups.set(signature, group);
  }
  group.members.push({ tenant: doc.id, claims: bound });
  for (const [name, index] of group.byValues) {
    const value = valuesOf(bound, name === "" ? [] : name.split("\n"));
    if (!index.has(value)) index.set(value, doc.id);
  }
}

export function checkCi(
  ctx: TenantContext,
  own: ReadonlySet<string>,
  namespaces: readonly NamespaceModel[],
): CiModel | undefined {
  const { env, doc, data, at } = ctx;
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
    if (bound.length > 0) claimCiClaims(ctx, data.ci.boundClaims, new Set([...tenantClaims, ...immutable]));
    const { rolePer, namespaceClaim } = env.ci.perTenant;
    if (rolePer === "namespace" && Object.hasOwn(data.ci.boundClaims, namespaceClaim))
      at(
        ["ci", "boundClaims", namespaceClaim],
        `binds ${show(namespaceClaim)}, which names the namespace of each CI role (ci.perTenant.rolePer namespace, namespaceClaim in ${env.source}); leave it out`,
      );
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
