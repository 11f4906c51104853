/**
 * What a tenant's automation identities (docs/automation-identities.md) may reach, checked on the access matrix
 * against the registry model, written from the documentation rather than from the spec builder: a principal
 * `system:serviceaccount:<ns>:<name>` is its namespace's tenant's; every row of it is on a cluster where its
 * namespace exists, in a namespace of that tenant that exists there and that the identity declares, through the
 * namespace role it declares or a bundle it declares and its tenant is granted there; at cluster scope only a
 * cluster-scoped bundle of those. And exactly: each declared identity of an active tenant reaches each of its
 * active namespaces on each of those clusters. Used by the isolation property and the service account tests.
 */
import type { AccessRow } from "../../policy/access";
import type { RegistryModel } from "../../registry/model";

const PREFIX = "system:serviceaccount:";

export function serviceAccountViolations(model: RegistryModel, rows: readonly AccessRow[]): string[] {
  const out: string[] = [];
  const owner = new Map(model.tenants.flatMap((t) => t.namespaces.map((n) => [n.name, t] as const)));
  const reached = new Set<string>();
  for (const r of rows) {
    if (!r.principal.startsWith(PREFIX)) continue;
    const [ns, name] = r.principal.slice(PREFIX.length).split(":") as [string, string];
    const t = owner.get(ns);
    const sa = t?.serviceAccounts?.find((s) => s.namespace === ns && s.name === name);
    const what = `${r.principal} ${r.cluster ?? "-"} ${r.scope} ${r.resource} via ${r.via}`;
    if (!t || r.tenant !== t.id) {
      out.push(
        `${what}: attributed to ${r.tenant ?? "no tenant"}, its namespace's tenant is ${t?.id ?? "none"}`,
      );
      continue;
    }
    if (!sa) {
      out.push(`${what}: tenant ${t.id} declares no such service account`);
      continue;
    }
    const home = t.namespaces.find((n) => n.name === ns)!;
    if (t.offboarding || home.offboarding) out.push(`${what}: its namespace or tenant is offboarding`);
    if (r.system !== "kubernetes" || r.cluster === undefined || !home.clusters.includes(r.cluster)) {
      out.push(`${what}: not on a cluster where ${ns} exists (${home.clusters.join(", ")})`);
      continue;
    }
    const role = /-> ClusterRole (\S+)$/.exec(r.via)?.[1];
    const bundle = role?.startsWith("tenancy-bundle-") ? role.slice("tenancy-bundle-".length) : undefined;
    const grant =
      bundle === undefined
        ? undefined
        : t.grants.find((g) => g.bundle === bundle && g.clusters.includes(r.cluster!));
    if (bundle !== undefined && (!sa.bundles.includes(bundle) || !grant))
      out.push(`${what}: bundle ${bundle} is not one it declares and its tenant is granted on ${r.cluster}`);
    if (r.scope === "cluster") {
      if (grant?.scope !== "cluster")
        out.push(`${what}: at cluster scope, not through a cluster-scoped bundle`);
      continue;
    }
    const target = r.scope.slice("namespace:".length);
    const entry = t.namespaces.find((n) => n.name === target);
    if (!entry || entry.offboarding || !entry.clusters.includes(r.cluster) || !sa.namespaces.includes(target))
      out.push(`${what}: ${target} is not one of its tenant's active namespaces it declares on ${r.cluster}`);
    else if (bundle === undefined && role !== `tenancy-namespace-${sa.role}`)
      out.push(`${what}: not its role ${sa.role}`);
    else if (grant && grant.scope === "namespace" && !grant.namespaces.includes(target))
      out.push(`${what}: bundle ${bundle} is not granted to ${t.id} in ${target}`);
    else if (bundle === undefined) reached.add(`${r.principal} ${r.cluster} ${target}`);
  }
  // exactly: every declared identity reaches each of its namespaces where it exists
  for (const t of model.tenants) {
    if (t.offboarding) continue;
    for (const sa of t.serviceAccounts ?? []) {
      const home = t.namespaces.find((n) => n.name === sa.namespace)!;
      if (home.offboarding) continue;
      for (const c of home.clusters)
        for (const ns of sa.namespaces) {
          const entry = t.namespaces.find((n) => n.name === ns)!;
          if (entry.offboarding || !entry.clusters.includes(c)) continue;
          if (!reached.has(`${PREFIX}${sa.namespace}:${sa.name} ${c} ${ns}`))
            out.push(`${PREFIX}${sa.namespace}:${sa.name} of ${t.id} does not reach ${ns} on ${c}`);
        }
    }
  }
  return out;
}
