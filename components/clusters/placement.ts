/**
 * Placement (ARCHITECTURE.md, "Clusters"): which clusters of the environment a tenant, a namespace or a grant
 * lands on, chosen by Kubernetes label selectors, and the resource names that keep one cluster's objects apart
 * from another's. Plain data, no SDK: the registry's rules, the layer programs and the access matrix read it.
 */
import type { ResourceSpec } from "../core/spec";

/** A label selector requirement, as Kubernetes spells it. */
export interface SelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** A Kubernetes label selector: every matchLabels pair and every requirement must hold. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: SelectorRequirement[];
}

/** Whether `labels` satisfy `selector` (Kubernetes semantics: the empty selector matches everything). */
export function matches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const has = (k: string) => Object.hasOwn(labels, k);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}))
    if (!has(k) || labels[k] !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const values = r.values ?? [];
    switch (r.operator) {
      case "In":
        if (!has(r.key) || !values.includes(labels[r.key]!)) return false;
        break;
      case "NotIn":
        // as Kubernetes: a cluster without the label is not in any set, so NotIn holds
        if (has(r.key) && values.includes(labels[r.key]!)) return false;
        break;
      case "Exists":
        if (!has(r.key)) return false;
        break;
      case "DoesNotExist":
        if (has(r.key)) return false;
        break;
    }
  }
  return true;
}

/** What placement needs to know of the environment's clusters. */
export interface ClusterInfo {
  name: string;
  labels: Record<string, string>;
  default?: boolean;
}

/** The cluster tenants and namespaces without a selector land on: the one marked default, or the only one. */
export function defaultCluster(clusters: readonly ClusterInfo[]): string {
  return (clusters.find((c) => c.default) ?? clusters[0]!).name;
}

/** The clusters a selector picks, in the environment's order; no selector: the default cluster. */
export function selectClusters(
  clusters: readonly ClusterInfo[],
  selector: LabelSelector | undefined,
): string[] {
  if (selector === undefined) return [defaultCluster(clusters)];
  return clusters.filter((c) => matches(selector, c.labels)).map((c) => c.name);
}

/** A selector as people write it, for messages: `region=eu-west, tier in (gold, silver), !gpu`. */
export function describeSelector(selector: LabelSelector): string {
  const parts = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector.matchExpressions ?? []).map((r) => {
      const set = `(${(r.values ?? []).join(", ")})`;
      if (r.operator === "In") return `${r.key} in ${set}`;
      if (r.operator === "NotIn") return `${r.key} notin ${set}`;
      return r.operator === "Exists" ? r.key : `!${r.key}`;
    }),
  ];
  return parts.length > 0 ? parts.join(", ") : "(everything)";
}

/**
 * The Pulumi resource name of a per-cluster object: the default cluster's keep the bare name (what a single
 * cluster environment always had, so its state stays as it is), another cluster's are `<cluster>:<name>`.
 * ":" occurs in no tenant id, namespace or cluster name, so these names never collide.
 */
export function onCluster(clusters: readonly ClusterInfo[], cluster: string, name: string): string {
  return `${clusterPrefix(clusters, cluster)}${name}`;
}

/** What onCluster puts before a name: nothing on the default cluster, `<cluster>:` on another. */
export function clusterPrefix(clusters: readonly ClusterInfo[], cluster: string): string {
  return cluster === defaultCluster(clusters) ? "" : `${cluster}:`;
}

/** The ClusterRole a role bundle becomes on every cluster. */
export function bundleRoleName(bundle: string): string {
  return `tenancy-bundle-${bundle}`;
}

/**
 * The binding of a tenant's grant: a RoleBinding of this name in each granted namespace, or (cluster scope) a
 * ClusterRoleBinding. Dots separate the labels, so no two (tenant, bundle) pairs share a name.
 */
export function grantBindingName(tenant: string, bundle: string, scope: "namespace" | "cluster"): string {
  return scope === "namespace" ? `tenancy-grant.${bundle}` : `tenancy-grant.${tenant}.${bundle}`;
}

/** Those of `names` (a tenant's namespaces) that are on `cluster`. */
export function namespacesOn(
  tenant: { namespaces: readonly { name: string; clusters: readonly string[] }[] },
  cluster: string,
  names: readonly string[],
): string[] {
  const clustersOf = new Map(tenant.namespaces.map((ns) => [ns.name, ns.clusters]));
  return names.filter((ns) => clustersOf.get(ns)?.includes(cluster));
}

/** The key a namespace's component is left under for the contributions after it (`StackBuilder.handles`). */
export const namespaceHandle = (cluster: string, namespace: string): string => `${cluster}/${namespace}`;

/** The key a namespace's Namespace object is left under: what the objects inside it are deleted with. */
export const namespaceObjectHandle = (cluster: string, namespace: string): string =>
  `${cluster}/${namespace}#Namespace`;

/**
 * The Namespace objects of `namespaces` on `cluster`, by name, as the namespace concern left them: objects another
 * concern puts inside one are deleted with it (ARCHITECTURE.md, "Safety").
 */
export function namespaceObjects(
  handles: ReadonlyMap<string, ResourceSpec>,
  cluster: string,
  namespaces: readonly string[],
): Record<string, ResourceSpec> {
  return Object.fromEntries(namespaces.map((ns) => [ns, handles.get(namespaceObjectHandle(cluster, ns))!]));
}

/**
 * What a tenant's bindings on a cluster wait for: the components of its namespaces there (not only the
 * provider's retries), as the namespace concern left them.
 */
export function namespacesReady(
  handles: ReadonlyMap<string, { key: string }>,
  cluster: string,
  namespaces: readonly string[],
): string[] {
  return namespaces.map((ns) => handles.get(namespaceHandle(cluster, ns))!.key);
}
