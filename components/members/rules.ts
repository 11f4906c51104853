/** Members: other tenants of the registry, invited once each, into namespaces the inviting tenant owns. */
import type { MemberModel } from "../../registry/model";
import { show } from "../core/problems";
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
