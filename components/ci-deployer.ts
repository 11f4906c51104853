import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { type VaultPaths, deployerCredsRule, safeSegment, serialisePolicy } from "../policy/vault";
import { TenantComponent, childOptions } from "./tenant-component";

export interface SharedCiDeployerArgs {
  /** Vault Kubernetes auth mount the CI system logs in through. */
  authMount: string;
  role: string;
  serviceAccount: string;
  namespace: string;
  paths: VaultPaths;
  /** Every namespace whose deployer credentials the CI system may obtain. */
  namespaces: string[];
}

/**
 * Shared CI mode, as existing setups run it: one Vault Kubernetes auth role for the CI system's service
 * account, whose policy obtains every tenant's deployer credentials. A shared principal by design: the
 * access matrix shows it as one.
 */
export class SharedCiDeployer extends pulumi.ComponentResource {
  constructor(name: string, args: SharedCiDeployerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:ci:SharedCiDeployer", name, {}, opts);
    // "_" never occurs in a tenant id, so no tenant's `ci-<id>` policy can take this name
    const policyName = `ci_shared_${safeSegment(args.role)}`;
    const policy = new vault.Policy(
      `${name}-policy`,
      {
        name: policyName,
        policy: serialisePolicy(args.namespaces.map((ns) => deployerCredsRule(args.paths, ns))),
      },
      childOptions(this, opts, { deleteBeforeReplace: true }),
    );
    new vault.kubernetes.AuthBackendRole(
      `${name}-role`,
      {
        backend: args.authMount,
        roleName: args.role,
        boundServiceAccountNames: [args.serviceAccount],
        boundServiceAccountNamespaces: [args.namespace],
        tokenPolicies: [policy.name],
        tokenTtl: 900,
      },
      childOptions(this, opts, { deleteBeforeReplace: true }),
    );
    this.registerOutputs({ policy: policyName });
  }
}

export interface TenantCiDeployerArgs {
  tenant: string;
  authMount: string;
  /** Claims the CI provider's ID token must carry (lists become Vault's comma-separated form). */
  boundClaims: Record<string, string | string[]>;
  audience?: string;
  userClaim: string;
  ttlSeconds: number;
  paths: VaultPaths;
  /** The tenant's namespaces its pipelines deploy to. */
  namespaces: string[];
}

/** Per-tenant CI mode: a JWT auth role bound to the tenant's CI claims, reaching only its own deployers. */
export class TenantCiDeployer extends TenantComponent {
  constructor(name: string, args: TenantCiDeployerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:ci:TenantCiDeployer", name, safeSegment(args.tenant), opts);
    const id = this.tenant;
    const policy = new vault.Policy(
      `${name}-policy`,
      {
        name: `ci-${id}`,
        policy: serialisePolicy(args.namespaces.map((ns) => deployerCredsRule(args.paths, ns))),
      },
      childOptions(this, opts, { deleteBeforeReplace: true }),
    );
    const boundClaims = Object.fromEntries(
      Object.entries(args.boundClaims).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
    );
    new vault.jwt.AuthBackendRole(
      `${name}-role`,
      {
        backend: args.authMount,
        roleName: `ci-${id}`,
        roleType: "jwt",
        boundClaims,
        boundClaimsType: "string",
        ...(args.audience ? { boundAudiences: [args.audience] } : {}),
        userClaim: args.userClaim,
        tokenPolicies: [policy.name],
        tokenTtl: args.ttlSeconds,
        tokenMaxTtl: args.ttlSeconds,
      },
      childOptions(this, opts, { deleteBeforeReplace: true }),
    );
    this.registerTenantOutputs({ policy: `ci-${id}` });
  }
}
