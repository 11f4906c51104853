/**
 * A shared object's Kubernetes manifest (docs/shared-objects.md): the declaration in one namespace, labelled as
 * the platform's (so the platformObjects admission policy keeps tenants from changing or deleting it). A
 * Secret's data is a `vaultKv` reference, read at run time and never shown.
 */
import { tenantLabels } from "../core/labels";
import { type KubernetesManifest, ref } from "../core/spec";
import type { SharedObjectData } from "./schema";

/** A shared Secret's source: its KV path and the Secret's keys -> the KV fields (JSON). */
export const VAULT_KV_ANNOTATION = "tenancy.io/vault-kv";

/** The component type grouping a tenant's shared objects on one cluster. */
export const TENANT_SHARED_OBJECTS = "tenancy:shared:TenantSharedObjects";

/** A shared object's role in its Pulumi name: `<ns>-shared-<kind>/<name>` (ARCHITECTURE.md, "Names"). */
export const sharedRole = (o: SharedObjectData): string => `shared-${o.kind.toLowerCase()}`;

/**
 * The object in `namespace` (its name, or the reference that waits for it upstream). `vault`: the key of the
 * Vault provider a Secret's data is read through, and the KV mount.
 */
export function sharedManifest(
  o: SharedObjectData,
  tenant: string,
  namespace: unknown,
  vault?: { provider: string; mount: string },
): KubernetesManifest {
  const metadata = { name: o.name, namespace, labels: tenantLabels(tenant) };
  switch (o.kind) {
    case "Secret":
      if (!vault) throw new Error(`shared Secret ${o.name}: no Vault provider given`);
      return {
        apiVersion: "v1",
        kind: "Secret",
        // where the value comes from, in the clear (never the value): a plan and a diff show a changed source
        metadata: {
          ...metadata,
          annotations: {
            [VAULT_KV_ANNOTATION]: JSON.stringify({
              path: `${vault.mount}/data/${o.vault.path}`,
              keys: o.vault.keys,
            }),
          },
        },
        type: o.type,
        data: ref({
          $ref: "vaultKv",
          provider: vault.provider,
          mount: vault.mount,
          path: o.vault.path,
          keys: { ...o.vault.keys },
          secretType: o.type,
        }),
      };
    case "ConfigMap":
      return { apiVersion: "v1", kind: "ConfigMap", metadata, data: { ...o.data } };
    case "NetworkPolicy":
      return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata,
        spec: structuredClone(o.spec),
      };
    case "LimitRange":
      return { apiVersion: "v1", kind: "LimitRange", metadata, spec: structuredClone(o.spec) };
  }
}
