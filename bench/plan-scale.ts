/**
 * Sharded plan benchmark: `npm run bench:scale [-- --tenants N --shards S --workers W]`.
 * N generated tenants in S shards, planned in W worker processes (the shared stacks in this one), next to a
 * baseline of N/10 tenants planned in one worker, in the same run: time, time per tenant and the ratio (the
 * speed-up the workers give), and each worker's peak memory. A script that prints, not a test.
 */
import { join } from "node:path";
import { buildPlan } from "../plan/plan";
import { LAYERS } from "../stacks/layers";
import { arg, registry } from "./generated";

const MODULE = join(__dirname, "..", "stacks", "plan-worker.ts");

async function measure(n: number, shards: number, workers: number) {
  const model = registry(n, () => {}, shards);
  let rss: number[] = [];
  const t0 = performance.now();
  let workersMs = 0;
  const plan = await buildPlan(model, LAYERS, {
    parallel: {
      workers,
      module: MODULE,
      onWorker: (m) => {
        rss = m;
        workersMs = performance.now() - t0;
      },
    },
  });
  const ms = performance.now() - t0;
  const resources = plan.stacks.reduce((sum, s) => sum + s.resources.length, 0);
  return { n, workers, ms, workersMs, resources, stacks: plan.stacks.length, rss };
}

async function main() {
  const tenants = arg("tenants", 10000);
  const shards = arg("shards", 16);
  const workers = arg("workers", 2);
  const base = await measure(Math.max(shards, Math.round(tenants / 10)), shards, 1);
  const full = await measure(tenants, shards, workers);
  console.log(" tenants  workers  stacks  resources      wall s  ms/tenant  peak RSS per worker (MiB)");
  for (const r of [base, full])
    console.log(
      `${String(r.n).padStart(8)} ${String(r.workers).padStart(8)} ${String(r.stacks).padStart(7)} ${String(r.resources).padStart(10)} ${(r.ms / 1000).toFixed(1).padStart(11)} ${(r.ms / r.n).toFixed(1).padStart(10)}  ${r.rss.map((m) => m.toFixed(0)).join(", ")}`,
    );
  console.log(
    `speed-up: time per tenant with ${workers} workers at ${full.n} vs 1 worker at ${base.n} = ${(base.ms / base.n / (full.ms / full.n)).toFixed(2)}x`,
  );
  if (full.workersMs > 0)
    console.log(
      `phases at ${full.n}: the workers (start-up, every shard of every layer) ${(full.workersMs / 1000).toFixed(1)} s, then the shared stacks in this process ${((full.ms - full.workersMs) / 1000).toFixed(1)} s`,
    );
  console.log(`this process: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
