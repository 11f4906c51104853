/** The plan and the access matrix are pinned by fingerprint: see ./fingerprints.ts. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FINGERPRINTS_FILE, REGISTRIES, fingerprints } from "./fingerprints";

describe("plan and access are unchanged (pinned fingerprints)", () => {
  const pinned = JSON.parse(readFileSync(FINGERPRINTS_FILE, "utf8")) as Record<
    string,
    { plan: string; access: string }
  >;
  it.each(Object.keys(REGISTRIES))("%s registry", async (name) => {
    expect(await fingerprints(await REGISTRIES[name]!())).toEqual(pinned[name]);
  });
});
