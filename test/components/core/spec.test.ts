/**
 * Resource specs and references (components/core/spec.ts): a reference is made by `ref` only, so registry data
 * shaped like one (a `$ref` key in a tenant's CI claims) stays data in the plan and in the registrar; what a
 * resource refers to must be registered before it, in the plan as in the registrar.
 */
import { describe, expect, it } from "vitest";
import { Specs, isRef, outputOf, ref } from "../../../components/core/spec";
import { resolveStack } from "../../../plan/data";
import { buildPlan } from "../../../plan/plan";
import { LAYERS } from "../../../stacks/layers";
import { registryOf } from "../../plan/registries";

describe("references", () => {
  it("only `ref` makes one: an object with a `$ref` key is data", () => {
    expect(isRef(ref({ $ref: "secret", value: 1 }))).toBe(true);
    expect(isRef({ $ref: "secret", value: 1 })).toBe(false);
    expect(isRef(JSON.parse(JSON.stringify(ref({ $ref: "config", key: "a:b" }))))).toBe(false);
  });

  it("a look-alike in the inputs is resolved as plain data, a real one as a reference", () => {
    const specs = new Specs();
    specs.resource(
      "vault:index/policy:Policy",
      "p",
      { forged: { $ref: "secret", value: "shown" }, real: ref({ $ref: "secret", value: "hidden" }) },
      {},
    );
    const [r] = resolveStack(
      { resources: specs.list, outputs: {}, reads: [] },
      { outputs: {}, dryRun: false },
    ).resources;
    expect(r!.inputs).toEqual({ forged: { $ref: "secret", value: "shown" }, real: "[secret]" });
  });

  it("a tenant's CI claim named `$ref` is a claim like any other: the role keeps every claim", async () => {
    const model = registryOf({
      bob: {
        email: "bob@example.com",
        namespaces: ["bob"],
        ci: { boundClaims: { $ref: "anything", repository_owner: "bob-org", repository_owner_id: "4242" } },
      },
    });
    const plan = await buildPlan(model, LAYERS, { layers: ["ci"] });
    const role = plan.stacks
      .flatMap((s) => s.resources)
      .find((r) => r.type === "vault:jwt/authBackendRole:AuthBackendRole")!;
    expect(role.inputs.boundClaims).toEqual({
      $ref: "anything",
      repository_owner: "bob-org",
      repository_owner_id: "4242",
    });
  });

  it("refuses a reference to a resource registered after the one that refers to it", () => {
    const specs = new Specs();
    const later = { key: "t::b", type: "t", name: "b", custom: true, inputs: {} };
    specs.resource("t", "a", { x: outputOf(later, "name") }, {});
    specs.add(later);
    expect(() =>
      resolveStack({ resources: specs.list, outputs: {}, reads: [] }, { outputs: {}, dryRun: false }),
    ).toThrow("t::a refers to t::b, which is not registered before it");
  });
});
