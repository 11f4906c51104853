import { sopsKeyName } from "../vault/policy";
import type { ResourceSpec, Specs } from "../core/spec";

export interface TenantSopsKeysArgs {
  tenant: string;
  /** The transit mount and key name prefix (`vault.sops`). */
  sops: { mount: string; keyPrefix: string };
  /** Every namespace of the tenant, offboarding ones included: a key goes only with its namespace's record. */
  namespaces: { name: string; offboarding: boolean }[];
}

/**
 * A tenant's SOPS keys: a Vault transit key `<keyPrefix><ns>` per namespace, with which the tenant (through its
 * policy, components/vault/policy.ts `sopsRules`) encrypts and decrypts the secrets it keeps in git. A key is data: lose it
 * and those secrets are lost. So it is protected, and Vault refuses its deletion (`deletionAllowed: false`),
 * until its namespace is offboarding; it is deleted only when the record is removed (two-phase, like the
 * namespace). Keyed by the namespace (`<ns>-sops`), so a namespace handed over keeps its URN.
 */
export function tenantSopsKeys(
  specs: Specs,
  name: string,
  args: TenantSopsKeysArgs,
  provider: ResourceSpec,
): ResourceSpec {
  const component = specs.component(
    "tenancy:vault:TenantSopsKeys",
    name,
    { providers: [provider] },
    { tenant: args.tenant },
  );
  for (const ns of args.namespaces)
    specs.resource(
      "vault:transit/secretBackendKey:SecretBackendKey",
      `${ns.name}-sops`,
      { backend: args.sops.mount, name: sopsKeyName(args.sops, ns.name), deletionAllowed: ns.offboarding },
      { parent: component, provider },
      { protect: !ns.offboarding, deleteBeforeReplace: true },
    );
  return component;
}
