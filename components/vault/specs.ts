import { TENANT_LABEL, tenantLabels } from "../core/labels";
import type { RbacRule } from "../members/rbac";
import { type VaultPaths, deployerRoleName, safeSegment, serialisePolicy, tenantPolicyRules } from "./policy";
import { type ResourceSpec, type Specs, outputOf } from "../core/spec";

export interface TenantVaultArgs {
  tenant: string;
  /** The tenant's OIDC identity: the entity alias on the OIDC auth mount. */
  email: string;
  oidcMountAccessor: string;
  paths: VaultPaths;
  /** The tenant's Vault policy name (`names.vaultPolicy`). @default `tenant-<id>` */
  policyName?: string;
  /**
   * The tenant's namespaces (plain names: they decide how many deployer roles exist). Each is paired with a
   * value that resolves once the platform layer has it (an upstream reference), so the Role waits for its
   * namespace.
   */
  namespaces: { name: string; ready: unknown }[];
  /**
   * The namespaces whose SOPS transit keys the tenant's policy may use: every active one (a namespace on a cluster
   * without deployers still has its key).
   * @default - the deployer namespaces
   */
  sopsNamespaces?: string[];
  deployer: { ttlSeconds: number; maxTtlSeconds: number; rules: RbacRule[] };
  /**
   * Existing identities to adopt instead of creating (an installation whose users have logged in already):
   * their Vault ids, imported into state.
   * @default - create them
   */
  adopt?: { entityId?: string; aliasId?: string };
}

/**
 * A tenant's Vault footprint: policy `tenant-<id>` (JSON, built as data), an identity entity with that policy
 * and an alias for the tenant's OIDC login, and per namespace a deployer: a Kubernetes Role `<ns>-deployer`
 * and a Kubernetes secrets engine role that can only mint short-lived tokens bound to it in that namespace.
 * Offboarding tenants get none of it (the stack leaves it out, which revokes); KV data is never touched.
 * A namespace's deployer is keyed by the namespace alone (`<ns>-deployer-role`, `<ns>-deployer`), not by the
 * tenant, so a namespace handed over to another tenant keeps its URNs: an update, never a create of the same
 * physical name before the old one is deleted.
 */
export function tenantVault(
  specs: Specs,
  name: string,
  args: TenantVaultArgs,
  providers: { vault: ResourceSpec; kubernetes: ResourceSpec },
): ResourceSpec {
  const id = safeSegment(args.tenant);
  const policyName = args.policyName ?? `tenant-${id}`;
  const component = specs.component(
    "tenancy:vault:TenantVault",
    name,
    { providers: [providers.kubernetes, providers.vault] },
    { tenant: id, outputs: { policy: policyName } },
  );
  const inVault = { parent: component, provider: providers.vault };
  const policy = specs.resource(
    "vault:index/policy:Policy",
    `${name}-policy`,
    {
      name: policyName,
      policy: serialisePolicy(
        tenantPolicyRules(
          args.paths,
          id,
          args.namespaces.map((n) => n.name),
          args.sopsNamespaces,
        ),
      ),
    },
    inVault,
    { deleteBeforeReplace: true },
  );
  const entity = specs.resource(
    "vault:identity/entity:Entity",
    `${name}-entity`,
    { name: id, policies: [outputOf(policy, "name")], metadata: entityMetadata(id) },
    inVault,
    { deleteBeforeReplace: true, ...(args.adopt?.entityId ? { importId: args.adopt.entityId } : {}) },
  );
  specs.resource(
    "vault:identity/entityAlias:EntityAlias",
    `${name}-alias`,
    { name: args.email, mountAccessor: args.oidcMountAccessor, canonicalId: outputOf(entity, "id") },
    inVault,
    { deleteBeforeReplace: true, ...(args.adopt?.aliasId ? { importId: args.adopt.aliasId } : {}) },
  );
  for (const ns of args.namespaces) {
    const roleName = deployerRoleName(ns.name, args.paths);
    const role = specs.kubernetes(
      `${ns.name}-deployer-role`,
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: roleName, namespace: ns.ready, labels: tenantLabels(id) },
        rules: args.deployer.rules,
      },
      { parent: component, provider: providers.kubernetes },
      { deleteBeforeReplace: true, aliases: [`${name}-deployer-role/${ns.name}`] },
    );
    specs.resource(
      "vault:kubernetes/secretBackendRole:SecretBackendRole",
      `${ns.name}-deployer`,
      {
        backend: args.paths.kubernetesSecretsMount,
        name: roleName,
        allowedKubernetesNamespaces: [ns.name],
        kubernetesRoleName: roleName,
        kubernetesRoleType: "Role",
        tokenDefaultTtl: args.deployer.ttlSeconds,
        tokenMaxTtl: args.deployer.maxTtlSeconds,
        // the tenant's label only: the secrets engine sets its own managed-by label last, over any given here
        // (vault-plugin-secrets-kubernetes client.go, standardLabels), so Vault's objects are Vault's, not tenancy's
        extraLabels: { [TENANT_LABEL]: id },
      },
      inVault,
      { dependsOn: [role.key], deleteBeforeReplace: true, aliases: [`${name}-deployer/${ns.name}`] },
    );
  }
  return component;
}

/** The metadata of a tenant's Vault entity: how tenancy tells its own entities from others' (deploy/vault-identity.ts). */
export function entityMetadata(tenant: string): Record<string, string> {
  return { tenant, "managed-by": "tenancy" };
}
