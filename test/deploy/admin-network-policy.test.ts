/**
 * AdminNetworkPolicies through a real run (network.adminNetworkPolicy, components/network/layer.ts), on the fake
 * engine against loopback API servers serving the CRD's kind: each tenant's policy is made before its namespaces;
 * a removed tenant's is deleted after its namespace (the namespace depends on it), so its last pods stay denied;
 * the policies are protected, so switching them off is refused until they are released, and then deletes them
 * alone.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runLayers } from "../../deploy/run";
import { SafetyError } from "../../components/core/problems";
import type { RegistryModel } from "../../registry/model";
import type { TenantFileInput } from "../../registry/schema";
import { EXAMPLE_TENANTS } from "../helpers/cli";
import { FakeEngine, type WorldStep } from "../helpers/engine";
import { type KubeServer, startKubeServer } from "../helpers/kube-server";
import { exampleEnvironmentData, registryOf } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false, layers: ["platform" as const] };
const STACK = "example-platform";
const ANP = { group: "policy.networking.k8s.io", version: "v1alpha1", kind: "AdminNetworkPolicy" };

let servers: Record<string, KubeServer>;
beforeEach(async () => {
  servers = {};
  for (const c of exampleEnvironmentData().clusters as { context: string }[])
    servers[c.context] = await startKubeServer({
      kinds: [{ ...ANP, plural: "adminnetworkpolicies", namespaced: false }],
    });
});
afterEach(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

/** The example registry with the switch as given; `withoutDave`: dave's record deleted (phase two). */
function registry(anp: Record<string, unknown>, withoutDave = false): RegistryModel {
  const env = exampleEnvironmentData();
  env.network.adminNetworkPolicy = anp;
  const tenants = Object.fromEntries(
    readdirSync(EXAMPLE_TENANTS)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => [f.slice(0, -5), parse(readFileSync(join(EXAMPLE_TENANTS, f), "utf8")) as TenantFileInput]),
  );
  if (withoutDave) delete tenants.dave;
  return registryOf(tenants, env);
}
const world = () => ({ kubernetes: servers });
const policiesIn = (server: KubeServer) =>
  server
    .list(`${ANP.group}/${ANP.version}`, ANP.kind)
    .map((o) => o.metadata.name)
    .sort();
const main = () => servers["example-admin"]!;
const urnOf = (engine: FakeEngine, name: string) =>
  engine.stacks.get(STACK)!.resources.find((r) => r.name === name)!.urn;
const adminPolicies = (engine: FakeEngine) =>
  engine.stacks.get(STACK)!.resources.filter((r) => r.type.endsWith(":AdminNetworkPolicy"));

describe("AdminNetworkPolicies applied", () => {
  it("each tenant's is made before its namespaces, and a removed tenant's goes after its namespace", async () => {
    const engine = new FakeEngine(world());
    const steps: WorldStep[] = [];
    engine.onStep = (s) => {
      steps.push(s);
    };
    await runLayers("up", registry({ enabled: true }), engine, NONE);
    expect(policiesIn(main())).toEqual([
      "tenancy-tenant-alice",
      "tenancy-tenant-bob",
      "tenancy-tenant-carol",
      "tenancy-tenant-dave",
    ]);
    expect(policiesIn(servers["example-gpu-admin"]!)).toEqual(["tenancy-tenant-alice"]);
    expect(policiesIn(servers["example-us-admin"]!)).toEqual(["tenancy-tenant-bob"]);
    const made = (name: string) => steps.findIndex((s) => s.op === "create" && s.urn === urnOf(engine, name));
    for (const [policy, namespaces] of [
      ["alice-admin-network-policy", ["alice-namespace", "alice-dev-namespace"]],
      ["bob-admin-network-policy", ["bob-prod-namespace", "bob-staging-namespace"]],
      ["dave-admin-network-policy", ["dave-namespace"]],
    ] as const)
      for (const ns of namespaces) {
        expect(made(policy)).toBeGreaterThanOrEqual(0);
        expect(made(ns)).toBeGreaterThan(made(policy));
      }

    // dave, offboarding, removed (phase two): his namespace goes first, his policy after it
    const daveNs = urnOf(engine, "dave-namespace");
    const davePolicy = urnOf(engine, "dave-admin-network-policy");
    await runLayers("up", registry({ enabled: true }, true), engine, NONE);
    const deleted = engine.lastDeletes.get(STACK)!.deleted;
    expect(deleted.indexOf(daveNs)).toBeGreaterThanOrEqual(0);
    expect(deleted.indexOf(davePolicy)).toBeGreaterThan(deleted.indexOf(daveNs));
    expect(adminPolicies(engine).some((r) => r.urn === davePolicy)).toBe(false);
  });

  it("switching them off is refused while they are protected; released first, they go alone", async () => {
    const engine = new FakeEngine(world());
    await runLayers("up", registry({ enabled: true }), engine, NONE);
    const error = await runLayers("up", registry({ enabled: false }), engine, NONE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SafetyError);
    expect((error as Error).message).toMatch(
      /^nothing was changed: the preview shows what the update would refuse:/,
    );
    expect((error as Error).message).toMatch(/AdminNetworkPolicy::alice-admin-network-policy/);
    expect(adminPolicies(engine).filter((r) => r.protect)).toHaveLength(5);

    await runLayers("up", registry({ enabled: true, release: true }), engine, NONE);
    expect(adminPolicies(engine).map((r) => r.protect)).toEqual([false, false, false, false, false, false]);
    expect(policiesIn(main())).toHaveLength(4);

    await runLayers("up", registry({ enabled: false }), engine, NONE);
    // the fake engine records deletes as the engine orders them (it acts on the world for replaces only)
    const deletes = engine.lastDeletes.get(STACK)!;
    expect(deletes.refused).toEqual([]);
    // each policy and its component, nothing else
    expect(deletes.deleted.map((u) => u.split("::").pop()).sort()).toEqual(
      ["alice", "bob", "carol", "dave", "eu-gpu:alice", "us-east:bob"].flatMap((n) => [
        n,
        `${n}-admin-network-policy`,
      ]),
    );
    expect(adminPolicies(engine)).toEqual([]);
  });
});
