/**
 * The environment's network settings on their own (registry/rules/environment.ts runs it): no declared egress
 * peer opens the ingress controller, and with AdminNetworkPolicies on, what the policies are made of fits the
 * AdminNetworkPolicy API (components/network/admin-policy.ts).
 */
import type { EnvironmentModel } from "../../registry/model";
import type { PathSegment } from "../core/problems";
import { show } from "../core/problems";
import { parsePrefix } from "../core/cidr";
import { ANP_LIMITS, ruleCounts } from "./admin-policy";

export function checkNetwork(
  env: EnvironmentModel,
  at: (path: PathSegment[], message: string) => void,
): void {
  const net = env.network;
  // every tenant pod would reach the controller's admission webhook (CVE-2025-1974): the platform's own
  // NetworkPolicies would allow what the networkPolicies admission policy refuses tenants
  net.extraEgress.forEach((p, i) => {
    if (p.namespace !== undefined && p.namespace === net.ingressController.namespace)
      at(
        ["network", "extraEgress", i, "namespace"],
        `${show(p.namespace)} is the ingress controller's namespace (network.ingressController.namespace): egress there would let every tenant's pods reach its admission webhook (CVE-2025-1974); the controller reaches tenants, not the other way round`,
      );
  });
  if (!net.adminNetworkPolicy.enabled) return;
  const counts = ruleCounts(net);
  if (counts.ingress > ANP_LIMITS.rules)
    at(
      ["network", "extraIngress"],
      `has ${counts.ingress - 3} namespace peers: with network.adminNetworkPolicy.enabled each is an ingress rule of the tenants' AdminNetworkPolicies, which hold at most ${ANP_LIMITS.rules} (${ANP_LIMITS.rules - 3} extra namespaces)`,
    );
  if (counts.egress > ANP_LIMITS.rules)
    at(
      ["network", "extraEgress"],
      `has ${net.extraEgress.length} peers: with network.adminNetworkPolicy.enabled each is an egress rule of the tenants' AdminNetworkPolicies, which hold at most ${ANP_LIMITS.rules} (${ANP_LIMITS.rules - 4} extras)`,
    );
  if (counts.reservedPeers > ANP_LIMITS.peers)
    at(
      ["network", "reserved"],
      `has ${net.reserved.length} ranges: with network.adminNetworkPolicy.enabled they are denied in one AdminNetworkPolicy rule, of at most ${ANP_LIMITS.peers * ANP_LIMITS.networks} ranges (the three always reserved among them)`,
    );
  // the CRD checks a networks entry with Kubernetes' CEL isCIDR (Go's netip.ParsePrefix), stricter than a
  // NetworkPolicy's ipBlock (no leading zeros, no IPv4-mapped IPv6), and at most 43 characters long
  const networksEntry = (path: PathSegment[], cidr: string) => {
    if (!parsePrefix(cidr))
      at(
        path,
        `${show(cidr)} is no CIDR as Kubernetes' CEL parses it (isCIDR: no leading zeros, no IPv4-mapped IPv6), which the AdminNetworkPolicy CRD requires with network.adminNetworkPolicy.enabled`,
      );
    else if (cidr.length > MAX_CIDR_LENGTH)
      at(
        path,
        `${show(cidr)} is longer than the ${MAX_CIDR_LENGTH} characters the AdminNetworkPolicy CRD takes (network.adminNetworkPolicy.enabled): write it without an embedded IPv4 address`,
      );
  };
  net.extraEgress.forEach((p, i) => {
    if (p.cidr !== undefined) networksEntry(["network", "extraEgress", i, "cidr"], p.cidr);
  });
  net.reserved.forEach((r, i) => networksEntry(["network", "reserved", i], r));
}

/** The AdminNetworkPolicy CRD's maxLength of a `networks` entry. */
const MAX_CIDR_LENGTH = 43;
