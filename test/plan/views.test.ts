/**
 * The plan harness in both views: the planned view (`tenancy plan`) and the engine's view, in which each
 * layer reads its upstream stacks' last applied outputs and runs as a preview.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildPlan } from "../../plan/plan";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { loadExample } from "./registries";

let model: RegistryModel;
beforeAll(async () => {
  model = await loadExample();
});

const outputs = (plan: Awaited<ReturnType<typeof buildPlan>>, layer: string) =>
  plan.stacks.find((s) => s.layer === layer)!.outputs;

describe("the engine's view", () => {
  it("day one (upstream stacks created, never updated): every layer plans, and says what waits", async () => {
    const plan = await buildPlan(model, LAYERS, {
      view: { kind: "applied", outputs: { "example-platform": {}, "example-vault": {} } },
    });
    expect(plan.stacks.map((s) => s.stack)).toEqual([
      "example-platform",
      "example-dns",
      "example-vault",
      "example-ci",
      "example-apps",
    ]);
    expect(outputs(plan, "vault").awaitingUpstream).toHaveLength(5);
    // alice's jupyter waits for her namespace; bob's Actual Budget runs in the app's own namespace
    expect(outputs(plan, "apps").awaitingUpstream).toEqual(["namespace alice of tenant alice"]);
    expect(outputs(plan, "ci").awaitingUpstream).toEqual(["the deployers of tenant bob"]);
    // the same resources as the planned view: a preview shows what each layer will do
    const planned = await buildPlan(model, LAYERS);
    for (const layer of ["vault", "ci", "apps"])
      expect(plan.stacks.find((s) => s.layer === layer)!.resources.map((r) => r.name)).toEqual(
        planned.stacks.find((s) => s.layer === layer)!.resources.map((r) => r.name),
      );
  });

  it("an upstream stack that was never created fails as the engine does", async () => {
    await expect(buildPlan(model, LAYERS, { view: { kind: "applied", outputs: {} } })).rejects.toThrow(
      /unknown stack "organization\/tenancy\/example-platform"/,
    );
  });

  it("the planned view feeds each layer its upstream's planned outputs: nothing waits", async () => {
    const plan = await buildPlan(model, LAYERS);
    expect(outputs(plan, "vault").awaitingUpstream).toEqual([]);
    expect(outputs(plan, "ci").awaitingUpstream).toEqual([]);
    expect(outputs(plan, "apps").awaitingUpstream).toEqual([]);
  });
});
