/** The clusters concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import {
  isLabelValue,
  isnt,
  LABEL_VALUE_EXPECTED,
  LabelKey,
  LabelMap,
  TenantId,
  VisibleText,
} from "../core/schema";

/** A Kubernetes label selector over the environment's clusters (components/clusters/placement.ts matches it). */
export const ClusterSelector = z
  .strictObject({
    matchLabels: LabelMap.optional(),
    matchExpressions: z
      .array(
        z
          .strictObject({
            key: LabelKey,
            operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
            values: z.array(z.string().refine(isLabelValue, isnt(LABEL_VALUE_EXPECTED))).optional(),
          })
          .superRefine((r, ctx) => {
            const some = (r.values ?? []).length > 0;
            if ((r.operator === "In" || r.operator === "NotIn") && !some)
              ctx.addIssue({
                code: "custom",
                path: ["values"],
                message: `${r.operator} needs at least one value`,
              });
            if ((r.operator === "Exists" || r.operator === "DoesNotExist") && r.values !== undefined)
              ctx.addIssue({ code: "custom", path: ["values"], message: `${r.operator} takes no values` });
          }),
      )
      .optional(),
  })
  .describe(
    "clusters chosen by their labels (matchLabels, matchExpressions: In, NotIn, Exists, DoesNotExist)",
  );

export const ClusterSchema = z.strictObject({
  name: TenantId.describe("cluster name"),
  default: z
    .boolean()
    .default(false)
    .describe(
      "where tenants and namespaces without a clusterSelector land; its resources keep their unqualified names (exactly one cluster is the default when there are several)",
    ),
  context: z.string().min(1).describe("kubeconfig context"),
  kubeconfig: z.string().optional().describe("kubeconfig path; default: the provider's usual lookup"),
  server: z.string().url().optional().describe("API server URL, for generated tenant kubeconfigs"),
  certificateAuthorityData: z
    .string()
    .refine(
      (s) => /^[A-Za-z0-9+/]+=*$/.test(s),
      isnt("base64 data (the API server's CA bundle, PEM, base64-encoded)"),
    )
    .optional()
    .describe(
      "the API server's CA bundle (base64 PEM), for generated tenant kubeconfigs; default: the system's trust store",
    ),
  labels: LabelMap.default({}),
});

const BundleRule = z.strictObject({
  apiGroups: z.array(z.string()).min(1),
  resources: z.array(z.string()).min(1),
  resourceNames: z.array(z.string().min(1)).min(1).optional(),
  verbs: z.array(z.string()).min(1),
});

/**
 * A role bundle: rules as data, bound in a tenant's namespaces (scope namespace) or cluster-wide (scope cluster)
 * on the clusters a grant selects. What crosses the isolation rules is refused unless marked trusted
 * (registry/rules/grants.ts says what and why).
 */
export const RoleBundle = z.strictObject({
  description: VisibleText.max(200).optional(),
  scope: z
    .enum(["namespace", "cluster"])
    .default("namespace")
    .describe(
      "namespace: a RoleBinding in each granted namespace; cluster: a ClusterRoleBinding (cluster-scoped resources only, unless trusted)",
    ),
  rules: z.array(BundleRule).min(1),
  trusted: z
    .boolean()
    .default(false)
    .describe(
      "allow rules that cross the tenant isolation (escalate, bind, impersonate, cluster-scoped writes, cluster-wide reads of namespaced objects): its grantees become shared principals",
    ),
});
