/**
 * Placement and grants (ARCHITECTURE.md, "Clusters"): every selector picks at least one cluster, a grant only
 * clusters its tenant is placed on and namespaces it owns there, and role bundles stay inside the isolation
 * rules unless the environment trusts them.
 */
import { FORBIDDEN_VERBS, WRITE_VERBS, isProtected } from "../../policy/isolation";
import { type LabelSelector, defaultCluster, describeSelector, selectClusters } from "./placement";
import { CLUSTER_SCOPED_RESOURCES, groupResource } from "../members/rbac";
import type { EnvironmentModel, GrantModel, NamespaceModel } from "../../registry/model";
import { type PathSegment, show } from "../core/problems";
import type { TenantContext } from "../../registry/rules/context";

/** The environment's clusters with their labels, for messages. */
function clusterList(env: EnvironmentModel): string {
  return env.clusters
    .map((c) => {
      const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
      return labels.length > 0 ? `${c.name} {${labels.join(", ")}}` : c.name;
    })
    .join(", ");
}

/**
 * Why a namespace cannot hold what exists on the default cluster only (deployers, app instances:
 * ARCHITECTURE.md, "Clusters"), to follow "... on"/"... of"; undefined when it is placed there.
 */
export function offDefaultCluster(env: EnvironmentModel, ns: NamespaceModel): string | undefined {
  const home = defaultCluster(env.clusters);
  if (ns.clusters.includes(home)) return undefined;
  return `the default cluster ${show(home)}, and namespace ${show(ns.name)} is not placed there (it is on ${ns.clusters.join(", ")})`;
}

/** The clusters a selector picks; reports one that picks none. */
export function selectAt(
  { env, at }: Pick<TenantContext, "env" | "at">,
  selector: LabelSelector | undefined,
  path: PathSegment[],
): string[] {
  const picked = selectClusters(env.clusters, selector);
  if (picked.length === 0)
    at(
      path,
      `${describeSelector(selector ?? {})} selects no cluster of environment ${show(env.name)} (clusters: ${clusterList(env)})`,
    );
  return picked;
}

/**
 * The tenant's grants, resolved: each bundle exists, its selector picks clusters the tenant is placed on
 * (`placement`), its namespaces are the tenant's own and exist on those clusters.
 */
export function checkGrants(
  ctx: TenantContext,
  namespaces: readonly NamespaceModel[],
  placement: readonly string[],
): GrantModel[] {
  const { env, doc, data, at } = ctx;
  const grants: GrantModel[] = [];
  // bundle and cluster -> the grant that binds it there: one binding (and one Pulumi name) each
  const bound = new Map<string, number>();
  data.grants.forEach((g, i) => {
    const bundle = Object.hasOwn(env.roleBundles, g.bundle) ? env.roleBundles[g.bundle] : undefined;
    if (!bundle) {
      const known = Object.keys(env.roleBundles);
      at(
        ["grants", i, "bundle"],
        `${show(g.bundle)} is not a role bundle of environment ${show(env.name)} (${known.length > 0 ? `bundles: ${known.join(", ")}` : "it defines none under roleBundles"})`,
      );
    }
    const clusters = selectAt(ctx, g.clusterSelector, ["grants", i, "clusterSelector"]);
    const outside = clusters.filter((c) => !placement.includes(c));
    if (outside.length > 0)
      at(
        ["grants", i, "clusterSelector"],
        `selects ${outside.length === 1 ? "cluster" : "clusters"} ${outside.join(", ")}, where tenant ${show(doc.id)} is not placed (it is on ${placement.join(", ")}); narrow the selector or place the tenant there`,
      );
    if (bundle?.scope === "cluster" && g.namespaces !== undefined)
      at(
        ["grants", i, "namespaces"],
        `bundle ${show(g.bundle)} is bound cluster-wide (scope cluster): a grant of it names no namespaces`,
      );
    const inside = clusters.filter((c) => placement.includes(c));
    const again = inside.filter((c) => bound.has(`${g.bundle}\0${c}`));
    if (again.length > 0)
      at(
        ["grants", i, "clusterSelector"],
        `grants bundle ${show(g.bundle)} again on ${again.join(", ")} (grants[${bound.get(`${g.bundle}\0${again[0]}`)}] does): one grant of a bundle per cluster; list its namespaces in one grant`,
      );
    for (const c of inside) if (!bound.has(`${g.bundle}\0${c}`)) bound.set(`${g.bundle}\0${c}`, i);
    const own = new Map(namespaces.map((n) => [n.name, n]));
    (g.namespaces ?? []).forEach((ns, j, all) => {
      const where = ["grants", i, "namespaces", j];
      const entry = own.get(ns);
      if (all.indexOf(ns) !== j) at(where, `${show(ns)} is listed twice`);
      else if (!entry)
        at(
          where,
          `${show(ns)} is not a namespace of tenant ${show(doc.id)} (its namespaces: ${[...own.keys()].join(", ")})`,
        );
      else if (!entry.clusters.some((c) => inside.includes(c)))
        at(
          where,
          `${show(ns)} exists on ${entry.clusters.join(", ")}, none of the clusters this grant selects (${inside.join(", ")})`,
        );
    });
    if (!bundle || outside.length > 0 || inside.length === 0) return;
    grants.push({
      bundle: g.bundle,
      scope: bundle.scope,
      clusters: inside,
      namespaces: bundle.scope === "cluster" ? [] : (g.namespaces ?? namespaces.map((n) => n.name)),
    });
  });
  return grants;
}

/** Whether some group of `groups` with `resource` may be cluster-scoped (`*` counts: it includes them). */
function mayBeClusterScoped(groups: readonly string[], resource: string): boolean {
  if (resource === "*") return true;
  const base = resource.split("/")[0]!;
  return groups.some((g) =>
    g === "*"
      ? [...CLUSTER_SCOPED_RESOURCES].some((r) => r.split("/").at(-1) === base)
      : CLUSTER_SCOPED_RESOURCES.has(groupResource(g, base)),
  );
}

/**
 * Whether `resource` is, in every group of `groups`, a known cluster-scoped resource itself (no subresource:
 * `nodes/proxy` reaches the kubelet of every node, every tenant's pods with it). A wildcard never is: it
 * includes namespaced resources (and CRDs of the same plural).
 */
function onlyClusterScoped(groups: readonly string[], resource: string): boolean {
  if (resource.includes("*") || resource.includes("/")) return false;
  return groups.every((g) => g !== "*" && CLUSTER_SCOPED_RESOURCES.has(groupResource(g, resource)));
}

/**
 * Role bundles that cross the isolation rules, unless trusted: escalate, bind, impersonate or `*` verbs; writes to
 * cluster-scoped resources or to what fences a tenant (namespaces, quotas, limits, endpoints); and, bound
 * cluster-wide, any namespaced resource (it would reach every tenant's namespaces).
 */
export function checkBundles(
  env: EnvironmentModel,
  at: (path: PathSegment[], message: string) => void,
): void {
  for (const [name, bundle] of Object.entries(env.roleBundles)) {
    if (bundle.trusted) continue;
    const refuse = (i: number, field: string, why: string) =>
      at(
        ["roleBundles", name, "rules", i, field],
        `${why}; a bundle that crosses the tenant isolation needs trusted: true (its grantees become shared principals)`,
      );
    bundle.rules.forEach((r, i) => {
      for (const v of r.verbs) if (FORBIDDEN_VERBS.has(v)) refuse(i, "verbs", `${show(v)} is refused`);
      const writes = r.verbs.some((v) => WRITE_VERBS.has(v) || v === "*");
      for (const res of r.resources) {
        if (writes && mayBeClusterScoped(r.apiGroups, res))
          refuse(i, "resources", `writing ${show(res)} (cluster-scoped) is refused`);
        else if (writes && isProtected(res))
          refuse(i, "resources", `writing ${show(res)} (a tenant's fence) is refused`);
        else if (bundle.scope === "cluster" && !onlyClusterScoped(r.apiGroups, res))
          refuse(
            i,
            "resources",
            `${show(res)} in ${r.apiGroups.map((g) => show(g)).join(", ")} is not only a known cluster-scoped resource (a subresource, a wildcard, or namespaced in some group): bound cluster-wide, it may reach every tenant's namespaces`,
          );
      }
    });
  }
}
