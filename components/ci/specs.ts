import { type VaultPaths, deployerCredsRule, safeSegment, serialisePolicy } from "../vault/policy";
import { type Dependency, type ResourceSpec, type Specs, outputOf } from "../core/spec";

export interface SharedCiDeployerArgs {
  /** Vault Kubernetes auth mount the CI system logs in through. */
  authMount: string;
  role: string;
  serviceAccount: string;
  namespace: string;
  paths: VaultPaths;
  /** Every namespace whose deployer credentials the CI system may obtain. */
  namespaces: string[];
  /** Token TTL in seconds. @default 900 */
  ttlSeconds?: number;
}

/**
 * Shared CI mode, as existing setups run it: one Vault Kubernetes auth role for the CI system's service
 * account, whose policy obtains every tenant's deployer credentials. A shared principal by design: the
 * access matrix shows it as one.
 */
export function sharedCiDeployer(
  specs: Specs,
  name: string,
  args: SharedCiDeployerArgs,
  provider: ResourceSpec,
  within: { dependsOn: Dependency[]; aliases: string[] },
): ResourceSpec {
  // "_" never occurs in a tenant id, so no tenant's `ci-<id>` policy can take this name
  const policyName = `ci_shared_${safeSegment(args.role)}`;
  const component = specs.component(
    "tenancy:ci:SharedCiDeployer",
    name,
    { providers: [provider], dependsOn: within.dependsOn },
    { aliases: within.aliases, outputs: { policy: policyName } },
  );
  const children = { parent: component, provider, dependsOn: within.dependsOn };
  const policy = specs.resource(
    "vault:index/policy:Policy",
    `${name}-policy`,
    {
      name: policyName,
      policy: serialisePolicy(args.namespaces.map((ns) => deployerCredsRule(args.paths, ns))),
    },
    children,
    { deleteBeforeReplace: true },
  );
  specs.resource(
    "vault:kubernetes/authBackendRole:AuthBackendRole",
    `${name}-role`,
    {
      backend: args.authMount,
      roleName: args.role,
      boundServiceAccountNames: [args.serviceAccount],
      boundServiceAccountNamespaces: [args.namespace],
      tokenPolicies: [outputOf(policy, "name")],
      tokenTtl: args.ttlSeconds ?? 900,
    },
    children,
    { deleteBeforeReplace: true },
  );
  return component;
}

export interface TenantCiDeployerArgs {
  tenant: string;
  authMount: string;
  /** Claims the CI provider's ID token must carry, one exact value each. */
  boundClaims: Record<string, string>;
  audience?: string;
  userClaim: string;
  ttlSeconds: number;
  paths: VaultPaths;
  /** The tenant's namespaces its pipelines deploy to. */
  namespaces: string[];
}

/** Per-tenant CI mode: a JWT auth role bound to the tenant's CI claims, reaching only its own deployers. */
export function tenantCiDeployer(
  specs: Specs,
  name: string,
  args: TenantCiDeployerArgs,
  provider: ResourceSpec,
  dependsOn: Dependency[],
): ResourceSpec {
  const id = safeSegment(args.tenant);
  const component = specs.component(
    "tenancy:ci:TenantCiDeployer",
    name,
    { providers: [provider], dependsOn },
    { tenant: id, outputs: { policy: `ci-${id}` } },
  );
  const children = { parent: component, provider, dependsOn };
  const policy = specs.resource(
    "vault:index/policy:Policy",
    `${name}-policy`,
    {
      name: `ci-${id}`,
      policy: serialisePolicy(args.namespaces.map((ns) => deployerCredsRule(args.paths, ns))),
    },
    children,
    { deleteBeforeReplace: true },
  );
  specs.resource(
    "vault:jwt/authBackendRole:AuthBackendRole",
    `${name}-role`,
    {
      backend: args.authMount,
      roleName: `ci-${id}`,
      roleType: "jwt",
      boundClaims: args.boundClaims,
      boundClaimsType: "string",
      ...(args.audience ? { boundAudiences: [args.audience] } : {}),
      userClaim: args.userClaim,
      tokenPolicies: [outputOf(policy, "name")],
      tokenTtl: args.ttlSeconds,
      tokenMaxTtl: args.ttlSeconds,
    },
    children,
    { deleteBeforeReplace: true },
  );
  return component;
}
