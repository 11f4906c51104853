/** The network concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { isCidr, isnt, LabelMap, NamespaceName } from "../core/schema";

export const NetworkPeer = z
  .strictObject({
    namespace: NamespaceName.optional().describe("a namespace, optionally narrowed by podLabels"),
    podLabels: LabelMap.optional(),
    cidr: z
      .string()
      .refine(isCidr, isnt("a CIDR such as 10.0.0.0/16"))
      .optional()
      .describe("an IP block outside the cluster"),
    ports: z
      .array(
        z.strictObject({
          port: z.number().int().min(1).max(65535),
          protocol: z.enum(["TCP", "UDP"]).default("TCP"),
        }),
      )
      .optional(),
  })
  .refine((p) => (p.namespace === undefined) !== (p.cidr === undefined), {
    error: "a network peer needs exactly one of namespace or cidr",
  })
  .refine((p) => p.cidr === undefined || p.podLabels === undefined, {
    error: "podLabels only go with namespace, not with cidr",
  });
