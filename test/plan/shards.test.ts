/**
 * Shards: the assignment is stable (a tenant never moves when others come or go; when the count grows, only
 * to the new shard), a shard's plan holds only its tenants, shared resources live once in the shared stacks,
 * the sharded plan is the unsharded plan split, and adding a tenant changes exactly one shard stack per layer.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { layerStacks, shardOf, stackUpstream } from "../../layers/shards";
import { LAYER_NAMES } from "../../layers/names";
import { type Plan, type PlannedResource, buildPlan } from "../../plan/plan";
import type { TenantFileInput } from "../../registry/schema";
import { LAYERS } from "../../stacks/layers";
import { exampleEnvironmentData, generatedTenants, registryOf } from "./registries";

const id = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);

function sharded(count: number) {
  const env = exampleEnvironmentData();
  env.shards = { count };
  return env;
}

const isProvider = (r: PlannedResource) => r.type.startsWith("pulumi:providers:");
const key = (r: PlannedResource) => `${r.type} ${r.name}`;

describe("shard assignment", () => {
  it("depends on the id and the count only: others coming and going never move a tenant", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 1, maxLength: 40 }),
        fc.uniqueArray(id, { maxLength: 40 }),
        fc.integer({ min: 1, max: 16 }),
        (ids, others, n) => {
          const before = new Map(ids.map((i) => [i, shardOf({ id: i }, n)]));
          // a registry with others added (and some removed) assigns the same shard to every tenant kept
          const mixed = [...ids.slice(0, Math.ceil(ids.length / 2)), ...others];
          for (const i of mixed) if (before.has(i)) expect(shardOf({ id: i }, n)).toBe(before.get(i));
          for (const i of ids) {
            const k = shardOf({ id: i }, n);
            expect(k).toBeGreaterThanOrEqual(0);
            expect(k).toBeLessThan(n);
          }
        },
      ),
    );
  });

  it("growing the count moves a tenant only to the new shard (rendezvous), about 1/(N+1) of them", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        (ids, n) => {
          for (const i of ids) {
            const [a, b] = [shardOf({ id: i }, n), shardOf({ id: i }, n + 1)];
            if (a !== b) expect(b).toBe(n);
          }
        },
      ),
    );
    const ids = Array.from({ length: 2000 }, (_, i) => `tenant-${i}`);
    const moved = ids.filter((i) => shardOf({ id: i }, 4) !== shardOf({ id: i }, 5)).length;
    expect(moved / ids.length).toBeGreaterThan(0.15);
    expect(moved / ids.length).toBeLessThan(0.25);
    // balanced within a few percent at 2000 tenants over 4 shards
    const counts = [0, 0, 0, 0];
    for (const i of ids) counts[shardOf({ id: i }, 4)]!++;
    for (const c of counts) expect(Math.abs(c - 500)).toBeLessThan(80);
  });

  it("a record's shard overrides the hash; one beyond the count is refused on its file", () => {
    expect(shardOf({ id: "alice", shard: 2 }, 3)).toBe(2);
    expect(() => registryOf({ alice: { email: "alice@example.com", shard: 3 } }, sharded(3))).toThrow(
      /tenants\/alice\.yaml: shard: 3 is not a shard of environment example: it has 3 \(shards\.count\), numbered from 0/,
    );
  });

  it("stack order and waits: the shared stack first; a shard waits for its own upstream shard and its shared stack", () => {
    const model = registryOf(generatedTenants(6), sharded(2));
    const all = LAYER_NAMES.flatMap((l) => layerStacks(model, l));
    expect(layerStacks(model, "vault").map((s) => s.name)).toEqual([
      "example-vault",
      "example-vault-0",
      "example-vault-1",
    ]);
    const vault1 = all.find((s) => s.name === "example-vault-1")!;
    expect(stackUpstream(vault1, all).sort()).toEqual(["example-platform-1", "example-vault"]);
    const ciShared = all.find((s) => s.name === "example-ci")!;
    expect(stackUpstream(ciShared, all).sort()).toEqual([
      "example-vault",
      "example-vault-0",
      "example-vault-1",
    ]);
    // unsharded: one stack per layer, waiting for its upstream layers' stacks
    const one = registryOf(generatedTenants(6));
    const plain = LAYER_NAMES.flatMap((l) => layerStacks(one, l));
    expect(plain.map((s) => s.name)).toEqual(LAYER_NAMES.map((l) => `example-${l}`));
    expect(
      stackUpstream(
        plain.find((s) => s.layer === "ci")!,
        plain,
      ),
    ).toEqual(["example-vault"]);
  });
});

describe("sharded plans", () => {
  const tenants = generatedTenants(12);

  it("a shard holds only its tenants; shared resources once, in the shared stacks; together, the unsharded plan", async () => {
    const model = registryOf(tenants, sharded(3));
    const plan = await buildPlan(model, LAYERS);
    const whole = await buildPlan(registryOf(tenants), LAYERS);
    for (const s of plan.stacks) {
      const own = new Set(
        s.shard === undefined ? [] : model.tenants.filter((t) => shardOf(t, 3) === s.shard).map((t) => t.id),
      );
      for (const r of s.resources)
        if (r.tenant !== undefined)
          expect(own.has(r.tenant), `${s.stack}: ${key(r)} of ${r.tenant}`).toBe(true);
        else if (!isProvider(r)) expect(s.shard, `${s.stack}: shared ${key(r)} in a shard`).toBeUndefined();
    }
    // every resource of the unsharded plan, once, in the same layer (providers: one per stack)
    const flat = (p: Plan) =>
      p.stacks
        .flatMap((s) =>
          s.resources
            .filter((r) => !isProvider(r))
            .map((r) => `${s.layer} ${key(r)} ${JSON.stringify(r.inputs)}`),
        )
        .sort();
    expect(flat(plan)).toEqual(flat(whole));
    expect(plan.stacks.map((s) => s.stack)).toContain("example-platform-2");
    // every platform stack, shards too, keeps the layout it was applied with: each guards itself
    for (const s of plan.stacks.filter((p) => p.layer === "platform"))
      expect(s.outputs, s.stack).toMatchObject({ shards: 3, defaultCluster: "main" });
  }, 120_000);

  it("adding a tenant changes exactly one shard stack per layer, the same shard in each", async () => {
    const before = await buildPlan(registryOf(tenants, sharded(3)), LAYERS);
    const more: Record<string, TenantFileInput> = {
      ...tenants,
      newcomer: {
        email: "newcomer@example.com",
        domains: ["newcomer.example.com"],
        apps: [{ name: "jupyter" }],
        ci: { boundClaims: { repository_owner_id: "77" } },
      },
    };
    const after = await buildPlan(registryOf(more, sharded(3)), LAYERS);
    const shard = shardOf({ id: "newcomer" }, 3);
    const content = (p: Plan) =>
      new Map(p.stacks.map((s) => [s.stack, JSON.stringify([s.resources, s.outputs])] as const));
    const [b, a] = [content(before), content(after)];
    const changed = [...a.keys()].filter((s) => a.get(s) !== b.get(s)).sort();
    expect(changed).toEqual(LAYER_NAMES.map((l) => `example-${l}-${shard}`).sort());
  }, 120_000);
});
