/**
 * `tenancy drift`: every stack refreshed and previewed, read only, the differences reported per tenant. The fake
 * engine's refresh reads the loopback API servers the fake provider applied to; someone then changes a namespace
 * by hand and deletes a quota.
 */
import { KubernetesObjectApi } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { driftText } from "../../cli/drift";
import { drift } from "../../deploy/drift";
import { runLayers } from "../../deploy/run";
import type { RegistryModel } from "../../registry/model";
import { FakeEngine } from "../helpers/engine";
import { type KubeServer, startKubeServer } from "../helpers/kube-server";
import { exampleWithSharedCi } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };

let servers: Record<string, KubeServer>;
let model: RegistryModel;
let engine: FakeEngine;
beforeEach(async () => {
  model = exampleWithSharedCi();
  servers = {};
  for (const c of model.environment.clusters) servers[c.context] = await startKubeServer();
  engine = new FakeEngine({ kubernetes: servers });
  await runLayers("up", model, engine, { ...NONE, layers: ["platform"] });
});
afterEach(() => Promise.all(Object.values(servers).map((s) => s.close())));

const main = () => servers["example-admin"]!;
const platform = { layers: ["platform" as const], parallel: 2 };

describe("drift", () => {
  it("finds none right after an up, and changes nothing looking", async () => {
    const calls = engine.calls.length;
    const state = structuredClone(engine.stacks.get("example-platform"));
    const report = await drift(model, engine, platform);
    expect(report).toEqual({ lines: [], unapplied: [] });
    expect(engine.calls.slice(calls)).toEqual(["preview example-platform"]);
    expect(engine.stacks.get("example-platform")).toEqual(state);
    expect(driftText(report)).toBe("no drift: every stack is as the registry says\n");
  });

  it("reports, per tenant, an object changed by hand, one deleted, and a registry change not applied", async () => {
    // alice's namespace relaxed by hand; bob's quota deleted
    const alice = main().get("v1", "Namespace", "alice")!;
    main().seed(
      {
        ...alice,
        metadata: {
          ...alice.metadata,
          labels: {
            ...(alice.metadata.labels as object),
            "pod-security.kubernetes.io/enforce": "privileged",
          },
        },
      },
      "kubectl-edit",
    );
    const api = KubernetesObjectApi.makeApiClient(main().kubeConfig());
    await api.delete({
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "tenant-quota", namespace: "bob-prod" },
    });
    // carol's record changed in the registry, not applied yet
    const changed: RegistryModel = {
      ...model,
      tenants: model.tenants.map((t) => (t.id === "carol" ? { ...t, email: "carol.new@example.com" } : t)),
    };

    const report = await drift(changed, engine, platform);
    const by = (tenant: string) =>
      report.lines.filter((l) => l.tenant === tenant).map((l) => `${l.op} ${l.resource}`);
    expect(by("alice")).toEqual(["update Namespace alice"]);
    // bob's: the quota deleted by hand, and carol's bindings as a member of bob's namespaces (her identity changed)
    expect(by("bob").sort()).toEqual([
      "create ResourceQuota bob-prod/tenant-quota",
      "update RoleBinding bob-prod/tenant-member-carol",
      "update RoleBinding bob-prod/tenant-member-carol",
      "update RoleBinding bob-staging/tenant-member-carol",
    ]);
    expect(by("carol").length).toBeGreaterThan(0);
    expect(by("carol").every((l) => l.startsWith("update "))).toBe(true);
    expect(report.lines.filter((l) => l.tenant === "dave")).toEqual([]);
    const text = driftText(report);
    expect(text).toMatch(/^alice:\n {2}example-platform: update {2}Namespace alice\nbob:\n/);
    expect(text).toMatch(
      /\ndrift: \d+ differences in 3 tenants \(alice, bob, carol\); tenancy up --refresh sets them back \(a plain up compares with the stacks. state only\)\n$/,
    );
    // and an up with a refresh sets them back (without one, the engine compares the program with its state only)
    await runLayers("up", changed, engine, { ...NONE, layers: ["platform"], refresh: true });
    expect(await drift(changed, engine, platform)).toEqual({ lines: [], unapplied: [] });
  });

  it("names stacks never applied", async () => {
    const report = await drift(model, engine, { layers: ["platform", "dns"], parallel: 2 });
    expect(report.unapplied).toEqual(["example-dns"]);
    expect(driftText(report)).toMatch(/example-dns: never applied/);
  });
});
