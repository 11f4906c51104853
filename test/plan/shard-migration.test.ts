/**
 * Changing the shard count: the moves of the example registry pinned (1 -> 2), and proven over the fake
 * engine: applied unsharded, the `pulumi state move`s carried out as the engine does them (the resources
 * named and their children, providers copied), the count changed, and then the update changes no resource:
 * it creates or deletes only providers (a new shard stack's own, one no resource uses any more). And back.
 */
import { describe, expect, it } from "vitest";
import { appliedPlatform, runLayers } from "../../deploy/run";
import { type Migration, migrationScript, shardMigration } from "../../plan/shard-migration";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { FakeEngine } from "../helpers/engine";
import { exampleEnvironmentData, exampleWithEnvironment } from "./registries";

const NONE = { allowRemovals: false, allowHandover: false };
/** After the state moves: the count differs from the applied one, on purpose. */
const MIGRATED = { ...NONE, allowShardChange: true };
const example = (count: number): RegistryModel => {
  const env = exampleEnvironmentData();
  env.shards = { count };
  return exampleWithEnvironment(env);
};

/** The migration script's commands on the fake engine: the destination stacks, then the moves. */
async function migrate(engine: FakeEngine, m: Migration) {
  const script = migrationScript(m, "environments/example.yaml");
  for (const [, stack] of script.matchAll(/^pulumi stack select --create (\S+)$/gm))
    engine.selectCreate(stack!);
  for (const c of m.commands) expect(engine.moveState(c.source, c.dest, c.urns), c.dest).toEqual([]);
}

describe("changing the shard count", () => {
  it("1 -> 2 on the example: which tenants move, and the commands (pinned)", async () => {
    const m = await shardMigration(example(1), 2, LAYERS);
    expect(m.moves).toEqual([
      { tenant: "alice", to: 1 },
      { tenant: "bob", to: 0 },
      { tenant: "carol", to: 0 },
      { tenant: "dave", to: 0 },
    ]);
    expect(
      m.commands.map((c) => `${c.source} -> ${c.dest}: ${c.tenants.join(",")} (${c.urns.length})`),
    ).toEqual([
      // alice: main's two namespaces and access, eu-gpu's alice-dev, access and grants; bob also on us-east
      "example-platform -> example-platform-1: alice (6)",
      "example-platform -> example-platform-0: bob,carol,dave (8)",
      "example-dns -> example-dns-1: alice (1)",
      "example-dns -> example-dns-0: bob,carol (2)",
      "example-vault -> example-vault-1: alice (1)",
      "example-vault -> example-vault-0: bob,carol (2)",
      "example-ci -> example-ci-0: bob (1)",
      "example-apps -> example-apps-1: alice (2)",
      "example-apps -> example-apps-0: bob (1)",
    ]);
    const script = migrationScript(m, "environments/example.yaml");
    expect(script).toContain(
      "pulumi state move --yes --source example-vault --dest example-vault-1 \\\n  'urn:pulumi:example-vault::tenancy::tenancy:vault:TenantVault::alice'\n",
    );
    expect(script).toMatch(/# then set shards\.count: 2 in environments\/example\.yaml/);
  });

  it("after the moves and the new count, nothing is created, updated or deleted but providers; and back", async () => {
    const engine = new FakeEngine();
    await runLayers("up", example(1), engine, NONE);
    await migrate(engine, await shardMigration(example(1), 2, LAYERS));
    const urns = () =>
      new Map([...engine.stacks].map(([name, st]) => [name, new Set(st.resources.map((r) => r.urn))]));
    const quiet = async (model: RegistryModel) => {
      const results = await runLayers("preview", model, engine, MIGRATED);
      for (const r of results) expect([r.stack, r.changes?.update], r.stack).toEqual([r.stack, 0]);
      const before = urns();
      await runLayers("up", model, engine, MIGRATED);
      const after = urns();
      // created or deleted: providers only (a shard stack's own, one no resource uses any more)
      for (const [stack, now] of after) {
        const was = before.get(stack) ?? new Set<string>();
        const changed = [...now].filter((u) => !was.has(u)).concat([...was].filter((u) => !now.has(u)));
        for (const urn of changed) expect(urn, stack).toMatch(/[:$]pulumi:providers:/);
        expect(engine.lastDeletes.get(stack)?.refused ?? [], stack).toEqual([]);
      }
      return results;
    };
    expect((await quiet(example(2))).map((r) => r.stack)).toContain("example-platform-1");
    // and back to one stack per layer: once the state is moved, the guard and the events still see every tenant
    await migrate(engine, await shardMigration(example(2), 1, LAYERS));
    const seen = (await appliedPlatform(engine, example(1))) as { tenants: object; shards: number };
    expect(Object.keys(seen.tenants).sort()).toEqual(["alice", "bob", "carol", "dave"]);
    expect(seen.shards).toBe(2);
    await quiet(example(1));
  }, 120_000);

  it("the moves need their destination stacks: the script creates them first, as state move never does", async () => {
    const engine = new FakeEngine();
    await runLayers("up", example(1), engine, NONE);
    const m = await shardMigration(example(1), 2, LAYERS);
    const first = m.commands[0]!;
    // without the script's `pulumi stack select --create`, the first move fails (state_move.go loads, never creates)
    expect(() => engine.moveState(first.source, first.dest, first.urns)).toThrow(
      `no stack named '${first.dest}' found`,
    );
    expect(migrationScript(m, "environments/example.yaml")).toMatch(
      /^pulumi stack select --create example-platform-1\npulumi stack select --create example-platform-0\n/m,
    );
    engine.selectCreate(first.dest);
    // a provider is never named; what the destination holds is not moved twice; a provider of other inputs refused
    const provider = engine.stacks
      .get(first.source)!
      .resources.find((r) => r.type.startsWith("pulumi:providers:"))!;
    expect(() =>
      engine.moveState(first.source, first.dest, [provider.urn.replace("pulumi:pulumi:Stack$", "")]),
    ).toThrow(/^cannot move providers/);
    const dest = engine.stacks.get(first.dest)!;
    dest.resources.push({
      ...provider,
      urn: provider.urn.replace(first.source, first.dest),
      inputs: { context: "other" },
    });
    expect(() => engine.moveState(first.source, first.dest, first.urns)).toThrow(
      /^provider urn:pulumi:example-platform-1::.* already exists in destination stack$/,
    );
    dest.resources = [];
    expect(engine.moveState(first.source, first.dest, first.urns)).toEqual([]);
    expect(() => engine.moveState(first.source, first.dest, first.urns)).toThrow(
      "no resources found to move",
    );
  });

  it("refuses a count a record's pinned shard does not fit", async () => {
    const env = exampleEnvironmentData();
    env.shards = { count: 3 };
    const model = exampleWithEnvironment(env, (doc) =>
      doc.id === "carol" ? { ...doc, data: { ...(doc.data as object), shard: 2 } } : doc,
    );
    await expect(shardMigration(model, 2, LAYERS)).rejects.toThrow(/carol \(shard 2\)/);
  });
});
