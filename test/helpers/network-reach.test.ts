/**
 * The reach evaluator (./network-reach.ts) against the API's documented semantics: AdminNetworkPolicies by
 * priority then rule order, Allow and Deny final, Pass to the NetworkPolicies, the BaselineAdminNetworkPolicy
 * only for a pod no NetworkPolicy isolates, ties kept undecided; what a connection leaves unsaid over-approximated.
 */
import { describe, expect, it } from "vitest";
import { type Connection, type NetworkWorld, decide, outcomes, podReach } from "./network-reach";

type Json = Record<string, unknown>;
const ns = (name: string, labels: Record<string, string> = {}) => ({
  ...labels,
  "kubernetes.io/metadata.name": name,
});
const NAMESPACES = {
  a: ns("a", { tenant: "a" }),
  b: ns("b", { tenant: "b" }),
  sys: ns("sys"),
};
const anp = (priority: number, spec: Json): Json => ({
  kind: "AdminNetworkPolicy",
  metadata: { name: `p${priority}` },
  spec: { priority, subject: { namespaces: { matchLabels: { tenant: "a" } } }, ...spec },
});
const fromB = [{ namespaces: { matchLabels: { tenant: "b" } } }];
const netpol = (namespace: string, spec: Json): Json => ({
  kind: "NetworkPolicy",
  metadata: { name: "np", namespace },
  spec: { podSelector: {}, ...spec },
});
const denyAll = (namespace: string) => netpol(namespace, { policyTypes: ["Ingress", "Egress"] });
const world = (w: Partial<NetworkWorld>): NetworkWorld => ({
  namespaces: NAMESPACES,
  policies: [],
  podRange: "10.244.0.0/16",
  ...w,
});
const bToA: Connection = {
  from: { namespace: "b", labels: {} },
  to: { namespace: "a", labels: {} },
  port: { port: 80, protocol: "TCP" },
};

describe("the reach evaluator", () => {
  it("AdminNetworkPolicies: the lowest priority first, rules in order, Allow and Deny final", () => {
    const deny = anp(10, { ingress: [{ action: "Deny", from: fromB }] });
    const allow = anp(20, { ingress: [{ action: "Allow", from: fromB }] });
    expect(decide(world({ adminPolicies: [allow, deny] }), bToA)).toBe("deny");
    // an Allow before a Deny in one policy; an Allow overrides a NetworkPolicy's deny
    const both = anp(5, {
      ingress: [
        { action: "Allow", from: fromB },
        { action: "Deny", from: fromB },
      ],
    });
    expect(decide(world({ adminPolicies: [both], policies: [denyAll("a")] }), bToA)).toBe("allow");
  });

  it("Pass hands the connection to the NetworkPolicies, skipping every later AdminNetworkPolicy rule", () => {
    const pass = anp(10, { ingress: [{ action: "Pass", from: fromB }] });
    const deny = anp(20, { ingress: [{ action: "Deny", from: fromB }] });
    expect(decide(world({ adminPolicies: [pass, deny] }), bToA)).toBe("allow");
    expect(decide(world({ adminPolicies: [pass, deny], policies: [denyAll("a")] }), bToA)).toBe("deny");
    const allowB = netpol("a", {
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { tenant: "b" } } }] }],
    });
    expect(decide(world({ adminPolicies: [pass], policies: [denyAll("a"), allowB] }), bToA)).toBe("allow");
  });

  it("the BaselineAdminNetworkPolicy decides only for a pod no NetworkPolicy isolates", () => {
    const baselinePolicy = {
      kind: "BaselineAdminNetworkPolicy",
      metadata: { name: "default" },
      spec: { subject: { namespaces: {} }, ingress: [{ action: "Deny", from: [{ namespaces: {} }] }] },
    };
    expect(decide(world({ baselinePolicy }), bToA)).toBe("deny");
    const allowB = netpol("a", {
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: {} }] }],
    });
    expect(decide(world({ baselinePolicy, policies: [allowB] }), bToA)).toBe("allow");
  });

  it("ports, networks over pod addresses and addresses outside", () => {
    const deny = anp(1, {
      egress: [
        {
          action: "Deny",
          to: [{ networks: ["10.244.0.0/16"] }],
          ports: [{ portNumber: { port: 22, protocol: "TCP" } }],
        },
        { action: "Deny", to: [{ networks: ["169.254.0.0/16"] }] },
      ],
    });
    const w = world({ adminPolicies: [deny] });
    const aToB = (port: number): Connection => ({
      from: { namespace: "a", labels: {} },
      to: { namespace: "b", labels: {} },
      port: { port, protocol: "TCP" },
    });
    expect(decide(w, aToB(22))).toBe("deny");
    expect(decide(w, aToB(80))).toBe("allow");
    expect(decide(w, { from: { namespace: "a", labels: {} }, to: { address: "169.254.169.254" } })).toBe(
      "deny",
    );
    expect(decide(w, { from: { namespace: "a", labels: {} }, to: { address: "8.8.8.8" } })).toBe("allow");
  });

  it("two policies of one priority that disagree: either outcome (the API leaves it undefined)", () => {
    const deny = anp(10, { ingress: [{ action: "Deny", from: fromB }] });
    const allow = anp(10, { ingress: [{ action: "Allow", from: fromB }] });
    expect([...outcomes(world({ adminPolicies: [deny, allow] }), bToA)].sort()).toEqual(["allow", "deny"]);
    expect(() => decide(world({ adminPolicies: [deny, allow] }), bToA)).toThrow(/no single outcome/);
  });

  it("over-approximates what a connection leaves unsaid: pod labels, ports", () => {
    const onlyWeb = netpol("a", {
      podSelector: { matchLabels: { app: "web" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { tenant: "b" } } }], ports: [{ port: 80 }] }],
    });
    const w = world({ policies: [denyAll("a"), onlyWeb] });
    expect([...outcomes(w, { from: { namespace: "b" }, to: { namespace: "a" } })].sort()).toEqual([
      "allow",
      "deny",
    ]);
    expect(podReach(w, "b", "a")).toBe(true);
    expect(decide(w, { ...bToA, to: { namespace: "a", labels: { app: "web" } } })).toBe("allow");
    expect(decide(w, { ...bToA, to: { namespace: "a", labels: { app: "db" } } })).toBe("deny");
    expect(
      decide(w, {
        ...bToA,
        to: { namespace: "a", labels: { app: "web" } },
        port: { port: 81, protocol: "TCP" },
      }),
    ).toBe("deny");
  });

  it("refuses what it does not model rather than guess", () => {
    const nodes = anp(1, { egress: [{ action: "Deny", to: [{ nodes: {} }] }] });
    expect(() =>
      outcomes(world({ adminPolicies: [nodes] }), { from: { namespace: "a" }, to: { address: "10.0.0.1" } }),
    ).toThrow(/peer this evaluator does not know/);
  });
});
