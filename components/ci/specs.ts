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
  /**
   * `namespace`: a role and policy `ci_ns_<namespace>` per namespace instead of one `ci-<tenant>`, each bound to the
   * tenant's claims and `namespaceClaim` = the namespace, reaching that namespace's deployer only. @default "tenant"
   */
  rolePer?: "tenant" | "namespace";
  /** With `rolePer: namespace`, the claim naming the namespace. @default "environment" */
  namespaceClaim?: string;
}

/** The Vault name of a tenant's JWT role and policy (`rolePer: tenant`). */
export const tenantCiRoleName = (tenant: string): string => `ci-${safeSegment(tenant)}`;

/**
 * The Vault name of a namespace's JWT role and policy (`rolePer: namespace`). "_" never occurs in a tenant id or a
 * namespace, so no namespace's role takes a tenant's name: switching the mode creates the new roles and deletes
 * the old ones, and a shared name would have the delete take the role just made.
 */
export const namespaceCiRoleName = (namespace: string): string => `ci_ns_${safeSegment(namespace)}`;

/**
 * Per-tenant CI mode: a JWT auth role bound to the tenant's CI claims, reaching only its own deployers; or, with
 * `rolePer: namespace`, one per namespace, bound to the namespace too (ARCHITECTURE.md, "Isolation").
 */
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
    {
      tenant: id,
      outputs:
        args.rolePer === "namespace"
          ? { policies: args.namespaces.map(namespaceCiRoleName) }
          : { policy: tenantCiRoleName(id) },
    },
  );
  const children = { parent: component, provider, dependsOn };
  if (args.rolePer === "namespace") {
    // namespaces are unique across the registry and hold no "/": no two roles, nor resources, share a name
    for (const ns of args.namespaces)
      ciRole(
        specs,
        args,
        children,
        [`${name}-policy/${ns}`, `${name}-role/${ns}`],
        namespaceCiRoleName(ns),
        [ns],
        {
          ...args.boundClaims,
          [args.namespaceClaim ?? "environment"]: ns,
        },
      );
    return component;
  }
  ciRole(
    specs,
    args,
    children,
    [`${name}-policy`, `${name}-role`],
    tenantCiRoleName(id),
    args.namespaces,
    args.boundClaims,
  );
  return component;
}

/** One JWT auth role and its policy, reaching the deployer credentials of `namespaces`. */
function ciRole(
  specs: Specs,
  args: TenantCiDeployerArgs,
  children: { parent: ResourceSpec; provider: ResourceSpec; dependsOn: Dependency[] },
  [policyResource, roleResource]: [string, string],
  roleName: string,
  namespaces: string[],
  boundClaims: Record<string, string>,
): void {
  const policy = specs.resource(
    "vault:index/policy:Policy",
    policyResource,
    {
      name: roleName,
      policy: serialisePolicy(namespaces.map((ns) => deployerCredsRule(args.paths, ns))),
    },
    children,
    { deleteBeforeReplace: true },
  );
  specs.resource(
    "vault:jwt/authBackendRole:AuthBackendRole",
    roleResource,
    {
      backend: args.authMount,
      roleName,
      roleType: "jwt",
      boundClaims,
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
}
