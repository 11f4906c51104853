/**
 * The networkPolicies admission policy (ARCHITECTURE.md, "Admission" and "Isolation"): bounds the NetworkPolicies
 * tenants write in their namespaces. The platform's own (default deny, the tenant's namespaces, DNS, the ingress
 * controller, the environment's extras) fence a namespace in; a tenant's own NetworkPolicy adds allowances on top,
 * which Kubernetes unions. Without this policy an allowance could open egress to cloud metadata, the nodes or any
 * pod address (0.0.0.0/0), or select other tenants' and the platform's namespaces (the ingress controller's
 * admission webhook, CVE-2025-1974). What a tenant may write:
 *
 * - every rule names its peers (a rule without `from`/`to` allows every source or destination);
 * - an `ipBlock` shares no address with a reserved range (`ALWAYS_RESERVED` and the environment's
 *   `network.reserved`) unless an `except` entry carves that whole range out; overlap is tested with Kubernetes' CEL
 *   CIDR library (1.31+), each way with `containsIP` of the other's network address (its `containsCIDR` compares
 *   the other's unmasked address, so `10.0.0.0/8` would not contain `10.1.0.0/16`);
 * - a `namespaceSelector` pins namespaces by the immutable `kubernetes.io/metadata.name` label (matchLabels, or
 *   matchExpressions `In`) or the tenant label, and only the tenant's own namespaces; in ingress also the
 *   namespaces of the declared ingress peers (the ingress controller, `network.extraIngress`); in egress also a
 *   declared egress peer (DNS, `network.extraEgress`) no wider than the platform declares it: its pod labels
 *   selected, its ports only. The ingress controller's namespace is no egress peer: its webhook stays closed.
 *   An empty selector (every namespace) or any other label is refused.
 */
import type { EnvironmentModel } from "../../registry/model";
import {
  type AdmissionPolicy,
  admissionPolicy,
  lit,
  list,
  param,
  pinsNamespaces,
  platformPrincipal,
  rule,
  WRITE,
} from "./cel";
import { NAMESPACE_NAME_LABEL, TENANT_LABEL } from "../core/labels";
import { DNS_PORTS, deniedRanges } from "../network/policy";

interface Declared {
  namespace: string;
  podLabels?: Record<string, string>;
  ports?: { port: number; protocol: "TCP" | "UDP" }[];
}

/** Whether a peer `p` of rule `r` stays within a declared egress peer: its namespace, its pods, its ports. */
function withinDeclared(d: Declared): string {
  const s = "p.namespaceSelector";
  const pods = Object.entries(d.podLabels ?? {}).map(
    ([k, v]) =>
      `(has(p.podSelector) && has(p.podSelector.matchLabels) && ${lit(k)} in p.podSelector.matchLabels && p.podSelector.matchLabels[${lit(k)}] == ${lit(v)})`,
  );
  const ports = d.ports?.length
    ? [
        "has(r.ports) && r.ports.size() > 0 && r.ports.all(x, has(x.port) && !has(x.endPort) && (" +
          d.ports
            .map(
              (q) => `(x.port == ${q.port} && (has(x.protocol) ? x.protocol : "TCP") == ${lit(q.protocol)})`,
            )
            .join(" || ") +
          "))",
      ]
    : [];
  return `(${[pinsNamespaces(s, (v) => `${v} == ${lit(d.namespace)}`), ...pods, ...ports].join(" && ")})`;
}

/** The CEL of the networkPolicies policy's validations, for the environment. */
export function networkPoliciesPolicy(env: EnvironmentModel): AdmissionPolicy {
  const net = env.network;
  const reserved = deniedRanges(net);
  const ingressPeers = [
    net.ingressController.namespace,
    ...net.extraIngress.flatMap((p) => (p.namespace !== undefined ? [p.namespace] : [])),
  ];
  const egressPeers: Declared[] = [
    {
      namespace: net.dns.namespace,
      podLabels: net.dns.podLabels,
      ports: DNS_PORTS.map((p) => ({ ...p })),
    },
    ...net.extraEgress.flatMap((p) =>
      p.namespace !== undefined ? [{ namespace: p.namespace, podLabels: p.podLabels, ports: p.ports }] : [],
    ),
  ];
  const own = (s: string) =>
    `(${pinsNamespaces(s, (v) => `${v} in variables.namespaces`)} || ` +
    `(has(${s}.matchLabels) && ${lit(TENANT_LABEL)} in ${s}.matchLabels && ${s}.matchLabels[${lit(TENANT_LABEL)}] == params.data["tenant"]))`;
  const ingressPeer =
    `(!has(p.namespaceSelector) || ${own("p.namespaceSelector")} || ` +
    `${pinsNamespaces("p.namespaceSelector", (v) => `${v} in ${list(ingressPeers)}`)})`;
  const egressPeer = `(!has(p.namespaceSelector) || ${own("p.namespaceSelector")} || ${egressPeers.map(withinDeclared).join(" || ")})`;
  // an ipBlock shares no address with a reserved range r, unless an except entry holds all of r
  const ipBlockOk =
    "(!has(p.ipBlock) || variables.reserved.all(r, " +
    "!(cidr(p.ipBlock.cidr).containsIP(r.ip()) || r.containsIP(cidr(p.ipBlock.cidr).masked().ip())) || " +
    "(has(p.ipBlock.except) && p.ipBlock.except.exists(e, cidr(e).prefixLength() <= r.prefixLength() && cidr(e).containsIP(r.ip())))))";
  const rules = (field: "ingress" | "egress", peers: "from" | "to", check: string) =>
    `(!has(object.spec.${field}) || object.spec.${field}.all(r, ${check.replaceAll("PEERS", `r.${peers}`)}))`;
  return admissionPolicy(env, "networkPolicies", {
    description:
      "Tenants' NetworkPolicies name their peers, open no reserved range (cloud metadata, link-local, the environment's nodes, pods, services and platform) and select only the tenant's own namespaces and the declared shared peers",
    rules: [rule(["networking.k8s.io"], ["networkpolicies"], WRITE)],
    params: true,
    exempt: platformPrincipal(env),
    variables: [
      ["namespaces", param("namespaces")],
      ["reserved", `${list(reserved)}.map(c, cidr(c))`],
    ],
    validations: [
      {
        expression:
          rules("ingress", "from", "has(PEERS) && PEERS.size() > 0") +
          " && " +
          rules("egress", "to", "has(PEERS) && PEERS.size() > 0"),
        message:
          "every NetworkPolicy rule must name its peers (from, to): a rule without them allows every source or destination, other tenants' pods included",
      },
      {
        expression: `${rules("ingress", "from", `!has(PEERS) || PEERS.all(p, ${ipBlockOk})`)} && ${rules("egress", "to", `!has(PEERS) || PEERS.all(p, ${ipBlockOk})`)}`,
        message: `a NetworkPolicy ipBlock may not open a reserved range (cloud metadata, link-local, the cluster's nodes, pods, services and the platform: ${reserved.join(", ")}) unless its except lists that whole range`,
      },
      {
        expression: rules("ingress", "from", `!has(PEERS) || PEERS.all(p, has(p.ipBlock) || ${ingressPeer})`),
        message: `a NetworkPolicy may admit traffic only from the tenant's own namespaces (selected by ${NAMESPACE_NAME_LABEL} or ${TENANT_LABEL}) and the platform's declared ingress peers (${ingressPeers.join(", ")}); an empty namespaceSelector is every namespace`,
      },
      {
        expression: rules("egress", "to", `!has(PEERS) || PEERS.all(p, has(p.ipBlock) || ${egressPeer})`),
        message: `a NetworkPolicy may send traffic only to the tenant's own namespaces (selected by ${NAMESPACE_NAME_LABEL} or ${TENANT_LABEL}) and the platform's declared egress peers, no wider than declared (${egressPeers.map((d) => d.namespace).join(", ")}: their pods, their ports); never to the ingress controller (its admission webhook) or another tenant`,
      },
    ],
  });
}
