/** The members concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { show } from "../core/problems";
import { ruleViolations } from "../core/rbac";

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
