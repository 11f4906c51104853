/** The vault concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { DEFAULT_DEPLOYER_RULES } from "../core/rbac";
import { isnt } from "../core/schema";
import { checkDeployerRules, K8sPolicyRule } from "../members/schema";

/** A Vault mount or path prefix: plain segments only, so it can be placed in a policy path as is. */
export const VaultPath = z
  .string()
  .refine(
    (s) => /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(s),
    isnt("a Vault path (segments of letters, digits, _ and -, separated by /)"),
  );

export const VaultSettings = z.strictObject({
  address: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), isnt("an http(s) URL"))
    .describe(
      "the Vault every Vault resource of this environment is managed in (its provider's address; VAULT_ADDR is not used for that)",
    ),
  namespace: z.string().min(1).optional().describe("Vault Enterprise / HCP namespace"),
  childToken: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          "the provider runs with a short-lived child token (needs auth/token/create); false: with the given token itself",
        ),
      ttlSeconds: z
        .number()
        .int()
        .min(60)
        .default(1200)
        .describe("the child token's TTL: a run must end within it"),
    })
    .default({ enabled: true, ttlSeconds: 1200 }),
  kvMount: VaultPath.default("secret").describe("the KV v2 mount holding tenant secrets"),
  tenantPaths: z
    .enum(["prefixed", "top-level", "per-namespace"])
    .default("prefixed")
    .describe(
      "which KV paths a tenant's policy grants. prefixed: <kvMount>/data/<tenantPrefix>/<id>/*; top-level (existing installations): <kvMount>/data/<id> and <kvMount>/data/<id>/*; per-namespace (the single-secret installations' own): <kvMount>/data/<namespace>/* and a listing of <kvMount>/metadata/<namespace>/* for each active namespace",
    ),
  tenantPrefix: VaultPath.default("tenants"),
  reservedPaths: z
    .array(z.string())
    .default(["platform"])
    .describe(
      "tenantPaths top-level: top-level KV names that are not tenants (e.g. the registry's own secret)",
    ),
  kubernetesSecretsMount: VaultPath.default("kubernetes").describe(
    "mount of Vault's Kubernetes secrets engine",
  ),
  sops: z
    .strictObject({
      mount: VaultPath.default("transit").describe("the transit secrets engine's mount"),
      keyPrefix: z
        .string()
        .refine(
          (p) => /^[a-z0-9][-a-z0-9_.]*$/.test(p) && p.length <= 64,
          isnt('a key name prefix (lowercase letters, digits, "-", "_", ".")'),
        )
        .default("sops-state-"),
    })
    .optional()
    .describe(
      "SOPS keys: a transit key <keyPrefix><namespace> per tenant namespace, usable by its tenant only (encrypt, decrypt)",
    ),
  deployer: z
    .strictObject({
      ttlSeconds: z.number().int().min(60).default(1800),
      maxTtlSeconds: z.number().int().min(60).default(3600),
      rules: z.array(K8sPolicyRule).min(1).superRefine(checkDeployerRules).default(DEFAULT_DEPLOYER_RULES),
    })
    .refine((d) => d.ttlSeconds <= d.maxTtlSeconds, {
      error: "ttlSeconds must not exceed maxTtlSeconds",
      path: ["ttlSeconds"],
    })
    .default({ ttlSeconds: 1800, maxTtlSeconds: 3600, rules: DEFAULT_DEPLOYER_RULES }),
});
