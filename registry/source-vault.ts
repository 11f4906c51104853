/**
 * Vault KV v2 source. PLACEHOLDER: being written (see issue 2); the options type is the contract.
 */
import type { TenantDocument } from "./model";
import { ExternalError } from "./problems";

export interface VaultSourceOptions {
  /** VAULT_ADDR, e.g. https://vault.example.com:8200 */
  addr: string;
  /** VAULT_TOKEN */
  token: string;
  /** VAULT_NAMESPACE (Vault Enterprise / HCP), optional */
  namespace?: string;
  /** KV v2 mount, default "secret" */
  mount: string;
  /**
   * single-secret: one secret at `path` whose `key` holds a JSON string mapping tenant id -> record
   * (the existing-installation layout); per-tenant: one secret per tenant under the prefix `path`.
   */
  layout: "single-secret" | "per-tenant";
  /** Secret path (single-secret, default "platform") or prefix (per-tenant, e.g. "tenants"). */
  path: string;
  /** Key inside the single secret, default "k8s_users". */
  key: string;
}

export async function loadVaultDocuments(opts: VaultSourceOptions): Promise<TenantDocument[]> {
  throw new ExternalError(`Vault source not implemented yet (${opts.addr})`);
}
