/** Domains: allowed wildcards only, in a configured DNS zone, claimed once, not inside another tenant's domain. */
import type { DomainModel } from "../model";
import { show } from "../problems";
import { type TenantContext, withoutWildcard } from "./context";

export function checkDomains({ env, doc, data, claims, at }: TenantContext): DomainModel[] {
  const zones = Object.entries(env.dns.zones);
  return data.domains.flatMap((name, i) => {
    const path = ["domains", i];
    if (name.startsWith("*.") && !env.dns.allowWildcards)
      at(
        path,
        `${show(name)} is a wildcard; the environment does not allow wildcard domains (dns.allowWildcards)`,
      );
    const bare = withoutWildcard(name);
    // the longest matching zone
    const zone = zones
      .filter(([z]) => bare === z || bare.endsWith(`.${z}`))
      .sort((a, b) => b[0].length - a[0].length)[0];
    if (!zone)
      at(path, `${show(name)} is not in a configured DNS zone (zones: ${zones.map(([z]) => z).join(", ")})`);
    const owner = claims.domainOwner.get(bare);
    if (owner !== undefined) {
      at(
        path,
        owner === doc.id
          ? `${show(name)} is listed twice`
          : `${show(name)} is already claimed by tenant ${show(owner)} (${claims.source(owner)})`,
      );
      return [];
    }
    // nested inside a domain of another tenant?
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
    return zone ? [{ name, zone: zone[0], zoneId: zone[1] }] : [];
  });
}
