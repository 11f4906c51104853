/**
 * The plan and the access matrix are pinned by fingerprint (see ./fingerprints.ts), on both sides: the plan read
 * as data, and the plan as the registrar registers it under the mock runtime.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { registeredPlan, withoutProviderDefaults } from "../helpers/registered-plan";
import { FINGERPRINTS_FILE, REGISTRIES, fingerprints, sha256 } from "./fingerprints";

describe("plan and access are unchanged (pinned fingerprints)", () => {
  const pinned = JSON.parse(readFileSync(FINGERPRINTS_FILE, "utf8")) as Record<
    string,
    { plan: string; access: string }
  >;
  it.each(Object.keys(REGISTRIES))("%s registry", async (name) => {
    expect(await fingerprints(await REGISTRIES[name]!())).toEqual(pinned[name]);
  });

  it.each(Object.keys(REGISTRIES))(
    "%s registry, as the registrar registers it",
    async (name) => {
      const plan = await withoutProviderDefaults(async () => registeredPlan(await REGISTRIES[name]!()));
      expect(sha256(plan)).toEqual(pinned[name]!.plan);
    },
    120_000,
  );
});
