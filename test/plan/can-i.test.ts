/**
 * `tenancy can-i`: allowed and denied answers in Kubernetes RBAC and Vault ACLs, for a prefix-sharing pair
 * (`alice` / `alice-dev`) in both Vault layouts, with the grant or the deciding rule as the reason; and the
 * command's exit codes.
 */
import { describe, expect, it } from "vitest";
import { LAYERS } from "../../stacks/layers";
import { accessMatrix } from "../../plan/access";
import { canI } from "../../plan/can-i";
import type { AccessRow } from "../../policy/access";
import { buildPlan } from "../../plan/plan";
import { runCli } from "../helpers/cli";
import { exampleEnvironmentData, registryOf } from "./registries";

async function rowsFor(layout: "prefixed" | "top-level") {
  const env = exampleEnvironmentData();
  env.vault.tenantPaths = layout;
  const model = registryOf(
    {
      alice: { email: "alice@example.com" },
      "alice-dev": { email: "alice-dev@example.com", namespaces: ["alice-dev", "alice-dev-x"] },
    },
    env,
  );
  return accessMatrix(model, await buildPlan(model, LAYERS));
}

const ALICE = "user:alice@example.com";
const ALICE_DEV = "user:alice-dev@example.com";

describe("can-i, Kubernetes", () => {
  it("allows in the tenant's own namespace with the binding as the reason, denies in the prefix-sharing neighbour's", async () => {
    const rows = await rowsFor("prefixed");
    const own = canI(rows, {
      principal: ALICE,
      verb: "create",
      resource: "apps/deployments",
      namespace: "alice",
    });
    expect(own).toMatchObject({ allowed: true, scope: "namespace:alice" });
    expect(own.via).toContain("RoleBinding alice/tenant-owner -> ClusterRole tenancy-namespace-owner");
    for (const ns of ["alice-dev", "alice-dev-x"]) {
      const other = canI(rows, { principal: ALICE, verb: "get", resource: "pods", namespace: ns });
      expect(other, ns).toMatchObject({ allowed: false, via: [] });
      expect(other.reason).toBe(`no binding of ${ALICE} grants get on pods in namespace ${ns}`);
    }
    // and the neighbour cannot reach alice either
    expect(
      canI(rows, { principal: ALICE_DEV, verb: "get", resource: "secrets", namespace: "alice" }).allowed,
    ).toBe(false);
    // nothing at cluster scope: her tier has no clusterReader (the class objects only with it)
    expect(canI(rows, { principal: ALICE, verb: "list", resource: "namespaces" }).allowed).toBe(false);
    expect(
      canI(rows, { principal: ALICE, verb: "list", resource: "storage.k8s.io/storageclasses" }).allowed,
    ).toBe(false);
    // a verb the role lacks
    expect(
      canI(rows, { principal: ALICE, verb: "update", resource: "resourcequotas", namespace: "alice" })
        .allowed,
    ).toBe(false);
  });
});

describe("can-i, Vault", () => {
  it.each(["prefixed", "top-level"] as const)(
    "%s layout: own paths allowed, the neighbour's denied, with the deciding rule",
    async (layout) => {
      const rows = await rowsFor(layout);
      const kv = (t: string) =>
        layout === "prefixed" ? `secret/data/tenants/${t}/db` : `secret/data/${t}/db`;
      const own = canI(rows, { principal: ALICE, verb: "read", resource: "", path: kv("alice") });
      expect(own.allowed).toBe(true);
      expect(own.reason).toMatch(/^the deciding rule secret\/data\/(tenants\/)?alice\/\* grants /);
      const neighbour = canI(rows, { principal: ALICE, verb: "read", resource: "", path: kv("alice-dev") });
      expect(neighbour).toMatchObject({ allowed: false, via: [] });
      expect(neighbour.reason).toBe(`no policy path of ${ALICE} matches ${kv("alice-dev")}`);
      // deployer credentials: its own namespaces' only
      expect(
        canI(rows, {
          principal: ALICE_DEV,
          verb: "update",
          resource: "",
          path: "kubernetes/creds/alice-dev-x-deployer",
        }).allowed,
      ).toBe(true);
      expect(
        canI(rows, {
          principal: ALICE,
          verb: "update",
          resource: "",
          path: "kubernetes/creds/alice-dev-deployer",
        }).allowed,
      ).toBe(false);
      // a capability the rule does not have
      const del = canI(rows, { principal: ALICE, verb: "sudo", resource: "", path: kv("alice") });
      expect(del.allowed).toBe(false);
      expect(del.reason).toMatch(/, not sudo$/);
    },
  );
});

describe("tenancy can-i", () => {
  it("exit 0 allowed, 1 denied, 2 for a question that is not one", () => {
    const yes = runCli(["can-i", "alice", "get", "pods", "--namespace", "alice"]);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(
      /^yes: user:alice@example\.com may get pods in namespace:alice on cluster main: /,
    );
    const no = runCli(["can-i", "alice", "read", "--path", "secret/data/tenants/bob/x", "--json"]);
    expect(no.code).toBe(1);
    expect(JSON.parse(no.stdout)).toMatchObject({
      allowed: false,
      system: "vault",
      principal: "user:alice@example.com",
    });
    expect(runCli(["can-i", "nosuch", "get", "pods"]).code).toBe(2);
    expect(runCli(["can-i", "alice", "get"]).code).toBe(2);
  });
});

describe("can-i, objects by name and clusters", () => {
  const row = (over: Partial<AccessRow>): AccessRow => ({
    principal: "user:erin@example.com",
    tenant: "erin",
    system: "kubernetes",
    cluster: "main",
    scope: "namespace:erin",
    resource: "configmaps",
    apiGroup: "",
    verbs: ["get"],
    via: "RoleBinding erin/x -> ClusterRole y",
    ...over,
  });
  const ask = (rows: AccessRow[], extra: { name?: string; cluster?: string }) =>
    canI(rows, {
      principal: "user:erin@example.com",
      verb: "get",
      resource: "configmaps",
      namespace: "erin",
      ...extra,
    }).allowed;

  it("a rule naming objects grants those objects only, never the resource as a whole", () => {
    const named = [row({ resourceNames: ["settings"] })];
    expect(ask(named, {})).toBe(false);
    expect(ask(named, { name: "settings" })).toBe(true);
    expect(ask(named, { name: "other" })).toBe(false);
    // an unnamed rule grants every object
    expect(ask([row({})], { name: "anything" })).toBe(true);
  });

  it("a row on another cluster grants nothing on this one; a resource in every group covers the core one", () => {
    expect(ask([row({ cluster: "eu-gpu" })], { cluster: "main" })).toBe(false);
    expect(ask([row({ cluster: "eu-gpu" })], { cluster: "eu-gpu" })).toBe(true);
    expect(ask([row({ resource: "*/configmaps", apiGroup: "*" })], { cluster: "main" })).toBe(true);
  });
});
