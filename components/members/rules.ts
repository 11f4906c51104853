/** Members: other tenants of the registry, invited once each, into namespaces the inviting tenant owns. */
import type { GrantModel, MemberModel, NamespaceModel, ServiceAccountModel } from "../../registry/model";
import { type PathSegment, show } from "../core/problems";
import { serviceAccountReach } from "./service-accounts";
import type { TenantContext } from "../../registry/rules/context";

export function checkMembers(
  { doc, data, claims, at }: TenantContext,
  own: ReadonlySet<string>,
): MemberModel[] {
  const members: MemberModel[] = [];
  const invited = new Set<string>();
  data.members.forEach((m, i) => {
    if (m.tenant === doc.id) at(["members", i, "tenant"], `a tenant cannot invite itself`);
    else if (!claims.isTenant(m.tenant))
      at(["members", i, "tenant"], `${show(m.tenant)} is not a tenant of this registry`);
    if (invited.has(m.tenant))
      at(["members", i, "tenant"], `${show(m.tenant)} is invited twice; list its namespaces in one entry`);
    invited.add(m.tenant);
    (m.namespaces ?? []).forEach((ns, j, all) => {
      if (all.indexOf(ns) !== j) at(["members", i, "namespaces", j], `${show(ns)} is listed twice`);
      else if (!own.has(ns))
        at(
          ["members", i, "namespaces", j],
          `${show(ns)} is not a namespace of tenant ${show(doc.id)} (its namespaces: ${[...own].join(", ")})`,
        );
    });
    members.push({
      tenant: m.tenant,
      role: m.role,
      // a manager member invites and removes members: it reviews the record as `manager: true` does
      manager: m.manager || m.role === "manager",
      namespaces: m.namespaces ?? [...own],
    });
  });
  return members;
}

/**
 * The tenant's automation identities (docs/automation-identities.md), resolved; undefined when it declares none.
 * Each lives in one of the tenant's own namespaces (never another tenant's, the platform's or a reserved one: it
 * would name someone else's identity), is named by a label other than `default` (Kubernetes' own), is declared
 * once, and is bound only in the tenant's own namespaces that exist where it does, to bundles the tenant is granted
 * there. Its namespace has no invited member above viewer: a developer, manager or owner member may impersonate
 * the namespace's service accounts, request their tokens and run pods as them, so the identity would lend it the
 * tenant's rights in every namespace the identity is bound in. Its role is a namespace role, which the tenant holds
 * (as owner) in each of its namespaces; it gets nothing at cluster scope.
 */
export function checkServiceAccounts(
  { doc, data, claims, at }: TenantContext,
  namespaces: readonly NamespaceModel[],
  grants: readonly GrantModel[],
  members: readonly MemberModel[],
): ServiceAccountModel[] | undefined {
  const declared = data.serviceAccounts ?? [];
  if (declared.length === 0) return undefined;
  const own = new Map(namespaces.map((n) => [n.name, n]));
  const list = () => [...own.keys()].join(", ") || "none";
  const seen = new Map<string, number>();
  const out: ServiceAccountModel[] = [];
  declared.forEach((sa, i) => {
    const where = (...rest: PathSegment[]) => ["serviceAccounts", i, ...rest];
    const home = own.get(sa.namespace);
    if (!home) {
      const owner = claims.namespaceOwner.get(sa.namespace);
      at(
        where("namespace"),
        owner !== undefined && owner !== doc.id
          ? `${show(sa.namespace)} is tenant ${show(owner)}'s namespace: a service account of tenant ${show(doc.id)} lives in one of its own namespaces (${list()})`
          : `${show(sa.namespace)} is not a namespace of tenant ${show(doc.id)} (its namespaces: ${list()})`,
      );
    }
    if (sa.name === "default")
      at(
        where("name"),
        `"default" is Kubernetes' own service account of the namespace (every pod without a serviceAccountName runs as it): give the automation an identity of its own`,
      );
    const key = `${sa.namespace}/${sa.name}`;
    const first = seen.get(key);
    if (first !== undefined)
      at(where("name"), `${show(key)} is declared twice (serviceAccounts[${first}] declares it)`);
    else seen.set(key, i);
    const actors = members.filter((m) => m.role !== "viewer" && m.namespaces.includes(sa.namespace));
    if (home && actors.length > 0)
      at(
        where("namespace"),
        `${actors.map((m) => `tenant ${show(m.tenant)} (${m.role})`).join(", ")} ${actors.length === 1 ? "is" : "are"} invited into ${show(sa.namespace)} and could act as its service accounts (impersonate them, request their tokens, run pods as them): put the identity in a namespace no other tenant is invited into above viewer`,
      );
    const clusters = home?.clusters ?? [];
    (sa.namespaces ?? []).forEach((ns, j, all) => {
      const entry = own.get(ns);
      if (all.indexOf(ns) !== j) at(where("namespaces", j), `${show(ns)} is listed twice`);
      else if (!entry)
        at(
          where("namespaces", j),
          `${show(ns)} is not a namespace of tenant ${show(doc.id)} (its namespaces: ${list()})`,
        );
      else if (home && !entry.clusters.some((c) => clusters.includes(c)))
        at(
          where("namespaces", j),
          `${show(ns)} exists on ${entry.clusters.join(", ")}, none of the clusters where ${show(key)} exists (${clusters.join(", ")}): a service account's token is valid on its own cluster only`,
        );
    });
    const bound = sa.namespaces ?? [...own.keys()];
    const bundles = sa.bundles ?? [];
    const reach = home
      ? serviceAccountReach({ namespaces, grants }, { namespace: sa.namespace, namespaces: bound, bundles }, [
          ...own.keys(),
        ])
      : [];
    bundles.forEach((b, j, all) => {
      if (all.indexOf(b) !== j) at(where("bundles", j), `${show(b)} is listed twice`);
      else if (home && !reach.some((r) => r.bundles.some((x) => x.bundle === b))) {
        const granted = [...new Set(grants.map((g) => g.bundle))];
        at(
          where("bundles", j),
          grants.some((g) => g.bundle === b && g.clusters.some((c) => clusters.includes(c)))
            ? `tenant ${show(doc.id)} is granted bundle ${show(b)} in none of the namespaces ${show(key)} is bound in on ${clusters.join(", ")}`
            : `tenant ${show(doc.id)} is not granted bundle ${show(b)} on ${clusters.join(", ")}, where ${show(key)} exists (its grants: ${granted.join(", ") || "none"}); a service account gets only what its tenant is granted`,
        );
      }
    });
    out.push({ name: sa.name, namespace: sa.namespace, role: sa.role, namespaces: bound, bundles });
  });
  return out;
}
