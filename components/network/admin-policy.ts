/**
 * A tenant's AdminNetworkPolicy as plain data (ARCHITECTURE.md, "Isolation"): the platform's cross-tenant denies in
 * sig-network's policy.networking.k8s.io/v1alpha1 (network-policy-api v0.1.x, its standard channel), which every
 * AdminNetworkPolicy evaluates before any NetworkPolicy, so no tenant NetworkPolicy can override them.
 *
 * Subject: the tenant's namespaces (the `tenancy.io/tenant` label, which tenants cannot write). Rules, in order
 * (the first that matches decides):
 *
 * - ingress: Pass from the tenant's own namespaces, from the ingress controller's pods and from the declared
 *   `network.extraIngress` namespace peers (their pods, their ports); Deny from every other namespace's pods;
 * - egress: Pass to the tenant's own namespaces, to DNS (its pods, port 53) and to the declared
 *   `network.extraEgress` namespace peers (their pods, their ports); Deny to every other namespace's pods (other
 *   tenants, the ingress controller and its admission webhook, CVE-2025-1974, the platform); Pass to the declared
 *   `network.extraEgress` CIDRs (their ports); Deny to the reserved ranges (cloud metadata, link-local,
 *   `network.reserved`).
 *
 * Pass, never Allow: what passes is decided by the NetworkPolicies, the platform's (default deny, same tenant as
 * `network.from` says, DNS, the ingress controller, the extras) and the tenant's own, as without this policy; Allow
 * would override them (and `network.from` with them). So the policy only takes away: the platform's flows stay
 * as the NetworkPolicies allow them, and a tenant NetworkPolicy admitted past the `networkPolicies` admission
 * policy (a cluster without it, or with it off) reaches no other tenant, no platform pod and no reserved range.
 * Traffic no rule matches (the internet outside the reserved ranges, host-network and node traffic) goes on to
 * the NetworkPolicies too. A `networks` peer matches pod addresses as well (the API says so): the Deny of every
 * namespace's pods comes before the extra CIDRs' Pass, so an extra CIDR over the pod range reaches no pod.
 *
 * One priority for every tenant's policy (the environment's `priority`): the API leaves ties undefined only where
 * two policies could both match a connection in one direction, and no two of these can, since a pod's namespace
 * carries one tenant label; per-tenant priorities would run out at 1001 tenants.
 */
import { DNS_PORTS, type NetworkPeer, type NetworkSettings, deniedRanges } from "./policy";
import { NAMESPACE_NAME_LABEL, TENANT_LABEL, tenantLabels } from "../core/labels";

export const ADMIN_NETWORK_POLICY_API = "policy.networking.k8s.io/v1alpha1";
/** Rules per direction, peers per rule, CIDRs per `networks` peer (the CRD's maxItems). */
export const ANP_LIMITS = { rules: 100, peers: 100, networks: 25 } as const;

type Selector = { matchLabels: Record<string, string> };
/** An AdminNetworkPolicy peer (the subset tenancy writes). */
export type AdminPeer =
  | { namespaces: Selector | Record<string, never> }
  | { pods: { namespaceSelector: Selector; podSelector: Selector } }
  | { networks: string[] };
export type AdminPort = { portNumber: { port: number; protocol: "TCP" | "UDP" } };
export interface AdminRule {
  name: string;
  action: "Pass" | "Deny";
  from?: AdminPeer[];
  to?: AdminPeer[];
  ports?: AdminPort[];
}
export interface AdminNetworkPolicySpec {
  priority: number;
  subject: { namespaces: Selector };
  ingress: AdminRule[];
  egress: AdminRule[];
}

/** The metadata.name of a tenant's AdminNetworkPolicy (cluster-scoped: one per tenant and cluster). */
export const adminPolicyName = (tenant: string): string => `tenancy-tenant-${tenant}`;

/** A declared namespace peer: its namespace by the immutable name label, its pods if it names them. */
function namespacePeer(namespace: string, podLabels?: Record<string, string>): AdminPeer {
  const namespaceSelector = { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } };
  return podLabels
    ? { pods: { namespaceSelector, podSelector: { matchLabels: { ...podLabels } } } }
    : { namespaces: namespaceSelector };
}

const portsOf = (p: NetworkPeer) =>
  p.ports?.length
    ? { ports: p.ports.map((x) => ({ portNumber: { port: x.port, protocol: x.protocol } })) }
    : {};

/**
 * How many rules each direction of the policy has for `net`: each must stay within the CRD's 100, and the
 * reserved ranges within 100 peers of 25 (components/network/rules.ts checks the environment against them).
 */
export function ruleCounts(net: NetworkSettings & { reserved?: readonly string[] }): {
  ingress: number;
  egress: number;
  reservedPeers: number;
} {
  const extraIngress = (net.extraIngress ?? []).filter((p) => p.namespace !== undefined).length;
  return {
    // same tenant, the ingress controller, every other namespace, and one per extra namespace
    ingress: 3 + extraIngress,
    // same tenant, DNS, every other namespace, the reserved ranges, and one per extra (a namespace or a CIDR)
    egress: 4 + (net.extraEgress ?? []).length,
    reservedPeers: Math.ceil(deniedRanges(net).length / ANP_LIMITS.networks),
  };
}

/** A tenant's AdminNetworkPolicy spec for the environment's network settings. */
export function adminNetworkPolicySpec(
  tenant: string,
  net: NetworkSettings & { reserved?: readonly string[] },
  priority: number,
): AdminNetworkPolicySpec {
  const own: AdminPeer = { namespaces: { matchLabels: { [TENANT_LABEL]: tenant } } };
  const everyNamespace: AdminPeer = { namespaces: {} };
  const extraIngress = (net.extraIngress ?? []).flatMap((p, i): AdminRule[] =>
    p.namespace === undefined
      ? [] // an address: no ingress peer of the API, and no pod: the NetworkPolicies decide it
      : [
          {
            name: `extra-ingress-${i}`,
            action: "Pass",
            from: [namespacePeer(p.namespace, p.podLabels)],
            ...portsOf(p),
          },
        ],
  );
  const extraEgress = (net.extraEgress ?? []).map((p, i) => ({ p, i }));
  const reserved = deniedRanges(net);
  const chunks: string[][] = [];
  for (let i = 0; i < reserved.length; i += ANP_LIMITS.networks)
    chunks.push(reserved.slice(i, i + ANP_LIMITS.networks));
  return {
    priority,
    subject: { namespaces: { matchLabels: { [TENANT_LABEL]: tenant } } },
    ingress: [
      { name: "same-tenant", action: "Pass", from: [own] },
      {
        name: "ingress-controller",
        action: "Pass",
        from: [namespacePeer(net.ingressController.namespace, net.ingressController.podLabels)],
      },
      ...extraIngress,
      { name: "other-namespaces", action: "Deny", from: [everyNamespace] },
    ],
    egress: [
      { name: "same-tenant", action: "Pass", to: [own] },
      {
        name: "dns",
        action: "Pass",
        to: [namespacePeer(net.dns.namespace, net.dns.podLabels)],
        ports: DNS_PORTS.map((p) => ({ portNumber: p })),
      },
      ...extraEgress.flatMap(({ p, i }): AdminRule[] =>
        p.namespace === undefined
          ? []
          : [
              {
                name: `extra-egress-${i}`,
                action: "Pass",
                to: [namespacePeer(p.namespace, p.podLabels)],
                ...portsOf(p),
              },
            ],
      ),
      { name: "other-namespaces", action: "Deny", to: [everyNamespace] },
      ...extraEgress.flatMap(({ p, i }): AdminRule[] =>
        p.cidr === undefined
          ? []
          : [{ name: `extra-egress-${i}`, action: "Pass", to: [{ networks: [p.cidr] }], ...portsOf(p) }],
      ),
      { name: "reserved", action: "Deny", to: chunks.map((networks) => ({ networks })) },
    ],
  };
}

/** A tenant's AdminNetworkPolicy object. */
export function adminNetworkPolicy(
  tenant: string,
  net: NetworkSettings & { reserved?: readonly string[] },
  priority: number,
): { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: AdminNetworkPolicySpec } {
  return {
    apiVersion: ADMIN_NETWORK_POLICY_API,
    kind: "AdminNetworkPolicy",
    metadata: { name: adminPolicyName(tenant), labels: tenantLabels(tenant) },
    spec: adminNetworkPolicySpec(tenant, net, priority),
  };
}
