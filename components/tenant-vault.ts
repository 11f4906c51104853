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
import { TenantComponent } from "./tenant-component";

export interface TenantVaultArgs {
  tenant: string;
  /** The tenant's OIDC identity: the entity alias on the OIDC auth mount. */
  email: string;
  oidcMountAccessor: string;
  paths: VaultPaths;
  /**
   * The tenant's namespaces (plain names: they decide how many deployer roles exist). Each is paired with an
   * Output that resolves once the platform layer has it, so the Role waits for its namespace.
   */
  namespaces: { name: string; ready: pulumi.Input<string> }[];
  deployer: { ttlSeconds: number; maxTtlSeconds: number; rules: RbacRule[] };
}

/**
 * A tenant's Vault footprint: policy `tenant-<id>` (JSON, built as data), an identity entity with that policy
 * and an alias for the tenant's OIDC login, and per namespace a deployer: a Kubernetes Role `<ns>-deployer`
 * and a Kubernetes secrets engine role that can only mint short-lived tokens bound to it in that namespace.
 * Offboarding tenants get none of it (the stack leaves it out, which revokes); KV data is never touched.
 * Providers (Kubernetes for the Roles) come through the resource options' `providers`.
 */
export class TenantVault extends TenantComponent {
  readonly policyName: string;

  constructor(name: string, args: TenantVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:vault:TenantVault", name, safeSegment(args.tenant), opts);
    const id = this.tenant;
    this.policyName = `tenant-${id}`;
    const policy = new vault.Policy(
      `${name}-policy`,
      {
        name: this.policyName,
        policy: serialisePolicy(
          tenantPolicyRules(
            args.paths,
            id,
            args.namespaces.map((n) => n.name),
          ),
        ),
      },
      { parent: this, deleteBeforeReplace: true },
    );
    const entity = new vault.identity.Entity(
      `${name}-entity`,
      { name: id, policies: [policy.name], metadata: { tenant: id, "managed-by": "tenancy" } },
      { parent: this, deleteBeforeReplace: true },
    );
    new vault.identity.EntityAlias(
      `${name}-alias`,
      { name: args.email, mountAccessor: args.oidcMountAccessor, canonicalId: entity.id },
      { parent: this, deleteBeforeReplace: true },
    );
    for (const ns of args.namespaces) {
      const roleName = deployerRoleName(ns.name);
      const role = new k8s.rbac.v1.Role(
        `${name}-deployer-role/${ns.name}`,
        {
          metadata: { name: roleName, namespace: ns.ready, labels: tenantLabels(id) },
          rules: args.deployer.rules,
        },
        { parent: this, deleteBeforeReplace: true },
      );
      new vault.kubernetes.SecretBackendRole(
        `${name}-deployer/${ns.name}`,
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
        { parent: this, dependsOn: [role], deleteBeforeReplace: true },
      );
    }
    this.registerTenantOutputs({ policy: this.policyName });
  }
}
