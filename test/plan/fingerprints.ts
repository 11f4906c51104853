/**
 * Fingerprints for test/plan/fingerprint.test.ts and scripts/fingerprint.ts. The plan and the access matrix are pinned by fingerprint (sha256 of the `--json` output) on the example
 * registry and on a generated 200-tenant registry. A change of the code's shape must leave both identical; a
 * deliberate change of what is planned re-pins them (`npm run fingerprint -- --write`) in the same commit.
 *
 * Renames made deliberately, each with an alias so no URN changes, are undone before hashing (RENAMED), so
 * the pins still prove "nothing else changed" across them.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { accessMatrix } from "../../plan/access";
import { type Plan, buildPlan } from "../../plan/plan";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { generatedTenants, loadExample, registryOf } from "./registries";

export const FINGERPRINTS_FILE = join(__dirname, "fingerprints.json");

/** Resource names and stack outputs renamed since the pins were taken: new -> old, by resource type. */
const RENAMED: { type: string; parentType?: string; from: RegExp; to: string }[] = [
  // child-name rule: one child per item is `${name}-<role>/<key>` (ARCHITECTURE.md, "Names")
  {
    type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    from: /^shared-clusterrole\/(.*)$/,
    to: "shared-$1",
  },
  { type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", from: /^(.*)-netpol\/(.*)$/, to: "$1-netpol-$2" },
  { type: "", parentType: "tenancy:ci:SharedCiDeployer", from: /^shared-(.*)$/, to: "ci/shared-$1" },
];
const RENAMED_OUTPUTS: Record<string, string> = { vaultTenantCount: "vaultTenants" };

/** The plan as it was named when the pins were taken, in the plan's own order. */
function asPinned(plan: Plan): Plan {
  const key = (r: { tenant?: string; type: string; name: string }) => [r.tenant ?? "", r.type, r.name];
  return {
    ...plan,
    stacks: plan.stacks.map((s) => ({
      ...s,
      resources: s.resources
        .map((r) => {
          const rule = RENAMED.find(
            (x) => (x.type === "" || x.type === r.type) && (!x.parentType || x.parentType === r.parentType),
          );
          return rule && rule.from.test(r.name) ? { ...r, name: r.name.replace(rule.from, rule.to) } : r;
        })
        .sort((a, b) => {
          const [ka, kb] = [key(a), key(b)];
          for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
          return 0;
        }),
      outputs: Object.fromEntries(Object.entries(s.outputs).map(([k, v]) => [RENAMED_OUTPUTS[k] ?? k, v])),
    })),
  };
}

const sha256 = (value: unknown) =>
  createHash("sha256")
    .update(JSON.stringify(value, null, 2))
    .digest("hex");

/** The fingerprints of a registry's plan and access matrix, as pinned. */
export async function fingerprints(model: RegistryModel): Promise<{ plan: string; access: string }> {
  const plan = await buildPlan(model, LAYERS);
  return { plan: sha256(asPinned(plan)), access: sha256(accessMatrix(model, plan)) };
}

export const REGISTRIES: Record<string, () => Promise<RegistryModel>> = {
  example: loadExample,
  "generated-200": async () => registryOf(generatedTenants(200)),
};
