/**
 * Hostnames: a tenant's domains (allowed wildcards only, in a configured DNS zone), its app instances' hosts
 * and the names the platform generates for it (a namespace's wildcard certificate name) are claimed in one
 * place, `claimHostname`: never a zone's apex, a reserved name or a name the platform serves (its catalog
 * apps' hosts, its own endpoints), claimed once, never inside another tenant's hostname; a generated name
 * also yields to every other tenant's hostname it equals, lies inside or covers.
 */
import type { DomainModel } from "../../registry/model";
import { show } from "../core/problems";
import type { PathSegment } from "../core/problems";
import { oncePer } from "../core/memo";
import { isHostname } from "../core/schema";
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

/** A tenant id as one label of a catalog host pattern: any tenant's, today's or tomorrow's. */
const TENANT_LABEL = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?";

/** Names the platform serves itself, each as its labels (right to left), one matcher per label. */
interface PlatformName {
  /** How a message names it, given how a claim relates to it. */
  describe(relation: "is" | "covers" | "is inside"): string;
  /** The catalog app whose hosts these are. */
  app?: string;
  labels: RegExp[];
}

const escapeLabel = (label: string) => label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * What the platform serves itself, which no tenant may claim, cover or claim inside: every catalog app's hosts
 * (its pattern with any tenant id: an instance's host is the platform's before its tenant lists the app; a
 * shared-placement app's instances are all served from the app's own namespace), and the hostnames of the
 * platform's own endpoints (a domain claimed on one would get a DNS record pointing elsewhere).
 */
const platformNames = oncePer((env: TenantContext["env"]): readonly PlatformName[] => {
  const names: PlatformName[] = [];
  for (const [app, entry] of Object.entries(env.catalog)) {
    const pattern = entry.host.replaceAll("{app}", app);
    const where = `catalog app ${show(app)} (${show(entry.host)}: catalog.${app}.host in ${env.source})`;
    names.push({
      app,
      labels: pattern
        .split(".")
        .reverse()
        .map((l) => new RegExp(`^${l.split("{tenant}").map(escapeLabel).join(TENANT_LABEL)}$`)),
      describe: (r) =>
        r === "is"
          ? `is the host of ${where} for a tenant of that id, served by the platform`
          : `${r} the hosts of ${where}, served by the platform`,
    });
  }
  const endpoints: [string, string | undefined][] = [
    ["vault.address", env.vault.address],
    ["oidc.issuerUrl", env.oidc.issuerUrl],
    ...env.clusters.map((c, i): [string, string | undefined] => [`clusters[${i}].server`, c.server]),
  ];
  const hosts: [string, string][] = endpoints.flatMap(([field, url]) => {
    const host = url === undefined ? undefined : URL.parse(url)?.hostname;
    return host !== undefined && isHostname(host) ? [[field, host]] : [];
  });
  if (env.dns.records?.ingress?.hostname)
    hosts.push(["dns.records.ingress.hostname", env.dns.records.ingress.hostname]);
  for (const [field, host] of hosts)
    names.push({
      labels: host
        .split(".")
        .reverse()
        .map((l) => new RegExp(`^${escapeLabel(l)}$`)),
      describe: (r) => `${r} ${show(host)}, the platform's own (${field} in ${env.source})`,
    });
  return names;
});

/**
 * The platform's name a hostname (without "*.") is, covers or lies inside, as a message's end; `except` is
 * the catalog app whose own host is being claimed.
 */
function platformNameOf(env: TenantContext["env"], bare: string, except?: string): string | undefined {
  const labels = bare.split(".").reverse();
  for (const p of platformNames(env)) {
    if (p.app !== undefined && p.app === except) continue;
    const common = Math.min(labels.length, p.labels.length);
    let same = true;
    for (let i = 0; i < common && same; i++) same = p.labels[i]!.test(labels[i]!);
    if (same)
      return p.describe(
        labels.length === p.labels.length ? "is" : labels.length < p.labels.length ? "covers" : "is inside",
      );
  }
  return undefined;
}

/** Whether a hostname (without "*.") is refused to any tenant, whoever else claims what: see claimHostname. */
function refusedOnItsOwn(env: TenantContext["env"], bare: string): boolean {
  return (
    Object.hasOwn(env.dns.zones, bare) ||
    reservedHostnames(env).has(bare) ||
    platformNameOf(env, bare) !== undefined
  );
}

/**
 * What is claimed: a tenant's domain, the host of one of its app instances, or a name the platform generates
 * for it (a namespace's wildcard certificate name), which `shown` names in messages. A generated name yields
 * to every other tenant's hostname, whatever the order.
 */
export type HostnameClaim =
  { kind: "domain" } | { kind: "app"; app: string } | { kind: "generated"; shown: string };

/**
 * Claims a hostname for the tenant: not a zone's apex, a name the platform reserves or one it serves, not
 * claimed already, not inside another tenant's hostname (and, generated, covering none). The one place
 * hostnames are claimed: a tenant's domains, its app instances' hosts, the names generated for it. Returns
 * whether the claim stands.
 */
export function claimHostname(
  { env, doc, claims, at }: TenantContext,
  name: string,
  path: PathSegment[],
  claim: HostnameClaim = { kind: "domain" },
): boolean {
  const bare = withoutWildcard(name);
  const shown = claim.kind === "generated" ? claim.shown : show(name);
  // the platform's own names: a zone's apex would cover every tenant's names in the zone
  if (Object.hasOwn(env.dns.zones, bare)) {
    at(
      path,
      `${shown} is the apex of the zone ${show(bare)}; tenants claim names inside a zone, not the zone`,
    );
    return false;
  }
  const reserved = reservedHostnames(env).get(bare);
  if (reserved !== undefined) {
    at(path, `${shown} is reserved for the platform (dns.reservedNames: ${show(reserved)} in ${env.source})`);
    return false;
  }
  const served = platformNameOf(env, bare, claim.kind === "app" ? claim.app : undefined);
  if (served !== undefined) {
    at(path, `${shown} ${served}`);
    return false;
  }
  // a generated name yields to every hostname another tenant lists; it claims nothing itself
  const owner = claim.kind === "generated" ? claims.hostnameClaimant.get(bare) : claims.domainOwner.get(bare);
  if (owner !== undefined && (owner !== doc.id || claim.kind !== "generated")) {
    at(
      path,
      owner === doc.id
        ? `${shown} is listed twice`
        : `${shown} is already claimed by tenant ${show(owner)} (${claims.source(owner)})`,
    );
    return false;
  }
  // nested inside a hostname of another tenant?
  let stands = true;
  const labels = bare.split(".");
  for (let k = 1; k < labels.length - 1; k++) {
    const parent = labels.slice(k).join(".");
    const parentOwner = claims.hostnameClaimant.get(parent);
    // a parent refused to its claimant on its own (a zone's apex, a reserved name, one the platform serves) takes
    // nothing from this claim: it is reported at its own file only; inside an ancestor's domain is where a child's
    // domains belong (docs/organisations.md)
    if (
      parentOwner !== undefined &&
      parentOwner !== doc.id &&
      !refusedOnItsOwn(env, parent) &&
      (claim.kind === "generated" || !claims.isAncestor(parentOwner, doc.id))
    ) {
      at(
        path,
        `${shown} is inside ${show(parent)}, claimed by tenant ${show(parentOwner)} (${claims.source(parentOwner)})`,
      );
      stands = false;
    }
  }
  if (claim.kind !== "generated") {
    claims.domainOwner.set(bare, doc.id);
    return true;
  }
  // covering a hostname of another tenant: its certificate would serve that tenant's names
  for (const [other, below] of claims.hostnamesBelow.get(bare) ?? []) {
    if (other === doc.id) continue;
    at(path, `${shown} covers ${show(below)}, claimed by tenant ${show(other)} (${claims.source(other)})`);
    stands = false;
  }
  return stands;
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
