/** Stack identity: names made and parsed back in one place, with shards. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROJECT, parseStackName, stackName, stackReferenceName } from "../../layers/identity";
import { LAYER_NAMES } from "../../layers/names";

describe("stack identity", () => {
  it("names stacks <env>-<layer>, sharded <env>-<layer>-<k>", () => {
    expect(stackName({ env: "prod", layer: "platform" })).toBe("prod-platform");
    expect(stackName({ env: "prod", layer: "vault", shard: 3 })).toBe("prod-vault-3");
  });

  it("makes StackReference names <organization>/<project>/<stack>", () => {
    expect(stackReferenceName({ env: "prod", layer: "vault" }, "acme")).toBe(`acme/${PROJECT}/prod-vault`);
    expect(PROJECT).toBe("tenancy");
  });

  it("parses names back, the environment possibly containing a layer's name", () => {
    expect(parseStackName("prod-platform")).toEqual({ env: "prod", layer: "platform" });
    expect(parseStackName("ci-vault-ci")).toEqual({ env: "ci-vault", layer: "ci" });
    expect(parseStackName("prod-ci-2")).toEqual({ env: "prod", layer: "ci", shard: 2 });
    for (const bad of [
      "prod",
      "prod-edge",
      "-platform",
      "Prod-platform",
      "prod-platform-",
      "prod-platform.x.",
      // a stack per cluster is not one of tenancy's: clusters share a layer's stacks
      "prod-ci-2.eu",
    ])
      expect(parseStackName(bad), bad).toBeUndefined();
  });

  it("round-trips every identity", () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        label,
        fc.constantFrom(...LAYER_NAMES),
        fc.option(fc.nat(999), { nil: undefined }),
        (env, layer, shard) => {
          const id = { env, layer, ...(shard !== undefined ? { shard } : {}) };
          expect(parseStackName(stackName(id))).toEqual(id);
        },
      ),
    );
  });
});
