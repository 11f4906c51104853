/**
 * The access matrix's row (a contract: `access --json`), which rows concern a tenant, and what a concern's
 * contribution to the matrix reads (`AccessContext`; plan/access.ts runs the contributions).
 */
import type { PlannedResource } from "../components/core/spec";
import type { EnvironmentModel, RegistryModel, TenantModel } from "../registry/model";
import { CLUSTER_SCOPED_RESOURCES } from "../components/members/rbac";

export interface AccessRow {
  principal: string;
  /** The principal's tenant; absent for shared principals (CI shared mode, the platform's own). */
  tenant?: string;
  system: "kubernetes" | "vault" | "dns";
  /**
   * Kubernetes rows: the subject as the API server matches it, the kind and the name with its prefix
   * (`User oidc:alice@example.com`, `Group oidc:tenancy:bob`, `ServiceAccount system:serviceaccount:ns:name`);
   * `principal` is the stable key `can-i` and `diff` name it by.
   */
  subject?: string;
  /** Kubernetes rows: the cluster the grant is on. */
  cluster?: string;
  scope: string;
  resource: string;
  /** Kubernetes rows: the resource's API group ("" for the core group), which `resource` starts with. */
  apiGroup?: string;
  /** Kubernetes rows of rules naming objects: only these objects of the resource. */
  resourceNames?: string[];
  verbs: string[];
  via: string;
}

/**
 * The rows `--tenant` shows: the tenant's own principals, and every other principal that reaches it: into
 * its namespaces, at cluster scope (admins, power users), or on its deployer credentials in Vault.
 */
export function reachesTenant(row: AccessRow, tenant: TenantModel): boolean {
  const namespaces = tenant.namespaces.map((n) => n.name);
  return (
    row.tenant === tenant.id ||
    (row.scope === "cluster" && !CLUSTER_SCOPED_RESOURCES.has(row.resource)) ||
    namespaces.some((ns) => row.scope === `namespace:${ns}`) ||
    (row.system === "vault" && namespaces.some((ns) => row.resource.endsWith(`/creds/${ns}-deployer`)))
  );
}

/**
 * The rows `--namespace` shows: grants in the namespace, grants at cluster scope on what namespaces hold
 * (admins, power users), and Vault paths minting the namespace's deployer credentials.
 */
export function reachesNamespace(row: AccessRow, namespace: string): boolean {
  return (
    row.scope === `namespace:${namespace}` ||
    (row.system === "kubernetes" && row.scope === "cluster" && !CLUSTER_SCOPED_RESOURCES.has(row.resource)) ||
    (row.system === "vault" && row.resource.endsWith(`/creds/${namespace}-deployer`))
  );
}

/**
 * Principals of no tenant that reach more than one tenant (into its namespaces, or its deployer credentials in
 * Vault): a shared CI identity. The access table flags them.
 */
export function crossTenantPrincipals(
  rows: readonly AccessRow[],
  tenants: readonly TenantModel[],
): { principal: string; tenants: string[] }[] {
  const owner = new Map(tenants.flatMap((t) => t.namespaces.map((n) => [n.name, t.id] as const)));
  const reach = new Map<string, Set<string>>();
  for (const r of rows) {
    if (r.tenant !== undefined) continue;
    const ns = r.scope.startsWith("namespace:")
      ? r.scope.slice("namespace:".length)
      : r.system === "vault"
        ? /\/creds\/(.+)-deployer$/.exec(r.resource)?.[1]
        : undefined;
    const t = ns === undefined ? undefined : owner.get(ns);
    if (t !== undefined) reach.set(r.principal, (reach.get(r.principal) ?? new Set()).add(t));
  }
  return [...reach]
    .filter(([, ts]) => ts.size > 1)
    .map(([principal, ts]) => ({ principal, tenants: [...ts].sort() }));
}

/** Who a row is about: a principal, and its tenant (none for a shared principal). */
export interface Who {
  principal: string;
  tenant: string | undefined;
}

/** What a concern's contribution to the access matrix reads and writes. */
export interface AccessContext {
  model: RegistryModel;
  env: EnvironmentModel;
  /** The default cluster (where a Kubernetes object without one is). */
  home: string;
  /** The planned resources whose type token ends with `suffix`, in plan order. */
  byType(suffix: string): PlannedResource[];
  /** Adds a row. */
  push(who: Who, row: Omit<AccessRow, "principal" | "tenant">): void;
}
