/** Domains: allowed wildcards only, in a configured DNS zone, claimed once, not inside another tenant's domain. */
import type { DomainModel } from "../../registry/model";
import { show } from "../core/problems";
import type { PathSegment } from "../core/problems";
import { oncePer } from "../core/memo";
import { type TenantContext, withoutWildcard, zoneOf } from "../../registry/rules/context";

/**
 * The hostnames the platform keeps (`dns.reservedNames`), each with the entry that reserves it: a full name
 * as written, a bare label in every configured zone.
 */
const reservedHostnames = oncePer((env: TenantContext["env"]): ReadonlyMap<string, string> => {
  const zones = Object.keys(env.dns.zones);
  const entries = env.dns.reservedNames.flatMap((r) =>
    r.includes(".") ? [[r, r] as const] : zones.map((z) => [`${r}.${z}`, r] as const),
  );
  // the first entry reserving a name is the one a message names
  return new Map([...entries].reverse());
});

/**
 * Claims a hostname for the tenant: not a zone's apex nor a name the platform reserves, not claimed already,
 * not inside another tenant's hostname. Shared by the
 * tenant's domains and its app instances' hosts. Returns whether the claim stands.
 */
export function claimHostname(
  { env, doc, claims, at }: TenantContext,
  name: string,
  path: PathSegment[],
): boolean {
  const bare = withoutWildcard(name);
  // the platform's own names: a zone's apex would cover every tenant's names in the zone
  if (Object.hasOwn(env.dns.zones, bare)) {
    at(
      path,
      `${show(name)} is the apex of the zone ${show(bare)}; tenants claim names inside a zone, not the zone`,
    );
    return false;
  }
  const reserved = reservedHostnames(env).get(bare);
  if (reserved !== undefined) {
    at(
      path,
      `${show(name)} is reserved for the platform (dns.reservedNames: ${show(reserved)} in ${env.source})`,
    );
    return false;
  }
  const owner = claims.domainOwner.get(bare);
  if (owner !== undefined) {
    at(
      path,
      owner === doc.id
        ? `${show(name)} is listed twice`
        : `${show(name)} is already claimed by tenant ${show(owner)} (${claims.source(owner)})`,
    );
    return false;
  }
  // nested inside a hostname of another tenant?
  const labels = bare.split(".");
  for (let k = 1; k < labels.length - 1; k++) {
    const parent = labels.slice(k).join(".");
    const parentOwner = claims.hostnameClaimant.get(parent);
    if (parentOwner !== undefined && parentOwner !== doc.id)
      at(
        path,
        `${show(name)} is inside ${show(parent)}, claimed by tenant ${show(parentOwner)} (${claims.source(parentOwner)})`,
      );
  }
  claims.domainOwner.set(bare, doc.id);
  return true;
}

export function checkDomains(ctx: TenantContext, own: readonly string[]): DomainModel[] {
  const { env, doc, data, at } = ctx;
  const zones = Object.entries(env.dns.zones);
  return data.domains.flatMap((entry, i) => {
    const name = typeof entry === "string" ? entry : entry.name;
    const path: PathSegment[] = typeof entry === "string" ? ["domains", i] : ["domains", i, "name"];
    if (name.startsWith("*.") && !env.dns.allowWildcards)
      at(
        path,
        `${show(name)} is a wildcard; the environment does not allow wildcard domains (dns.allowWildcards)`,
      );
    const zone = zoneOf(env, name);
    if (!zone)
      at(path, `${show(name)} is not in a configured DNS zone (zones: ${zones.map(([z]) => z).join(", ")})`);
    const namespace = typeof entry === "string" ? undefined : entry.namespace;
    if (namespace !== undefined && !own.includes(namespace))
      at(["domains", i, "namespace"], `${show(namespace)} is not a namespace of tenant ${show(doc.id)}`);
    if (own.length === 0) {
      at(path, `tenant ${show(doc.id)} has no namespace to serve ${show(name)} from (namespaces: [])`);
      return [];
    }
    if (!claimHostname(ctx, name, path)) return [];
    const proxied = typeof entry === "string" ? undefined : entry.proxied;
    return zone
      ? [
          {
            name,
            zone: zone[0],
            zoneId: zone[1],
            namespace: namespace ?? own[0]!,
            ...(proxied !== undefined ? { proxied } : {}),
          },
        ]
      : [];
  });
}
