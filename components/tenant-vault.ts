import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { MANAGED_BY, TENANT_LABEL } from "./labels";
import type { RbacRule } from "./rbac-rules";
import {
  type VaultLayout,
  deployerRoleName,
  safeSegment,
  serialisePolicy,
  tenantPolicyRules,
} from "./vault-policy";

export interface TenantVaultArgs {
  tenant: string;
  /** The tenant's OIDC identity: the entity alias on the OIDC auth mount. */
  email: string;
  oidcMountAccessor: string;
  layout: VaultLayout;
  /**
   * The tenant's namespaces (plain names: they decide how many deployer roles exist). Each is paired with an
   * Output that resolves once the platform layer has it, so the Role waits for its namespace.
   */
  namespaces: { name: string; ready: pulumi.Input<string> }[];
  deployer: { ttlSeconds: number; maxTtlSeconds: number; rules: RbacRule[] };
  /** Kubernetes provider for the deployer Roles. */
  kubernetes: k8s.Provider;
}

/**
 * A tenant's Vault footprint: policy `tenant-<id>` (JSON, built as data), an identity entity with that policy
 * and an alias for the tenant's OIDC login, and per namespace a deployer: a Kubernetes Role `<ns>-deployer`
 * and a Kubernetes secrets engine role that can only mint short-lived tokens bound to it in that namespace.
 * Offboarding tenants get none of it (the stack leaves it out, which revokes); KV data is never touched.
 */
export class TenantVault extends pulumi.ComponentResource {
  readonly policyName: string;

  constructor(name: string, args: TenantVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:vault:TenantVault", name, {}, opts);
    const id = safeSegment(args.tenant);
    this.policyName = `tenant-${id}`;
    const policy = new vault.Policy(
      `${name}-policy`,
      {
        name: this.policyName,
        policy: serialisePolicy(
          tenantPolicyRules(
            args.layout,
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
          metadata: { name: roleName, namespace: ns.ready, labels: { ...MANAGED_BY, [TENANT_LABEL]: id } },
          rules: args.deployer.rules,
        },
        { parent: this, provider: args.kubernetes, deleteBeforeReplace: true },
      );
      new vault.kubernetes.SecretBackendRole(
        `${name}-deployer/${ns.name}`,
        {
          backend: args.layout.kubernetesSecretsMount,
          name: roleName,
          allowedKubernetesNamespaces: [ns.name],
          kubernetesRoleName: roleName,
          kubernetesRoleType: "Role",
          tokenDefaultTtl: args.deployer.ttlSeconds,
          tokenMaxTtl: args.deployer.maxTtlSeconds,
          extraLabels: { ...MANAGED_BY, [TENANT_LABEL]: id },
        },
        { parent: this, dependsOn: [role], deleteBeforeReplace: true },
      );
    }
    this.registerOutputs({ tenant: id, policy: this.policyName });
  }
}
