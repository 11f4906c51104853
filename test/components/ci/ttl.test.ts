/**
 * The shared CI role's token TTL (issue 27, item 7): the seed setup's CI roles issue one-hour tokens, tenancy's
 * shared role 900 s; `ci.shared.ttlSeconds` chooses, validated (60 s to a day), default unchanged.
 */
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../../components/core/problems";
import { buildPlan } from "../../../plan/plan";
import { LAYERS } from "../../../stacks/layers";
import { exampleEnvironmentData, exampleWithEnvironment, withSharedCi } from "../../plan/registries";

async function sharedRoleTtl(ttl?: unknown): Promise<unknown> {
  const env = withSharedCi(exampleEnvironmentData());
  if (ttl !== undefined) env.ci.shared.ttlSeconds = ttl;
  const plan = await buildPlan(exampleWithEnvironment(env), LAYERS);
  const role = plan.stacks
    .flatMap((s) => s.resources)
    .find((r) => r.type === "vault:kubernetes/authBackendRole:AuthBackendRole");
  return role?.inputs.tokenTtl;
}

describe("ci.shared.ttlSeconds", () => {
  it("defaults to 900 s, and sets the shared role's token TTL", async () => {
    expect(await sharedRoleTtl()).toBe(900);
    expect(await sharedRoleTtl(3600)).toBe(3600);
  });

  it.each([30, 86401, 1.5, "1h"])("refuses %s", async (ttl) => {
    await expect(sharedRoleTtl(ttl)).rejects.toBeInstanceOf(InvalidInputError);
  });
});
