/**
 * The privilege delta (plan/privilege.ts): each kind of raise found on the resolved models, and its lowering (or
 * no change) never reported as a raise.
 */
import { describe, expect, it } from "vitest";
import { type PrivilegeRaise, privilegeDelta } from "../../plan/privilege";
import type { TenantFileInput } from "../../registry/schema";
import { exampleEnvironmentData, registryOf } from "./registries";

const ERIN: TenantFileInput = { email: "erin@example.com", namespaces: ["erin"] };
const FRED: TenantFileInput = { email: "fred@example.com", namespaces: ["fred"], git: ["@fred-team"] };

/** The raises from `base` to `head` (erin's record), as `kind: what`. */
function raises(
  base: TenantFileInput,
  head: TenantFileInput,
  env: { base?: unknown; head?: unknown } = {},
): string[] {
  const b = registryOf({ erin: base, fred: FRED }, env.base ?? exampleEnvironmentData());
  const h = registryOf({ erin: head, fred: FRED }, env.head ?? exampleEnvironmentData());
  return privilegeDelta(b, h).map((r: PrivilegeRaise) => `${r.principal} ${r.kind}: ${r.what}`);
}
/** Both ways: the raise one way, nothing the other. */
function oneWay(base: TenantFileInput, head: TenantFileInput, env: { base?: unknown; head?: unknown } = {}) {
  const up = raises(base, head, env);
  expect(raises(head, base, { base: env.head, head: env.base })).toEqual([]);
  return up;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- environment data, edited
const withTier = (edit: (env: any) => void) => {
  const env = exampleEnvironmentData();
  edit(env);
  return env;
};

describe("privilegeDelta", () => {
  it("no change: nothing raised", () => {
    expect(raises(ERIN, ERIN)).toEqual([]);
  });

  it("role: namespace-owner < power-user < admin", () => {
    expect(oneWay(ERIN, { ...ERIN, role: "power-user" })).toEqual([
      "erin role: role namespace-owner -> power-user",
    ]);
    expect(oneWay({ ...ERIN, role: "power-user" }, { ...ERIN, role: "admin" })).toContain(
      "erin role: role power-user -> admin",
    );
  });

  it("tier: a tier granting more (quota, max, budget, allowances) is a raise; back down is not", () => {
    const up = oneWay(ERIN, { ...ERIN, tier: "team" });
    expect(up).toHaveLength(2);
    expect(up[0]).toMatch(
      /^erin tier: tier standard -> team: .*quota requests\.cpu 1 -> 4; .*quota services\.loadbalancers 0 -> 1; .*max services\.loadbalancers 0 -> 2; .*budget requests\.cpu 6 -> 24/,
    );
    expect(up[1]).toMatch(
      /^erin admission: admission registries \+ registry\.example\.com; serviceTypes \+ LoadBalancer/,
    );
  });

  it("the tier's clusterReader and a relaxed Pod Security level", () => {
    const env = withTier((e) => {
      e.tiers.reader = { clusterReader: true, podSecurity: { enforce: "baseline" } };
    });
    const up = oneWay(ERIN, { ...ERIN, tier: "reader" }, { base: env, head: env });
    expect(up).toContain("erin cluster-reader: clusterReader: reads the cluster's classes");
    expect(up).toContain("erin pod-security: podSecurity.enforce restricted -> baseline");
    expect(
      up.some((x) => x.startsWith("erin tier: tier standard -> reader: ") && x.includes("clusterReader")),
    ).toBe(true);
  });

  it("a tier whose containers may ask for more (limits.max) is a raise", () => {
    const env = withTier((e) => {
      e.tiers.big = { limits: { max: { cpu: "64", memory: "1Ti" } } };
    });
    const up = oneWay(ERIN, { ...ERIN, tier: "big" }, { base: env, head: env });
    expect(up).toHaveLength(1);
    expect(up[0]).toMatch(
      /^erin tier: tier standard -> big: .*limits\.max cpu \S+ -> 64; limits\.max memory \S+ -> 1Ti/,
    );
  });

  it("admission allowances widened by the environment's tier: a raise for its tenants", () => {
    const wider = withTier((e) => {
      e.tiers.standard.admission = { serviceTypes: ["NodePort"] };
    });
    // every tenant of the tier gains it
    expect(oneWay(ERIN, ERIN, { head: wider })).toEqual([
      "erin admission: admission serviceTypes + NodePort",
      "fred admission: admission serviceTypes + NodePort",
    ]);
  });

  it("grants: a new bundle, a trusted one named so, a grant on more clusters", () => {
    const env = withTier((e) => {
      e.roleBundles["node-viewer"].trusted = true;
    });
    const eu = { ...ERIN, clusterSelector: { matchLabels: { region: "eu-west" } } };
    const grant = { bundle: "node-viewer", clusterSelector: { matchLabels: { purpose: "batch" } } };
    expect(oneWay(eu, { ...eu, grants: [grant] }, { base: env, head: env })).toEqual([
      "erin grant: trusted bundle node-viewer (cluster) on eu-gpu",
    ]);
    const everywhere = { bundle: "node-viewer", clusterSelector: { matchLabels: { region: "eu-west" } } };
    expect(
      oneWay({ ...eu, grants: [grant] }, { ...eu, grants: [everywhere] }, { base: env, head: env }),
    ).toEqual(["erin grant: trusted bundle node-viewer (cluster) wider: + clusters main"]);
  });

  it("placements: a wider cluster selector, a namespace on more clusters", () => {
    expect(oneWay(ERIN, { ...ERIN, clusterSelector: { matchLabels: { purpose: "general" } } })).toEqual([
      "erin placement: placed on us-east",
      "erin placement: namespace erin on us-east",
    ]);
  });

  it("quota: beyond the tier's default is a raise (a new namespace's too); below it, or lowering, is not", () => {
    const big = {
      ...ERIN,
      namespaces: [{ name: "erin", quota: { "requests.cpu": "2", "limits.cpu": "4" } }],
    };
    expect(oneWay(ERIN, big)).toEqual([
      "erin quota: namespace erin quota beyond the tier's default: limits.cpu 2 -> 4 (tier default 2), requests.cpu 1 -> 2 (tier default 1)",
    ]);
    // below the default: a lowering, either way nothing beyond the default
    const small = { ...ERIN, namespaces: [{ name: "erin", quota: { "requests.cpu": "500m" } }] };
    expect(raises(ERIN, small)).toEqual([]);
    expect(raises(small, ERIN)).toEqual([]);
    expect(raises(ERIN, { ...ERIN, namespaces: ["erin", { name: "erin-x", quota: { pods: 30 } }] })).toEqual([
      "erin quota: namespace erin-x quota beyond the tier's default: pods 20 -> 30 (tier default 20)",
    ]);
  });

  it("memberships: an owner or a manager is a raise of the member; a viewer or developer is access only", () => {
    expect(raises(ERIN, { ...ERIN, members: [{ tenant: "fred", role: "viewer" }] })).toEqual([]);
    expect(oneWay(ERIN, { ...ERIN, members: [{ tenant: "fred", role: "owner" }] })).toEqual([
      "fred membership: member of erin: role owner in erin",
    ]);
    expect(
      oneWay(
        { ...ERIN, members: [{ tenant: "fred", role: "developer" }] },
        { ...ERIN, members: [{ tenant: "fred", role: "developer", manager: true }] },
      ),
    ).toEqual(["fred membership: member of erin: manager (reviews erin's record)"]);
  });

  it("CI: new bound claims, changed claims, more namespaces", () => {
    const ci = (claims: Record<string, string>, namespaces = ["erin"]) => ({
      ...ERIN,
      namespaces: ["erin", "erin-dev"],
      ci: { boundClaims: claims, namespaces },
    });
    const base = ci({ repository_owner: "erin-org", repository_owner_id: "1" });
    expect(raises({ ...ERIN, namespaces: ["erin", "erin-dev"] }, base)).toEqual([
      "ci:erin ci: CI deployer bound to repository_owner=erin-org, repository_owner_id=1",
    ]);
    expect(raises(base, ci({ repository_owner: "other-org", repository_owner_id: "2" }))).toEqual([
      "ci:erin ci: ci.boundClaims repository_owner=erin-org, repository_owner_id=1 -> repository_owner=other-org, repository_owner_id=2",
    ]);
    expect(
      oneWay(base, ci({ repository_owner: "erin-org", repository_owner_id: "1" }, ["erin", "erin-dev"])),
    ).toEqual(["ci:erin ci: CI deploys to erin-dev"]);
  });

  it("an offboarding tenant gains nothing", () => {
    expect(raises(ERIN, { ...ERIN, role: "admin", offboarding: true })).toEqual([]);
  });

  it("a new tenant: measured against a namespace owner of the default tier", () => {
    const b = registryOf({ fred: FRED });
    const plain = registryOf({ erin: ERIN, fred: FRED });
    expect(privilegeDelta(b, plain)).toEqual([]);
    const admin = registryOf({ erin: { ...ERIN, role: "admin" }, fred: FRED });
    expect(privilegeDelta(b, admin).map((r) => r.what)).toEqual(["role namespace-owner -> admin"]);
  });

  it("access gained at cluster scope counts as a raise of its principal", () => {
    const m = registryOf({ erin: ERIN });
    const row = {
      principal: "user:erin@example.com",
      tenant: "erin",
      system: "kubernetes" as const,
      cluster: "main",
      scope: "cluster",
      resource: "nodes",
      verbs: ["get"],
      via: "ClusterRoleBinding x",
    };
    expect(privilegeDelta(m, m, { gained: [row] })).toEqual([
      {
        principal: "user:erin@example.com",
        tenant: "erin",
        kind: "cluster-access",
        what: "cluster-wide access: 1 rule via ClusterRoleBinding x",
      },
    ]);
    expect(privilegeDelta(m, m, { gained: [{ ...row, scope: "namespace:erin" }] })).toEqual([]);
  });
});
