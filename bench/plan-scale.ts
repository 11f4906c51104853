/**
 * Sharded plan benchmark: `npm run bench:scale [-- --tenants N --shards S]`.
 * N generated tenants in S shards (each layer a shared stack and S shard stacks), planned as data in this one
 * process, next to the same registry unsharded in the same run: time, stacks, resources, time per tenant and
 * the ratio (what sharding costs the plan), and peak memory. A script that prints, not a test.
 */
import { buildPlan } from "../plan/plan";
import { LAYERS } from "../stacks/layers";
import { arg, registry } from "./generated";

async function measure(n: number, shards: number) {
  const model = registry(n, () => {}, shards);
  const t0 = performance.now();
  const plan = await buildPlan(model, LAYERS);
  const ms = performance.now() - t0;
  const resources = plan.stacks.reduce((sum, s) => sum + s.resources.length, 0);
  return { n, shards, ms, resources, stacks: plan.stacks.length };
}

async function main() {
  const tenants = arg("tenants", 10000);
  const shards = arg("shards", 16);
  await measure(Math.min(tenants, 20), shards); // warm up: module loading and JIT
  const flat = await measure(tenants, 1);
  const sharded = await measure(tenants, shards);
  console.log(" tenants  shards  stacks  resources      wall s  ms/tenant");
  for (const r of [flat, sharded])
    console.log(
      `${String(r.n).padStart(8)} ${String(r.shards).padStart(7)} ${String(r.stacks).padStart(7)} ${String(r.resources).padStart(10)} ${(r.ms / 1000).toFixed(1).padStart(11)} ${(r.ms / r.n).toFixed(2).padStart(10)}`,
    );
  console.log(
    `sharding: ${shards} shards take ${(sharded.ms / flat.ms).toFixed(2)}x the unsharded plan's time`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
