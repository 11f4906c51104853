/** The members concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { show } from "../core/problems";
import { ruleViolations } from "../core/rbac";
import { NamespaceName, isLabel, isnt } from "../core/schema";

export const TenantRole = z.enum(["namespace-owner", "power-user", "admin"]);

/** A member's role in the namespaces it is invited into; a manager is a developer that invites and removes members. */
export const MemberRole = z.enum(["owner", "manager", "developer", "viewer"]);

export const K8sPolicyRule = z.strictObject({
  apiGroups: z.array(z.string()),
  resources: z.array(z.string()).min(1),
  verbs: z.array(z.string()).min(1),
});

/** Rules granted to tenant principals (deployers, extra role rules) may not cross the isolation rules. */
function checkTenantRules(who: string) {
  return (rules: z.output<typeof K8sPolicyRule>[], ctx: z.core.$RefinementCtx): void => {
    for (const [i, field, value] of ruleViolations(rules))
      ctx.addIssue({
        code: "custom",
        path: [i, field],
        message:
          field === "verbs"
            ? `${show(value)} is never granted to ${who}`
            : `${who} may not write ${show(value)} (the tenant's isolation)`,
      });
  };
}

export const checkDeployerRules = checkTenantRules("a tenant's deployer");

export const ExtraRules = (role: string) =>
  z
    .array(K8sPolicyRule)
    .superRefine(checkTenantRules(`a namespace ${role}`))
    .optional()
    .describe(`rules every namespace ${role} gets besides what it aggregates`);

/** A service account name: a lowercase RFC 1123 label (Kubernetes allows subdomains; a label keeps binding names unambiguous). */
const ServiceAccountName = z
  .string()
  .refine(isLabel, isnt("a valid service account name (lowercase RFC 1123 label, at most 63 characters)"))
  .meta({ pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 });

/**
 * A tenant's own automation identities (docs/automation-identities.md): Kubernetes ServiceAccounts the platform
 * makes in one of the tenant's namespaces and binds, on the clusters where that namespace exists, to a namespace
 * role in the tenant's namespaces there and to role bundles the tenant is granted there. Named as Sveltos'
 * RoleRequest names a service account: name and namespace. components/members/rules.ts bounds them.
 */
export const ServiceAccounts = z
  .array(
    z.strictObject({
      name: ServiceAccountName.describe("the ServiceAccount's name"),
      namespace: NamespaceName.describe(
        "the tenant's own namespace it lives in (its clusters are that namespace's)",
      ),
      role: MemberRole.default("owner").describe(
        "its namespace role in the tenant's namespaces (default owner: the tenant's own, as its programmatic admin)",
      ),
      namespaces: z
        .array(NamespaceName)
        .min(1)
        .optional()
        .describe(
          "which of the tenant's namespaces it is bound in; default: all of them on the clusters where it exists",
        ),
      bundles: z
        .array(z.string())
        .optional()
        .describe("role bundles the tenant is granted (grants) that it gets too, where it exists"),
    }),
  )
  .max(50)
  .optional()
  .describe(
    "ServiceAccounts for the tenant's own automation, bound to its roles and bundles; credentials by TokenRequest only (docs/automation-identities.md)",
  );
