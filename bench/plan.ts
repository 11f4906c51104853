/**
 * Offline plan benchmark: `npm run bench:plan [-- --tenants N --baseline B]`.
 * Builds registries of B and N generated tenants (two namespaces, a domain, a member and CI each) on the
 * example environment, plans every layer under the mock runtime, and prints time, resources and memory,
 * with the ratio of time per tenant (N vs B) in the same run: 1.00 is linear. A script that prints, not a test.
 */
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../plan/harness";
import { type Plan, buildPlan } from "../plan/plan";
import { LAYERS } from "../stacks/layers";
import { arg, registry } from "./generated";

async function measure(n: number) {
  const model = registry(n);
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const plan = await buildPlan(model, LAYERS);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  global.gc?.();
  const resources = plan.stacks.reduce((sum, s) => sum + s.resources.length, 0);
  return {
    n,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    resources,
    heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

/**
 * The floor: the plan's own resources (same types, names and inputs), registered bare (no component, no
 * output plumbing, no program logic) with the same SDK under the same mock runtime and harness, one program
 * per stack: what a plan of these resources cannot go below.
 */
async function floor(plan: Plan) {
  const Bare = pulumi.CustomResource as unknown as new (t: string, n: string, p: pulumi.Inputs) => unknown;
  global.gc?.();
  const t0 = performance.now();
  for (const s of plan.stacks)
    await runProgram({ stack: s.stack }, async () => {
      for (const r of s.resources) new Bare(r.type, r.name, r.inputs as pulumi.Inputs);
      return {};
    });
  return performance.now() - t0;
}

async function main() {
  const baseline = arg("baseline", 20);
  const tenants = arg("tenants", 200);
  await measure(5); // warm up: module loading and JIT
  const rows = [await measure(baseline), await measure(tenants)];
  console.log(" tenants  resources     wall ms      cpu ms  ms/tenant  heap after (MiB)");
  for (const r of rows)
    console.log(
      `${String(r.n).padStart(8)} ${String(r.resources).padStart(10)} ${r.ms.toFixed(0).padStart(11)} ${r.cpuMs.toFixed(0).padStart(11)} ${(r.ms / r.n).toFixed(1).padStart(10)} ${r.heapMiB.toFixed(0).padStart(17)}`,
    );
  const [b, t] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(
    `scaling: time per tenant at ${t.n} vs ${b.n} = ${(t.ms / t.n / (b.ms / b.n)).toFixed(2)}x wall, ${(t.cpuMs / t.n / (b.cpuMs / b.n)).toFixed(2)}x cpu; 1.00 is linear`,
  );
  // the same resources, bare, per stack: the cost the SDK and the mock runtime set
  const plan = await buildPlan(registry(tenants), LAYERS);
  const floorMs = await floor(plan);
  const perResource = t.ms / t.resources;
  const floorPerResource = floorMs / t.resources;
  console.log(
    `floor: ${t.resources} bare resources in ${floorMs.toFixed(0)} ms = ${floorPerResource.toFixed(3)} ms/resource; plan ${perResource.toFixed(3)} ms/resource; ratio ${(perResource / floorPerResource).toFixed(2)}x the floor`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

void main();
