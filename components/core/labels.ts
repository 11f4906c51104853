/** Labels and names every layer agrees on (ARCHITECTURE.md, "Isolation"). */

/** Set on each tenant namespace by the platform; tenants cannot change it (they have no write access to Namespaces). */
export const TENANT_LABEL = "tenancy.io/tenant";
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "tenancy" } as const;
/** Set by the API server on every namespace and immutable: safe to select namespaces by. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The labels of an object the platform creates for a tenant. */
export function tenantLabels(tenant: string): Record<string, string> {
  return { ...MANAGED_BY, [TENANT_LABEL]: tenant };
}
