/**
 * A plan of some tenants: a selected stack's shared part may check every tenant upstream (the shared CI deployer
 * waits for every vault stack), which holds only the selected tenants or is not planned at all; in the planned
 * view such checks hold by construction (plan/data.ts `assumeUpstream`), so `plan --tenant` and the scoped
 * `diff` give what the whole plan gives for what they report, unsharded or sharded.
 */
import { describe, expect, it } from "vitest";
import { compareRegistries } from "../../plan/diff";
import { buildPlan } from "../../plan/plan";
import { LAYERS } from "../../stacks/layers";
import { exampleEnvironmentData, generatedTenants, registryOf, withSharedCi } from "./registries";

describe.each([1, 3])("a scoped plan with the shared CI deployer, %i shard(s)", (count) => {
  const env = withSharedCi(exampleEnvironmentData());
  env.shards = { count };
  const tenants = generatedTenants(9);
  const model = registryOf(tenants, env);

  it("plans one tenant's stacks as the whole plan does, the shared CI deployer included", async () => {
    const whole = await buildPlan(model, LAYERS);
    const one = await buildPlan(model, LAYERS, { tenants: ["tenant-04"] });
    expect(one.stacks.length).toBeGreaterThan(0);
    // every stack reported: the selected tenant's resources and the shared ones, as in the whole plan
    for (const s of one.stacks) {
      const w = whole.stacks.find((x) => x.stack === s.stack)!;
      expect(s.resources, s.stack).toEqual(
        w.resources.filter((r) => r.tenant === undefined || r.tenant === "tenant-04"),
      );
    }
    const ci = one.stacks.find((s) => s.stack === "example-ci")!;
    expect(ci.resources.some((r) => r.type === "vault:kubernetes/authBackendRole:AuthBackendRole")).toBe(
      true,
    );
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
