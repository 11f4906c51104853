/**
 * A plan of some tenants in a sharded environment: a selected stack that reads stacks outside the selection
 * (the shared CI deployer reads every vault shard) gets them planned first, whole, so `plan --tenant` and the
 * scoped `diff` give what the whole plan gives for what they report.
 */
import { describe, expect, it } from "vitest";
import { compareRegistries } from "../../plan/diff";
import { buildPlan } from "../../plan/plan";
import { LAYERS } from "../../stacks/layers";
import { exampleEnvironmentData, generatedTenants, registryOf, withSharedCi } from "./registries";

describe("a scoped plan of a sharded environment with the shared CI deployer", () => {
  const env = withSharedCi(exampleEnvironmentData());
  env.shards = { count: 3 };
  const tenants = generatedTenants(9);
  const model = registryOf(tenants, env);

  it("plans one tenant's stacks as the whole plan does, the shared CI deployer included", async () => {
    const whole = await buildPlan(model, LAYERS);
    const one = await buildPlan(model, LAYERS, { tenants: ["tenant-04"] });
    expect(one.stacks.length).toBeGreaterThan(0);
    for (const s of one.stacks) {
      const w = whole.stacks.find((x) => x.stack === s.stack)!;
      // a shared stack whole; a shard with the selected tenant's resources and its shared ones
      if (s.shard === undefined) expect(s, s.stack).toEqual(w);
      else
        expect(s.resources, s.stack).toEqual(
          w.resources.filter((r) => r.tenant === undefined || r.tenant === "tenant-04"),
        );
    }
    expect(one.stacks.some((s) => s.stack === "example-ci")).toBe(true);
  });

  it("diffs a one-tenant change in scope as in full", async () => {
    const first = Object.keys(tenants)[0]!;
    const head = registryOf({ ...tenants, [first]: { ...tenants[first]!, offboarding: true } }, env);
    const { planned: _s, ...scoped } = await compareRegistries(model, head, LAYERS);
    const { planned: _f, ...full } = await compareRegistries(model, head, LAYERS, { full: true });
    expect(scoped).toEqual(full);
  });
});
