import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { tenantLabels } from "../policy/labels";
import type { RbacRule } from "../policy/rbac";
import {
  type VaultPaths,
  deployerRoleName,
  safeSegment,
  serialisePolicy,
  tenantPolicyRules,
} from "../policy/vault";
import { TenantComponent, childOptions } from "./tenant-component";

export interface TenantVaultArgs {
  tenant: string;
  /** The tenant's OIDC identity: the entity alias on the OIDC auth mount. */
  email: string;
  oidcMountAccessor: string;
  paths: VaultPaths;
  /** The tenant's Vault policy name (`names.vaultPolicy`). @default `tenant-<id>` */
  policyName?: string;
  /**
   * The tenant's namespaces (plain names: they decide how many deployer roles exist). Each is paired with an
   * Output that resolves once the platform layer has it, so the Role waits for its namespace.
   */
  namespaces: { name: string; ready: pulumi.Input<string> }[];
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
 * Providers (Vault, and Kubernetes for the Roles) come through the resource options' `providers`.
 * A namespace's deployer is keyed by the namespace alone (`<ns>-deployer-role`, `<ns>-deployer`), not by the
 * tenant, so a namespace handed over to another tenant keeps its URNs: an update, never a create of the same
 * physical name before the old one is deleted.
 */
export class TenantVault extends TenantComponent {
  readonly policyName: string;

  constructor(name: string, args: TenantVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:vault:TenantVault", name, safeSegment(args.tenant), opts);
    const id = this.tenant;
    this.policyName = args.policyName ?? `tenant-${id}`;
    const policy = new vault.Policy(
      `${name}-policy`,
      {
        name: this.policyName,
        policy: serialisePolicy(
          tenantPolicyRules(
            args.paths,
            id,
            args.namespaces.map((n) => n.name),
            args.sopsNamespaces,
          ),
        ),
      },
      childOptions(this, opts, { deleteBeforeReplace: true }),
    );
    const entity = new vault.identity.Entity(
      `${name}-entity`,
      { name: id, policies: [policy.name], metadata: { tenant: id, "managed-by": "tenancy" } },
      childOptions(this, opts, {
        deleteBeforeReplace: true,
        ...(args.adopt?.entityId ? { import: args.adopt.entityId } : {}),
      }),
    );
    new vault.identity.EntityAlias(
      `${name}-alias`,
      { name: args.email, mountAccessor: args.oidcMountAccessor, canonicalId: entity.id },
      childOptions(this, opts, {
        deleteBeforeReplace: true,
        ...(args.adopt?.aliasId ? { import: args.adopt.aliasId } : {}),
      }),
    );
    for (const ns of args.namespaces) {
      const roleName = deployerRoleName(ns.name, args.paths);
      const role = new k8s.rbac.v1.Role(
        `${ns.name}-deployer-role`,
        {
          metadata: { name: roleName, namespace: ns.ready, labels: tenantLabels(id) },
          rules: args.deployer.rules,
        },
        childOptions(this, opts, {
          deleteBeforeReplace: true,
          aliases: [{ name: `${name}-deployer-role/${ns.name}` }],
        }),
      );
      new vault.kubernetes.SecretBackendRole(
        `${ns.name}-deployer`,
        {
          backend: args.paths.kubernetesSecretsMount,
          name: roleName,
          allowedKubernetesNamespaces: [ns.name],
          kubernetesRoleName: roleName,
          kubernetesRoleType: "Role",
          tokenDefaultTtl: args.deployer.ttlSeconds,
          tokenMaxTtl: args.deployer.maxTtlSeconds,
          extraLabels: tenantLabels(id),
        },
        childOptions(this, opts, {
          dependsOn: [role],
          deleteBeforeReplace: true,
          aliases: [{ name: `${name}-deployer/${ns.name}` }],
        }),
      );
    }
    this.registerTenantOutputs({ policy: this.policyName });
  }
}
