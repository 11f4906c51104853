/**
 * Diff benchmark: `npm run bench:diff [-- --tenants N]`.
 * A pull request changing one tenant's quota on a registry of N generated tenants: `tenancy diff`'s comparison
 * planning only the tenants the change can touch (plan/scope.ts), next to the same comparison planning every
 * tenant on both sides, in the same run, with the speed-up. Both diffs must agree. A script that prints, not a test.
 */
import { isDeepStrictEqual } from "node:util";
import { compareRegistries } from "../plan/diff";
import { LAYERS } from "../stacks/layers";
import { arg, benchId, registry } from "./generated";

async function main() {
  const n = arg("tenants", 1000);
  const changed = Math.floor(n / 2);
  const base = registry(n);
  const head = registry(n, (i, data) => {
    if (i === changed)
      data.namespaces = [{ name: benchId(i), quota: { "requests.cpu": "3" } }, `${benchId(i)}-dev`];
  });
  await compareRegistries(registry(3), registry(3), LAYERS, { full: true }); // warm up: module loading and JIT
  const time = async (full: boolean) => {
    const t0 = performance.now();
    const diff = await compareRegistries(base, head, LAYERS, { full });
    return { diff, ms: performance.now() - t0 };
  };
  const scoped = await time(false);
  const full = await time(true);
  const { planned: _s, ...a } = scoped.diff;
  const { planned: _f, ...b } = full.diff;
  if (!isDeepStrictEqual(a, b)) throw new Error("the scoped diff differs from the full diff");
  console.log(`registry of ${n} tenants, one tenant's quota changed`);
  console.log("           planned tenants     wall ms  resources changed");
  for (const [name, r] of [
    ["scoped", scoped],
    ["full", full],
  ] as const)
    console.log(
      `${name.padEnd(8)} ${String(`${r.diff.planned.tenants}/${r.diff.planned.of}`).padStart(17)} ${r.ms.toFixed(0).padStart(11)} ${String(r.diff.resources.length).padStart(18)}`,
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
