/**
 * The networkPolicies admission policy of the example plan (issue 25, "Network"), evaluated with an independent CEL
 * implementation (test/helpers/admission.ts, with Kubernetes' CIDR library) against tenants' own NetworkPolicies:
 * each hostile one denied (each admitted with the policy switched off, as on a main without it), and the controls a
 * tenant needs (its own namespaces, DNS, a public range, the ingress controller in) allowed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { buildPlan } from "../../../plan/plan";
import {
  type Cluster,
  type PolicyPair,
  type Request,
  admit,
  clusterOf,
  request,
} from "../../helpers/admission";
import { validateK8sObject } from "../../helpers/k8s-schema";
import { exampleEnvironmentData, exampleWithEnvironment, loadExample } from "../../plan/registries";

type Json = Record<string, unknown>;
const ALICE = { username: "oidc:alice@example.com", groups: ["system:authenticated"] };
const PLATFORM = { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] };
const POLICY = "tenancy-network-policies";

let pairs: PolicyPair[];
let cluster: Cluster;
let unguarded: PolicyPair[];
beforeAll(async () => {
  ({ pairs, cluster } = clusterOf(await buildPlan(await loadExample(), LAYERS)));
  const env = exampleEnvironmentData();
  env.admission.policies = { ...env.admission.policies, networkPolicies: false };
  unguarded = clusterOf(await buildPlan(exampleWithEnvironment(env), LAYERS)).pairs;
});

function verdict(r: Request, with_ = pairs): string {
  const d = admit(with_, cluster, r);
  return d.allowed ? "allowed" : `${d.policy}: ${d.message}`;
}

const netpol = (spec: Json, ns = "alice"): Json => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "mine", namespace: ns },
  spec: { podSelector: {}, ...spec },
});
const egress = (...rules: Json[]) => netpol({ policyTypes: ["Egress"], egress: rules });
const ingress = (...rules: Json[]) => netpol({ policyTypes: ["Ingress"], ingress: rules });
const ip = (cidr: string, except?: string[]) => ({ ipBlock: { cidr, ...(except ? { except } : {}) } });
const byName = (...names: string[]) => ({
  namespaceSelector:
    names.length === 1
      ? { matchLabels: { "kubernetes.io/metadata.name": names[0] } }
      : { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: names }] },
});
const DNS_PODS = { podSelector: { matchLabels: { "k8s-app": "kube-dns" } } };
const DNS_PORTS = [
  { port: 53, protocol: "UDP" },
  { port: 53, protocol: "TCP" },
];
/** Every reserved range of the example (always reserved, and its nodes, pods and services). */
const RESERVED_V4 = ["169.254.0.0/16", "10.0.0.0/20", "10.244.0.0/16", "10.96.0.0/12"];

const HOSTILE: [string, Json, RegExp][] = [
  [
    "egress to everything (0.0.0.0/0: cloud metadata, nodes, pods)",
    egress({ to: [ip("0.0.0.0/0")] }),
    /ipBlock/,
  ],
  ["egress to the cloud metadata address", egress({ to: [ip("169.254.169.254/32")] }), /ipBlock/],
  ["egress to a range holding link-local", egress({ to: [ip("169.254.0.0/15")] }), /ipBlock/],
  ["egress to a range inside link-local", egress({ to: [ip("169.254.169.0/24")] }), /ipBlock/],
  ["a cidr with host bits set over metadata", egress({ to: [ip("169.254.169.254/16")] }), /ipBlock/],
  [
    "everything but the metadata address alone (link-local left open)",
    egress({ to: [ip("0.0.0.0/0", ["169.254.169.254/32"])] }),
    /ipBlock/,
  ],
  [
    "everything but a part of the pod range",
    egress({ to: [ip("0.0.0.0/0", ["169.254.0.0/16", "10.0.0.0/20", "10.244.0.0/17", "10.96.0.0/12"])] }),
    /ipBlock/,
  ],
  ["IPv6 everything (AWS's fd00:ec2::254)", egress({ to: [ip("::/0")] }), /ipBlock/],
  [
    "an IPv4-mapped IPv6 metadata address",
    egress({ to: [ip("::ffff:169.254.169.254/128")] }),
    /error|ipBlock/,
  ],
  [
    "the ingress controller's pods by address, its webhook port (CVE-2025-1974)",
    egress({ to: [ip("10.244.7.0/24")], ports: [{ port: 8443, protocol: "TCP" }] }),
    /ipBlock/,
  ],
  ["the nodes (kubelet)", egress({ to: [ip("10.0.0.0/8")], ports: [{ port: 10250 }] }), /ipBlock/],
  ["ingress from everywhere, pods included", ingress({ from: [ip("0.0.0.0/0")] }), /ipBlock/],
  ["an egress rule without peers (every destination)", egress({ ports: [{ port: 443 }] }), /name its peers/],
  ["an ingress rule without peers (every source)", ingress({}), /name its peers/],
  ["an empty peer list", egress({ to: [] }), /name its peers/],
  ["egress to every namespace ({})", egress({ to: [{ namespaceSelector: {} }] }), /send traffic only/],
  ["ingress from every namespace ({})", ingress({ from: [{ namespaceSelector: {} }] }), /admit traffic only/],
  ["egress to another tenant's namespace", egress({ to: [byName("bob-prod")] }), /send traffic only/],
  ["egress to own and another's (In)", egress({ to: [byName("alice", "bob-prod")] }), /send traffic only/],
  [
    "ingress from another tenant by the tenant label",
    ingress({ from: [{ namespaceSelector: { matchLabels: { "tenancy.io/tenant": "bob" } } }] }),
    /admit traffic only/,
  ],
  [
    "egress to every namespace but the tenant's (NotIn)",
    egress({
      to: [
        {
          namespaceSelector: {
            matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["alice"] }],
          },
        },
      ],
    }),
    /send traffic only/,
  ],
  [
    "namespaces by a label tenants may set elsewhere",
    ingress({ from: [{ namespaceSelector: { matchLabels: { team: "alice" } } }] }),
    /admit traffic only/,
  ],
  [
    "egress to the ingress controller's namespace, its webhook port (CVE-2025-1974)",
    egress({ to: [byName("ingress-nginx")], ports: [{ port: 8443, protocol: "TCP" }] }),
    /ingress controller/,
  ],
  [
    "egress to the whole DNS namespace (kube-system)",
    egress({ to: [byName("kube-system")] }),
    /send traffic only/,
  ],
  [
    "egress to the DNS pods on another port",
    egress({ to: [{ ...byName("kube-system"), ...DNS_PODS }], ports: [{ port: 9153, protocol: "TCP" }] }),
    /send traffic only/,
  ],
  [
    "egress to the DNS pods on a port range from 53",
    egress({ to: [{ ...byName("kube-system"), ...DNS_PODS }], ports: [{ port: 53, endPort: 65535 }] }),
    /send traffic only/,
  ],
  [
    "egress to the DNS pods on any port",
    egress({ to: [{ ...byName("kube-system"), ...DNS_PODS }] }),
    /send traffic only/,
  ],
  [
    "ingress from the DNS namespace (no declared ingress peer)",
    ingress({ from: [byName("kube-system")] }),
    /admit traffic only/,
  ],
];

describe("the networkPolicies policy", () => {
  it("is planned, valid against the Kubernetes schema, and reads the tenant's parameters", () => {
    const p = pairs.find((x) => (x.policy.metadata as { name: string }).name === POLICY);
    expect(p).toBeDefined();
    validateK8sObject(p!.policy);
    validateK8sObject(p!.binding);
    expect(p!.binding.spec).toHaveProperty("paramRef");
  });

  it.each(HOSTILE)("denies %s (admitted without the policy)", (_, np, message) => {
    for (const obj of [np, { ...np, metadata: { name: "mine", namespace: "alice-dev" } }]) {
      expect(verdict(request("CREATE", ALICE, obj), unguarded)).toBe("allowed");
      const v = verdict(request("CREATE", ALICE, obj));
      expect(v.startsWith(`${POLICY}: `), v).toBe(true);
      expect(v).toMatch(message);
    }
    // nor by an update of a harmless policy
    const before = egress({ to: [byName("alice")] });
    expect(verdict(request("UPDATE", ALICE, np, before))).toMatch(new RegExp(`^${POLICY}: `));
  });

  it.each<[string, Json]>([
    ["a default deny of the tenant's own", netpol({ policyTypes: ["Ingress", "Egress"] })],
    ["pods of the same namespace", ingress({ from: [{ podSelector: { matchLabels: { app: "web" } } }] })],
    ["its own namespace by name", ingress({ from: [byName("alice-dev")] })],
    ["its own namespaces (In)", egress({ to: [byName("alice", "alice-dev")] })],
    [
      "its own namespaces by the tenant label",
      egress({ to: [{ namespaceSelector: { matchLabels: { "tenancy.io/tenant": "alice" } } }] }),
    ],
    [
      "its own namespace's pods",
      egress({ to: [{ ...byName("alice-dev"), podSelector: { matchLabels: { app: "db" } } }] }),
    ],
    [
      "DNS egress as the platform declares it",
      egress({ to: [{ ...byName("kube-system"), ...DNS_PODS }], ports: DNS_PORTS }),
    ],
    [
      "DNS egress over UDP only",
      egress({ to: [{ ...byName("kube-system"), ...DNS_PODS }], ports: [{ port: 53, protocol: "UDP" }] }),
    ],
    ["a public range", egress({ to: [ip("203.0.113.0/24")], ports: [{ port: 443 }] })],
    ["a public IPv6 range", egress({ to: [ip("2001:db8::/32")] })],
    ["the internet, every reserved range carved out", egress({ to: [ip("0.0.0.0/0", RESERVED_V4)] })],
    ["the internet, wider carve-outs", egress({ to: [ip("0.0.0.0/0", ["169.254.0.0/16", "10.0.0.0/8"])] })],
    [
      "ingress from the internet, reserved ranges carved out",
      ingress({ from: [ip("0.0.0.0/0", RESERVED_V4)] }),
    ],
    ["ingress from the ingress controller", ingress({ from: [{ ...byName("ingress-nginx") }] })],
    ["ingress from the declared monitoring peer", ingress({ from: [byName("monitoring")] })],
    ["the database range the platform allows", egress({ to: [ip("10.20.0.0/16")], ports: [{ port: 5432 }] })],
  ])("allows %s", (_, np) => {
    expect(verdict(request("CREATE", ALICE, np))).toBe("allowed");
  });

  it("lets the platform write its own", () => {
    expect(verdict(request("CREATE", PLATFORM, egress({ to: [ip("0.0.0.0/0")] })))).toBe("allowed");
  });
});
