/**
 * Ownership moves through the orchestrator and the fake engine (its `state move` follows state_move.go: both
 * stacks must exist, children go along, providers copied): a shard count change and a namespace handed to a
 * tenant of another shard are moved between the stacks' states before any update, so nothing protected is
 * deleted or created again; a preview shows the moves and refuses nothing for them.
 */
import { describe, expect, it } from "vitest";
import { runLayers } from "../../deploy/run";
import { compareRegistries, formatDiff } from "../../plan/diff";
import { LAYERS } from "../../stacks/layers";
import { shardOf } from "../../layers/shards";
import type { TenantFileInput } from "../../registry/schema";
import { FakeEngine } from "../helpers/engine";
import { exampleEnvironmentData, generatedTenants, registryOf } from "../plan/registries";

const NONE = { allowRemovals: false, allowHandover: false };
const tenants = generatedTenants(8);
const withShards = (count: number, t: Record<string, TenantFileInput> = tenants) => {
  const env = exampleEnvironmentData();
  env.shards = { count };
  return registryOf(t, env);
};

/** Every Namespace in the engine's states: its stack, by its Pulumi name (each exactly once). */
function namespaces(engine: FakeEngine): Map<string, string> {
  const out = new Map<string, string>();
  for (const [stack, s] of engine.stacks)
    for (const r of s.resources)
      if (r.type === "kubernetes:core/v1:Namespace") {
        expect(out.has(r.name), `${r.name} in ${out.get(r.name)} and ${stack}`).toBe(false);
        out.set(r.name, stack);
      }
  return out;
}

/** What every stack's last update deleted, through its provider or refused. */
const deletes = (engine: FakeEngine) =>
  [...engine.lastDeletes.values()].flatMap((d) => [...d.deleted, ...d.refused]);

describe("moves between stacks", () => {
  it("a shard count change from 2 to 3 runs end to end: destinations created first, state moved, nothing deleted", async () => {
    const engine = new FakeEngine();
    await runLayers("up", withShards(2), engine, NONE);
    const before = namespaces(engine);
    expect(before.size).toBeGreaterThan(0);
    engine.calls.length = 0;
    engine.lastDeletes.clear();

    // without the flag, refused before anything runs
    await expect(runLayers("up", withShards(3), engine, NONE)).rejects.toThrow(/shards\.count is 3/);
    expect(engine.calls).toEqual([]);

    engine.calls.length = 0;
    await runLayers("up", withShards(3), engine, { ...NONE, allowShardChange: true });
    // the destinations exist before their first move (state move loads its destination, never creates it)
    const created = engine.calls.indexOf("stack select --create example-platform-2");
    const firstMove = engine.calls.findIndex((c) => / -> example-platform-2$/.test(c));
    expect(created).toBeGreaterThanOrEqual(0);
    expect(firstMove).toBeGreaterThan(created);
    // every move before every update
    const lastMove = engine.calls.map((c) => c.startsWith("state move")).lastIndexOf(true);
    const firstUp = engine.calls.findIndex((c) => c.startsWith("up "));
    expect(lastMove).toBeLessThan(firstUp);
    expect(deletes(engine)).toEqual([]);
    // each namespace once, where its tenant's shard now is
    const after = namespaces(engine);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const model = withShards(3);
    for (const t of model.tenants)
      for (const ns of t.namespaces)
        expect(after.get(`${ns.name}-namespace`), ns.name).toBe(`example-platform-${shardOf(t, 3)}`);
    // converged: the next preview changes nothing
    engine.calls.length = 0;
    const again = await runLayers("preview", model, engine, NONE);
    for (const r of again) expect(r.changes?.create ?? 0, r.stack).toBe(0);
    for (const r of again) expect(r.changes?.delete ?? 0, r.stack).toBe(0);
  });

  it("a namespace handed to a tenant of another shard moves with it: kept, never deleted and created", async () => {
    const model = withShards(2);
    // a tenant with two namespaces, and one in the other shard
    const giver = model.tenants.find((t) => t.namespaces.length === 2 && !t.offboarding)!;
    const taker = model.tenants.find((t) => shardOf(t, 2) !== shardOf(giver, 2) && !t.offboarding)!;
    const handed = giver.namespaces[1]!.name;
    const engine = new FakeEngine();
    await runLayers("up", model, engine, NONE);
    expect(namespaces(engine).get(`${handed}-namespace`)).toBe(`example-platform-${shardOf(giver, 2)}`);

    const next = structuredClone(tenants);
    const g = next[giver.id]!;
    g.namespaces = (g.namespaces ?? []).filter((n) => (typeof n === "string" ? n : n.name) !== handed);
    const t = next[taker.id]!;
    t.namespaces = [...(t.namespaces ?? [taker.id]), handed];
    // members invited into the handed namespace go with the giver's record
    for (const rec of Object.values(next))
      rec.members = (rec.members ?? []).filter((m) => !(m.namespaces ?? []).includes(handed));
    const after = withShards(2, next);

    // a preview shows the move and refuses nothing for it
    const notices: string[] = [];
    await runLayers("preview", after, engine, {
      ...NONE,
      allowHandover: true,
      notice: (l) => notices.push(l),
    });
    const [from, to] = [`example-platform-${shardOf(giver, 2)}`, `example-platform-${shardOf(taker, 2)}`];
    expect(notices).toContainEqual(
      expect.stringContaining(
        `platform: 1 resource(s) move from ${from} to ${to} (pulumi state move, with their children), never deleted and created; 1 pass from ${from} to ${to} (deleted by ${from}'s update, made again by ${to}'s after it)`,
      ),
    );
    expect(engine.calls.some((c) => c.startsWith("state move"))).toBe(false);
    // a handover still needs saying so
    await expect(runLayers("up", after, engine, NONE)).rejects.toThrow(/pass to another tenant/);
    engine.lastDeletes.clear();
    engine.calls.length = 0;
    await runLayers("up", after, engine, { ...NONE, allowHandover: true });
    expect(engine.calls).toContain(
      `state move example-platform-${shardOf(giver, 2)} -> example-platform-${shardOf(taker, 2)}`,
    );
    expect(namespaces(engine).get(`${handed}-namespace`)).toBe(`example-platform-${shardOf(taker, 2)}`);
    // the namespace and its fences moved; what the giver's components held for it (its owner binding, its
    // deployer role) passed: deleted by the giver's stack before the taker's made them again
    const source = `example-platform-${shardOf(giver, 2)}`;
    const dest = `example-platform-${shardOf(taker, 2)}`;
    const gone = deletes(engine).filter((u) => u.includes(handed));
    expect(gone.length).toBeGreaterThan(0);
    for (const u of gone) expect(u, u).not.toMatch(/Namespace|ResourceQuota|LimitRange|NetworkPolicy/);
    expect(engine.calls.indexOf(`up ${dest}`)).toBeGreaterThan(engine.calls.indexOf(`up ${source}`));
  });
});

describe("tenancy diff", () => {
  it("shows a namespace handed across shards as a move, not a removal and an addition", async () => {
    const base = withShards(2);
    const giver = base.tenants.find((t) => t.namespaces.length === 2 && !t.offboarding)!;
    const taker = base.tenants.find((t) => shardOf(t, 2) !== shardOf(giver, 2) && !t.offboarding)!;
    const handed = giver.namespaces[1]!.name;
    const next = structuredClone(tenants);
    const g = next[giver.id]!;
    g.namespaces = (g.namespaces ?? []).filter((n) => (typeof n === "string" ? n : n.name) !== handed);
    next[taker.id]!.namespaces = [...(next[taker.id]!.namespaces ?? [taker.id]), handed];
    for (const rec of Object.values(next))
      rec.members = (rec.members ?? []).filter((m) => !(m.namespaces ?? []).includes(handed));
    const d = await compareRegistries(base, withShards(2, next), LAYERS);
    const [from, to] = [`example-platform-${shardOf(giver, 2)}`, `example-platform-${shardOf(taker, 2)}`];
    const ns = d.resources.find(
      (r) => r.type === "kubernetes:core/v1:Namespace" && r.name === `${handed}-namespace`,
    );
    // its labels name the new tenant: changed, and moved
    expect(ns).toMatchObject({ op: "change", stacks: { from, to } });
    const quota = d.resources.find(
      (r) => r.type === "kubernetes:core/v1:ResourceQuota" && r.name === `${handed}-quota`,
    );
    expect(quota?.stacks).toEqual({ from, to });
    expect(
      d.resources
        .filter((r) => r.name.startsWith(handed) && (r.op === "add" || r.op === "remove"))
        .map((r) => r.type),
    ).not.toContain("kubernetes:core/v1:Namespace");
    expect(formatDiff(d, "t")).toContain(`~ platform: Namespace ${handed} @main (${from} -> ${to})`);
  });
});
