/**
 * Diff benchmark: `npm run bench:diff [-- --tenants N]`.
 * On a registry of N generated tenants (default 10,000), what `tenancy diff` costs a reviewer:
 * - a pull request changing one tenant's quota, compared as `diff` compares it (planning only the tenants the
 *   change can touch, plan/scope.ts), next to the same comparison planning every tenant (the baseline, same
 *   run): both must agree;
 * - an environment-wide change (the default quota's `pods`): every tenant planned on both sides.
 * Prints wall time, what was planned and changed, and peak memory. A script that prints, not a test.
 */
import { isDeepStrictEqual } from "node:util";
import { compareRegistries } from "../plan/diff";
import { LAYERS } from "../stacks/layers";
import { arg, benchId, registry } from "./generated";

async function main() {
  const n = arg("tenants", 10000);
  const changed = Math.floor(n / 2);
  const base = registry(n);
  const oneTenant = registry(n, (i, data) => {
    if (i === changed)
      data.namespaces = [
        { name: benchId(i), quota: { "requests.cpu": "3", "limits.cpu": "3" } },
        `${benchId(i)}-dev`,
      ];
  });
  const envWide = registry(n, undefined, 1, (env) => {
    const defaults = env.defaults as { quota: Record<string, string> };
    defaults.quota.pods = "25";
  });
  await compareRegistries(registry(3), registry(3), LAYERS, { full: true }); // warm up: module loading and JIT
  const time = async (head: typeof base, full: boolean) => {
    const t0 = performance.now();
    const diff = await compareRegistries(base, head, LAYERS, { full });
    return { diff, ms: performance.now() - t0 };
  };
  const scoped = await time(oneTenant, false);
  const full = await time(oneTenant, true);
  const { planned: _s, ...a } = scoped.diff;
  const { planned: _f, ...b } = full.diff;
  if (!isDeepStrictEqual(a, b)) throw new Error("the scoped diff differs from the full diff");
  const wide = await time(envWide, false);
  console.log(`registry of ${n} tenants`);
  console.log("change                      planned tenants     wall ms  resources changed");
  for (const [name, r] of [
    ["one tenant's quota", scoped],
    ["one tenant's quota, full", full],
    ["the default quota (env)", wide],
  ] as const)
    console.log(
      `${name.padEnd(26)} ${String(`${r.diff.planned.tenants}/${r.diff.planned.of}`).padStart(17)} ${r.ms.toFixed(0).padStart(11)} ${String(r.diff.resources.length).padStart(18)}`,
    );
  console.log(
    `speed-up: scoped diff ${(full.ms / scoped.ms).toFixed(1)}x faster than the full diff; same result`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
