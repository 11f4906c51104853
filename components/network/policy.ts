/**
 * A tenant namespace's fences as plain data: its NetworkPolicy specs (default deny, the tenant's own namespaces,
 * DNS, the ingress controller, the environment's extras) and its Pod Security labels.
 */
import type { PodSecurity } from "../../registry/model";
import { NAMESPACE_NAME_LABEL, TENANT_LABEL } from "../core/labels";
import { ALWAYS_RESERVED } from "./schema";

/** What DNS egress allows: port 53, both protocols. */
export const DNS_PORTS = [
  { port: 53, protocol: "UDP" },
  { port: 53, protocol: "TCP" },
] as const;

/**
 * The ranges no tenant may reach (the admission policy refuses an ipBlock into them, the AdminNetworkPolicy denies
 * them): always reserved first, then the environment's, once each.
 */
export function deniedRanges(net: { reserved?: readonly string[] }): string[] {
  return [...new Set([...ALWAYS_RESERVED, ...(net.reserved ?? [])])];
}

export interface NetworkPeer {
  namespace?: string;
  podLabels?: Record<string, string>;
  cidr?: string;
  ports?: { port: number; protocol: "TCP" | "UDP" }[];
}

export interface NetworkSettings {
  /** Where cluster DNS runs; the only egress allowed outside the tenant by default. */
  dns: { namespace: string; podLabels: Record<string, string> };
  /** The ingress controller, allowed in. */
  ingressController: { namespace: string; podLabels?: Record<string, string> };
  /** Further allowances, opt-in from the environment. @default - none */
  extraIngress?: NetworkPeer[];
  /** @default - none */
  extraEgress?: NetworkPeer[];
}

type LabelSelector = {
  matchLabels: Record<string, string>;
  matchExpressions?: { key: string; operator: "In"; values: string[] }[];
};
/** A NetworkPolicy peer, as Kubernetes' networking/v1 API writes it. */
export type PolicyPeer =
  { namespaceSelector: LabelSelector; podSelector?: LabelSelector } | { ipBlock: { cidr: string } };
type PolicyPort = { port: number; protocol: "TCP" | "UDP" };

/** A NetworkPolicy's spec, as Kubernetes' networking/v1 API writes it (the subset tenancy generates). */
export interface NetworkPolicySpec {
  podSelector: Record<string, never>;
  policyTypes: ("Ingress" | "Egress")[];
  ingress?: { from: PolicyPeer[]; ports?: PolicyPort[] }[];
  egress?: { to: PolicyPeer[]; ports?: PolicyPort[] }[];
}

/**
 * The NetworkPolicies that fence a namespace in, as opposed to those that allow something: removing a fence
 * opens the namespace, removing an allowance only closes it further. Fences are protected with the namespace.
 */
export const FENCE_POLICIES: ReadonlySet<string> = new Set(["default-deny"]);

/** Pod Security admission labels for a namespace. */
export function podSecurityLabels(ps: PodSecurity): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ["enforce", "audit", "warn"] as const) {
    labels[`pod-security.kubernetes.io/${mode}`] = ps[mode];
    labels[`pod-security.kubernetes.io/${mode}-version`] = ps.version;
  }
  return labels;
}

/** A NetworkPolicy peer for a namespace (selected by its immutable name label) and optional pod labels. */
function namespacePeer(namespace: string, podLabels?: Record<string, string>): PolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
  };
}

function extraPeer(p: NetworkPeer): { peer: PolicyPeer; ports: PolicyPort[] | undefined } {
  // validation: exactly one of cidr and namespace
  const peer =
    p.cidr !== undefined ? { ipBlock: { cidr: p.cidr } } : namespacePeer(p.namespace!, p.podLabels);
  return { peer, ports: p.ports?.map((x) => ({ port: x.port, protocol: x.protocol })) };
}

/** The tenant's namespaces among `names`, by the tenant label and the immutable name label. */
function ownNamespaces(tenant: string, names: readonly string[]): PolicyPeer {
  return {
    namespaceSelector: {
      matchLabels: { [TENANT_LABEL]: tenant },
      matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...names] }],
    },
  };
}

/**
 * Reach within the tenant (components/network/reach.ts): the tenant's namespaces this one lets in, and those that
 * let this one in. Without it (a shared app namespace), every namespace of the tenant both ways.
 */
export interface TenantReach {
  from: readonly string[];
  to: readonly string[];
}

/** The NetworkPolicy specs of a tenant namespace, keyed by the policy's role (also its name suffix). */
export function networkPolicySpecs(
  tenant: string,
  net: NetworkSettings,
  reach?: TenantReach,
): Record<string, NetworkPolicySpec> {
  const sameTenant: PolicyPeer = { namespaceSelector: { matchLabels: { [TENANT_LABEL]: tenant } } };
  const specs: Record<string, NetworkPolicySpec> = {
    "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    "same-tenant": {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [reach ? ownNamespaces(tenant, reach.from) : sameTenant] }],
      egress: [{ to: [reach ? ownNamespaces(tenant, reach.to) : sameTenant] }],
    },
    "dns-egress": {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [namespacePeer(net.dns.namespace, net.dns.podLabels)],
          ports: DNS_PORTS.map((p) => ({ ...p })),
        },
      ],
    },
    "from-ingress-controller": {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [namespacePeer(net.ingressController.namespace, net.ingressController.podLabels)] }],
    },
  };
  if (net.extraIngress?.length) {
    specs["extra-ingress"] = {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: net.extraIngress
        .map(extraPeer)
        .map(({ peer, ports }) => ({ from: [peer], ...(ports ? { ports } : {}) })),
    };
  }
  if (net.extraEgress?.length) {
    specs["extra-egress"] = {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: net.extraEgress
        .map(extraPeer)
        .map(({ peer, ports }) => ({ to: [peer], ...(ports ? { ports } : {}) })),
    };
  }
  return specs;
}
