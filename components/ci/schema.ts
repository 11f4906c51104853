/** The ci concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { EnvName, INVISIBLE, isnt, NamespaceName, TenantId } from "../core/schema";
import { show } from "../core/problems";
import { VaultPath } from "../vault/schema";

/** Claims of the usual CI providers' ID tokens that name a repository or its owner (GitHub, Gitea/Forgejo, GitLab). */
export const DEFAULT_TENANT_CLAIMS = [
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "project_path",
  "project_id",
  "namespace_path",
  "namespace_id",
] as const;

/**
 * Claims naming a repository or owner by an id that is never reused (GitHub, Gitea/Forgejo, GitLab): unlike a
 * name, it cannot be taken over by renaming or deleting an account and registering the name again.
 */
export const DEFAULT_IMMUTABLE_CLAIMS = [
  "repository_id",
  "repository_owner_id",
  "project_id",
  "namespace_id",
] as const;

/**
 * A bound claim value: one exact value. Vault's JWT auth accepts a token whose claim matches any one of a
 * bound claim's values (vault-plugin-auth-jwt claims.go, matchFound), and Vault's provider splits a value at
 * its commas into such a list (terraform-provider-vault, disable_bound_claims_parsing false): a list or a comma
 * would take in other tenants' tokens, so both are refused. The role's boundClaimsType is string, where `*`
 * and `?` are literal, but they would be globs under the glob type: refused too. Nothing invisible.
 */
export const ClaimValue = z
  .string()
  .min(1)
  .refine((v) => !INVISIBLE.test(v), isnt("visible text (it holds control or invisible characters)"))
  .refine((v) => !/[*?]/.test(v), isnt("an exact value: a glob (* or ?) would bind more than this tenant"))
  .refine(
    (v) => !v.includes(","),
    isnt(
      "one value: Vault's provider splits a bound claim at its commas into a list, any one of which matches, so it could take in another tenant's pipelines",
    ),
  );

export const CiSettings = z.strictObject({
  shared: z
    .strictObject({
      authMount: VaultPath.default("kubernetes").describe(
        "Vault Kubernetes auth mount the CI system logs in with",
      ),
      role: TenantId.default("ci-deployer"),
      serviceAccount: TenantId.refine((s) => s !== "default", {
        error:
          'cannot be "default": every pod of the namespace that names no service account runs as it, pipeline pods included; give the CI system a dedicated one',
      }).describe("the CI system's own, dedicated service account (never default)"),
      namespace: NamespaceName.describe("the CI system's namespace, e.g. woodpecker"),
      ttlSeconds: z
        .number()
        .int()
        .min(60)
        .max(86400)
        .default(900)
        .describe("the TTL of the tokens the shared role issues (seconds; 3600 where pipelines run an hour)"),
    })
    .optional()
    .describe("shared mode: one CI identity that can obtain every tenant's deployer credentials"),
  perTenant: z
    .strictObject({
      authMount: VaultPath.default("jwt").describe(
        "Vault JWT auth mount trusting the CI provider's ID tokens",
      ),
      audience: z.string().trim().min(1, "an audience cannot be empty").optional(),
      tenantClaims: z
        .array(z.string().min(1))
        .min(1)
        .default([...DEFAULT_TENANT_CLAIMS])
        .describe(
          "claims that name a tenant's own repository or owner; a tenant's boundClaims must bind at least one of them",
        ),
      immutableClaims: z
        .array(z.string().min(1))
        .min(1)
        .default([...DEFAULT_IMMUTABLE_CLAIMS])
        .describe(
          "claims whose values never change hands (numeric ids, not names that can be renamed and re-registered); a tenant's boundClaims must bind at least one",
        ),
      userClaim: z.string().default("sub"),
      ttlSeconds: z
        .number()
        .int()
        .min(60)
        .default(900)
        .describe(
          "the TTL of the tokens a CI role issues (seconds; 3600 as the single-secret installations' CI roles issue them)",
        ),
      rolePer: z
        .enum(["tenant", "namespace"])
        .default("tenant")
        .describe(
          "tenant: one JWT role ci-<tenant> reaching every namespace of the tenant's ci.namespaces; namespace: a role ci_ns_<namespace> per namespace, bound to the tenant's claims and namespaceClaim = the namespace, reaching that namespace's deployer only",
        ),
      namespaceClaim: z
        .string()
        .min(1)
        .refine((v) => !INVISIBLE.test(v), isnt("visible text"))
        .default("environment")
        .describe(
          "with rolePer namespace: the ID-token claim that names the namespace a pipeline deploys to (GitHub's and GitLab's deployment environment by default: name the environment after the namespace)",
        ),
    })
    .superRefine((p, ctx) => {
      // the namespace's value is bound beside the tenant's claims: it may never replace one that tells tenants apart
      if (p.rolePer === "namespace" && [...p.tenantClaims, ...p.immutableClaims].includes(p.namespaceClaim))
        ctx.addIssue({
          code: "custom",
          path: ["namespaceClaim"],
          message: `${show(p.namespaceClaim)} names a tenant's repository or owner (tenantClaims, immutableClaims): the namespace's value would replace the tenant's own; name the claim that selects the namespace, e.g. environment`,
        });
    })
    .optional()
    .describe("per-tenant mode: a JWT auth role per tenant bound to its `ci.boundClaims`"),
  admins: z
    .strictObject({
      envVar: EnvName.default("WOODPECKER_ADMIN").describe(
        "the CI system's admin variable; also the ConfigMap key",
      ),
      extra: z.array(z.string()).default([]).describe("admins besides the registry's admin tenants"),
      configMap: z.strictObject({ namespace: NamespaceName, name: TenantId }).optional(),
    })
    .default({ envVar: "WOODPECKER_ADMIN", extra: [] }),
});
