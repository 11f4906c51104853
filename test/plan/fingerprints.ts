/**
 * Fingerprints for test/plan/fingerprint.test.ts and scripts/fingerprint.ts. The plan and the access matrix are pinned by fingerprint (sha256 of the `--json` output) on the example
 * registry and on a generated 200-tenant registry. A change of the code's shape must leave both identical; a
 * deliberate change of what is planned re-pins them (`npm run fingerprint -- --write`) in the same commit.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { accessMatrix } from "../../plan/access";
import { buildPlan } from "../../plan/plan";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { generatedTenants, loadExample, registryOf } from "./registries";

export const FINGERPRINTS_FILE = join(__dirname, "fingerprints.json");

export const sha256 = (value: unknown) =>
  createHash("sha256")
    .update(JSON.stringify(value, null, 2))
    .digest("hex");

/** The fingerprints of a registry's plan and access matrix, as pinned. */
export async function fingerprints(model: RegistryModel): Promise<{ plan: string; access: string }> {
  const plan = await buildPlan(model, LAYERS);
  return { plan: sha256(plan), access: sha256(accessMatrix(model, plan)) };
}

export const REGISTRIES: Record<string, () => Promise<RegistryModel>> = {
  example: loadExample,
  "generated-200": async () => registryOf(generatedTenants(200)),
};
