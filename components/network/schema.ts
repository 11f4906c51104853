/** The network concern's part of the registry's schemas (registry/schema.ts assembles the tenant and environment files): strict everywhere, an unknown key is a typo. */
import { z } from "zod";
import { parsePrefix, masked } from "../core/cidr";
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

/**
 * Ranges no tenant NetworkPolicy may open (the networkPolicies admission policy): cloud metadata and link-local
 * always (`ALWAYS_RESERVED`), plus the environment's nodes, control plane, pods, services and platform ranges.
 * Each must parse as Kubernetes' CEL `cidr()` does (the policy's expressions read it), with no host bits.
 */
export const ALWAYS_RESERVED = ["169.254.169.254/32", "169.254.0.0/16", "fd00:ec2::254/128"] as const;

export const ReservedRange = z.string().superRefine((s, ctx) => {
  const p = parsePrefix(s);
  if (!p)
    ctx.addIssue({
      code: "custom",
      message: `is ${JSON.stringify(s)}, expected an IPv4 or IPv6 CIDR as Kubernetes parses it (such as 10.0.0.0/16: no leading zeros, no zone, no IPv4-mapped IPv6)`,
    });
  else if (masked(p).addr !== p.addr)
    ctx.addIssue({
      code: "custom",
      message: `is ${JSON.stringify(s)}, which has host bits set: write the network's address (the first of the range)`,
    });
});

export const ReservedRanges = z
  .array(ReservedRange)
  .default([])
  .describe(
    `ranges tenants' NetworkPolicies may not open (ipBlock), besides ${ALWAYS_RESERVED.join(", ")} (cloud metadata, link-local) which always are: list the nodes', the control plane's, the pod and service ranges and the platform's`,
  );

/**
 * The platform's cross-tenant denies as AdminNetworkPolicies (sig-network's network-policy-api,
 * policy.networking.k8s.io/v1alpha1), on clusters that run them: one per tenant and cluster (components/network/
 * admin-policy.ts). Off by default: a cluster without the CRD would refuse the objects.
 */
export const AdminNetworkPolicySettings = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "per tenant and cluster an AdminNetworkPolicy denying its pods traffic with other tenants' and the platform's pods (but the declared peers) and egress to the reserved ranges; no tenant NetworkPolicy can override it. Needs the AdminNetworkPolicy CRD (network-policy-api v0.1.x) and a network plugin that implements it",
      ),
    priority: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(50)
      .describe(
        "the priority of every tenant's AdminNetworkPolicy (0-1000, lower first; one for all: their subjects never overlap); no other AdminNetworkPolicy of the clusters may use it (ties are undefined behaviour)",
      ),
    release: z
      .boolean()
      .default(false)
      .describe(
        "register them unprotected (still applied), so that a later up with enabled: false may delete them: they are protected like the namespaces' fences",
      ),
  })
  .prefault({})
  .describe("AdminNetworkPolicies for the tenant fences, on clusters that implement them");

/**
 * Which of the tenant's own namespaces may reach a namespace (its platform NetworkPolicies' ingress; the others'
 * egress follows): `members` (the default) those whose invited members all have access here too, so an invitation
 * to one namespace opens no other; `tenant` all of them; `namespace` none but itself; or a list of them.
 */
export const NamespaceReach = z
  .strictObject({
    from: z
      .union([z.enum(["members", "tenant", "namespace"]), z.array(NamespaceName).min(1)])
      .default("members")
      .describe(
        "which of the tenant's namespaces may reach this one: members (default: those none of whose invited members lacks access here), tenant (all), namespace (itself only), or a list of the tenant's namespaces",
      ),
  })
  .describe("network reach between the tenant's own namespaces");
