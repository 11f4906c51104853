/** The namespace concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { ClusterSelector } from "../clusters/schema";
import { show } from "../core/problems";
import { Count, NamespaceName, Quantity } from "../core/schema";
import { NamespaceReach } from "../network/schema";
import { unknownKeyMessage } from "../../registry/parse";

const FIXED_QUOTA = {
  "requests.cpu": Quantity.optional(),
  "limits.cpu": Quantity.optional(),
  "requests.memory": Quantity.optional(),
  "limits.memory": Quantity.optional(),
  "requests.storage": Quantity.optional(),
  "requests.ephemeral-storage": Quantity.optional(),
  "limits.ephemeral-storage": Quantity.optional(),
  persistentvolumeclaims: Count.optional(),
  pods: Count.optional(),
  services: Count.optional(),
  "services.loadbalancers": Count.optional(),
  "services.nodeports": Count.optional(),
};

type FixedQuotaKey = keyof typeof FIXED_QUOTA;

/** The quota keys with a name of their own; besides them, `count/<resource>[.<group>]` object counts. */
export const FIXED_QUOTA_KEYS = Object.keys(FIXED_QUOTA) as FixedQuotaKey[];

/** Kubernetes' object-count quota: `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export const COUNT_QUOTA_KEY = /^count\/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * ResourceQuota hard limits, with Kubernetes' own key names: the fixed keys and any `count/<resource>` key.
 * Every key is checked here (an unknown one is a typo), in the same pass as the values.
 */
export const Quota = z
  .object(FIXED_QUOTA)
  .catchall(z.unknown())
  .superRefine(
    (q, ctx) => {
      for (const [key, value] of Object.entries(q)) {
        if (Object.hasOwn(FIXED_QUOTA, key)) continue;
        if (!COUNT_QUOTA_KEY.test(key)) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: unknownKeyMessage(key, [...FIXED_QUOTA_KEYS, "count/<resource>[.<group>]"]),
          });
          continue;
        }
        const count = Count.safeParse(value);
        if (!count.success)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `${show(value)} is not a whole number of objects`,
          });
      }
    },
    // every unknown key is reported, even when a known key's value is wrong too (but only of a mapping)
    {
      when: (payload: { value: unknown }) =>
        typeof payload.value === "object" && payload.value !== null && !Array.isArray(payload.value),
    } as never,
  )
  .transform((q) => {
    const out: Partial<Record<QuotaKey, string>> = {};
    for (const [key, value] of Object.entries(q))
      if (value !== undefined) out[key as QuotaKey] = String(value);
    return out;
  })
  .describe(
    "ResourceQuota hard limits (Kubernetes key names, and count/<resource>[.<group>] object counts); values are Kubernetes quantities",
  );

export type QuotaKey = FixedQuotaKey | `count/${string}`;

/**
 * A container's resources a LimitRange bounds. Ephemeral storage too: where the quota counts it, a container
 * that sets none is refused by quota admission unless a default supplies one.
 */
const CpuMemory = z.strictObject({
  cpu: Quantity.optional(),
  memory: Quantity.optional(),
  "ephemeral-storage": Quantity.optional(),
});

/** LimitRange for containers: defaults applied to pods that set none, so they still schedule under the quota. */
export const Limits = z
  .strictObject({
    default: CpuMemory.optional().describe("default limits for containers that set none"),
    defaultRequest: CpuMemory.optional().describe("default requests for containers that set none"),
    max: CpuMemory.optional().describe("largest limits one container may set"),
  })
  .describe("LimitRange for containers");

export const PodSecurityLevel = z.enum(["privileged", "baseline", "restricted"]);

export const NamespaceEntry = z.union([
  NamespaceName,
  z.strictObject({
    name: NamespaceName,
    quota: Quota.optional(),
    limits: Limits.optional(),
    clusterSelector: ClusterSelector.optional().describe(
      "the clusters this namespace exists on; default: the tenant's",
    ),
    offboarding: z
      .boolean()
      .optional()
      .describe(
        "phase one of removing this namespace alone: access to it revoked, the namespace unprotected; remove the entry afterwards",
      ),
    network: NamespaceReach.optional(),
  }),
]);
