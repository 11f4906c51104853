/**
 * A sharded environment through the orchestrator and the fake engine (the real engine's view): every shard
 * stack and the shared stacks applied, each shard reading its own upstream shard; the guard sees the tenants
 * of every platform shard; the events' applied state is every shard's.
 */
import { describe, expect, it } from "vitest";
import { appliedPlatform, runLayers, runStacks } from "../../deploy/run";
import { shardOf } from "../../layers/shards";
import { SafetyError } from "../../components/core/problems";
import type { TenantFileInput } from "../../registry/schema";
import { FakeEngine } from "../helpers/engine";
import { exampleEnvironmentData, generatedTenants, registryOf } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };
const env = exampleEnvironmentData();
env.shards = { count: 2 };
const tenants = generatedTenants(6);
const model = (t: Record<string, TenantFileInput> = tenants) => registryOf(t, env);

describe("sharded runs", () => {
  it("runs the shared stack and both shards of every layer; nothing waits once applied", async () => {
    const engine = new FakeEngine();
    expect(runStacks("up", model()).map((s) => s.name)).toEqual(
      ["platform", "dns", "vault", "ci", "apps"].flatMap((l) => [
        `example-${l}`,
        `example-${l}-0`,
        `example-${l}-1`,
      ]),
    );
    const day1 = await runLayers("preview", model(), engine, NONE);
    expect(day1).toHaveLength(15);
    // day one: each vault shard waits for its own platform shard's namespaces, and only those
    const waiting = engine.previewOutputs.get("example-vault-1")!.awaitingUpstream as string[];
    const shard1 = model().tenants.filter((t) => shardOf(t, 2) === 1 && !t.offboarding);
    expect(waiting.length).toBeGreaterThan(0);
    for (const w of waiting)
      expect(
        shard1.some((t) => w.endsWith(`of tenant ${t.id}`)),
        w,
      ).toBe(true);
    await runLayers("up", model(), engine, NONE);
    await runLayers("preview", model(), engine, NONE);
    for (const s of ["example-vault-0", "example-vault-1", "example-ci-0", "example-ci-1"])
      expect(engine.previewOutputs.get(s)!.awaitingUpstream, s).toEqual([]);
    // shared resources in the shared stack only
    const shared = engine.stacks.get("example-platform")!.resources;
    expect(shared.some((r) => r.type === "tenancy:index:SharedClusterRoles" || r.name === "shared")).toBe(
      true,
    );
    for (const k of [0, 1])
      expect(engine.stacks.get(`example-platform-${k}`)!.resources.some((r) => r.name === "shared")).toBe(
        false,
      );
    // the applied state of every shard together
    const applied = (await appliedPlatform(engine, model())) as { tenants: Record<string, unknown> };
    expect(Object.keys(applied.tenants).sort()).toEqual(
      model()
        .tenants.map((t) => t.id)
        .sort(),
    );
  });

  it("reads the applied platform stacks at most --parallel at once (each read is a pulumi process)", async () => {
    const many = exampleEnvironmentData();
    many.shards = { count: 32 };
    const m = registryOf(generatedTenants(40), many);
    const engine = new FakeEngine();
    await runLayers("up", m, engine, { ...NONE, layers: ["platform"] });
    let now = 0;
    let most = 0;
    const state = engine.state.bind(engine);
    engine.state = async (stack: string) => {
      most = Math.max(most, ++now);
      try {
        await new Promise((r) => setTimeout(r, 1));
        return await state(stack);
      } finally {
        now--;
      }
    };
    const applied = (await appliedPlatform(engine, m, 3)) as { tenants: Record<string, unknown> };
    expect(Object.keys(applied.tenants)).toHaveLength(40);
    expect(most).toBe(3);
  });

  it("an up reads each stack's state once: the guard's platform states are the run's", async () => {
    const engine = new FakeEngine();
    await runLayers("up", model(), engine, NONE);
    const reads: string[] = [];
    const state = engine.state.bind(engine);
    engine.state = (stack: string) => (reads.push(stack), state(stack));
    await runLayers("up", model(), engine, NONE);
    const twice = reads.filter((s, i) => reads.indexOf(s) !== i);
    expect(reads).toContain("example-platform-1");
    expect(twice).toEqual([]);
  });

  it("the layout as applied comes from a shard when the shared stack has none", async () => {
    const engine = new FakeEngine();
    await runLayers("up", model(), engine, NONE);
    engine.stacks.delete("example-platform");
    expect(await appliedPlatform(engine, model())).toMatchObject({ shards: 2, defaultCluster: "main" });
    await expect(runLayers("preview", registryOf(tenants), engine, NONE)).rejects.toThrow(/applied with 2/);
  });

  it("a shard count changed without moving the state is refused before anything runs", async () => {
    const engine = new FakeEngine();
    await runLayers("up", registryOf(tenants), engine, NONE);
    engine.calls.length = 0;
    await expect(runLayers("up", model(), engine, NONE)).rejects.toThrow(
      /^shards\.count is 2 but the platform layer was applied with 1: tenants would change stacks\. Move their state first \(tenancy shards --to 2, run with the count still 1, prints the commands\), then re-run with --allow-shard-change$/,
    );
    expect(engine.calls).toEqual([]);
    // and back: 2 applied, 1 asked
    const two = new FakeEngine();
    await runLayers("up", model(), two, NONE);
    await expect(runLayers("preview", registryOf(tenants), two, NONE)).rejects.toThrow(/applied with 2/);
  });

  it("the guard sees every shard: a tenant removed without offboarding is refused", async () => {
    const engine = new FakeEngine();
    await runLayers("up", model(), engine, NONE);
    const fewer = { ...tenants };
    delete fewer["tenant-06"];
    await expect(runLayers("up", model(fewer), engine, NONE)).rejects.toThrow(SafetyError);
    await expect(runLayers("up", model(fewer), engine, NONE)).rejects.toThrow(/tenant-06/);
  });
});
