/**
 * Plan benchmark: `npm run bench:plan [-- --tenants N --baseline B --register R --rounds K]`.
 * Builds registries of B and N generated tenants (two namespaces, a domain, a member and CI each) on the
 * example environment, plans every layer as data (the specs, no SDK: what `tenancy plan` does), and prints
 * time, resources and memory, with the ratio of time per tenant (N vs B) in the same run: 1.00 is linear.
 * Then, for R tenants, the registrar (what `up` runs) under the mock runtime against two floors: the same
 * resources registered bare, and the same resource graph (components, parents, providers, dependencies,
 * aliases, protect) registered through the SDK's base classes. A script that prints, not a test.
 */
import * as pulumi from "@pulumi/pulumi";
import { stackReferenceName } from "../layers/identity";
import { layerStacks } from "../layers/shards";
import { pulumiProgram } from "../stacks/registrar";
import { MOCK_ORGANIZATION, type RecordedResource, runProgram } from "../plan/harness";
import { type Plan, buildPlan } from "../plan/plan";
import type { RegistryModel } from "../registry/model";
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

/** Every registration of every stack as the registrar makes them (components included), in order. */
async function recordRuns(model: RegistryModel) {
  const outputs: Record<string, Record<string, unknown>> = {};
  const runs: {
    stack: string;
    outputs: Record<string, Record<string, unknown>>;
    resources: RecordedResource[];
  }[] = [];
  for (const layer of LAYERS)
    for (const part of layerStacks(model, layer.name, model.tenants)) {
      const upstream = { ...outputs };
      const run = await runProgram(
        { stack: part.name, stackOutputs: upstream },
        pulumiProgram(layer, { model, tenants: part.tenants, part: part.part }),
      );
      outputs[stackReferenceName(part.id, MOCK_ORGANIZATION)] = run.outputs;
      runs.push({ stack: part.name, outputs: upstream, resources: run.resources });
    }
  return runs;
}

/**
 * The graph floor: the programs' registrations replayed (components as bare components, providers as bare
 * providers, custom resources bare) with the same parents, providers, dependencies, deletedWith, name aliases
 * and protect, and the same inputs: what the SDK charges for the graph the resources need, without the
 * programs, the typed SDK classes or the outputs they plumb.
 */
async function graphFloor(model: RegistryModel) {
  const runs = await recordRuns(model);
  const Custom = pulumi.CustomResource as unknown as new (
    t: string,
    n: string,
    p: pulumi.Inputs,
    o: pulumi.CustomResourceOptions,
  ) => pulumi.CustomResource;
  // the SDK's base classes, constructed bare (they are abstract in the typings only)
  const Component = pulumi.ComponentResource as unknown as new (
    t: string,
    n: string,
    a: pulumi.Inputs,
    o: pulumi.ComponentResourceOptions,
  ) => pulumi.ComponentResource;
  const Provider = pulumi.ProviderResource as unknown as new (
    pkg: string,
    n: string,
    p: pulumi.Inputs,
    o: pulumi.ResourceOptions,
  ) => pulumi.ProviderResource;
  global.gc?.();
  const t0 = performance.now();
  for (const run of runs)
    await runProgram({ stack: run.stack, stackOutputs: run.outputs }, async () => {
      const made = new Map<string, pulumi.Resource>();
      for (const r of run.resources) {
        const resources = (urns: string[]) => urns.flatMap((u) => (made.has(u) ? [made.get(u)!] : []));
        const provider = r.provider ? made.get(r.provider.split("::").slice(0, -1).join("::")) : undefined;
        const opts = {
          ...(r.parentUrn && made.has(r.parentUrn) ? { parent: made.get(r.parentUrn)! } : {}),
          ...(provider ? { provider: provider as pulumi.ProviderResource } : {}),
          dependsOn: resources(r.dependsOn),
          ...(r.deletedWith && made.has(r.deletedWith) ? { deletedWith: made.get(r.deletedWith)! } : {}),
          aliases: r.aliases.filter((a) => !a.startsWith("urn:")).map((name) => ({ name })),
          protect: r.protect,
        };
        const inputs = r.inputs as pulumi.Inputs;
        made.set(
          r.urn,
          !r.custom
            ? new Component(r.type, r.name, {}, opts)
            : r.type.startsWith("pulumi:providers:")
              ? new Provider(r.type.slice("pulumi:providers:".length), r.name, inputs, opts)
              : new Custom(r.type, r.name, inputs, opts),
        );
      }
      return {};
    });
  const registrations = runs.reduce((sum, r) => sum + r.resources.length, 0);
  return { ms: performance.now() - t0, registrations };
}

/** The registrar: every stack's specs registered under the mock runtime, as `up` registers them. */
async function registrar(model: RegistryModel) {
  global.gc?.();
  const t0 = performance.now();
  const runs = await recordRuns(model);
  return {
    ms: performance.now() - t0,
    resources: runs.reduce((sum, r) => sum + r.resources.filter((x) => x.custom).length, 0),
  };
}

async function main() {
  const baseline = arg("baseline", 1000);
  const tenants = arg("tenants", 10000);
  await measure(5); // warm up: module loading and JIT
  const rows = [await measure(baseline), await measure(tenants)];
  console.log("the plan as data (no SDK):");
  console.log(" tenants  resources     wall ms      cpu ms  ms/tenant  heap after (MiB)");
  for (const r of rows)
    console.log(
      `${String(r.n).padStart(8)} ${String(r.resources).padStart(10)} ${r.ms.toFixed(0).padStart(11)} ${r.cpuMs.toFixed(0).padStart(11)} ${(r.ms / r.n).toFixed(2).padStart(10)} ${r.heapMiB.toFixed(0).padStart(17)}`,
    );
  const [b, t] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(
    `scaling: time per tenant at ${t.n} vs ${b.n} = ${(t.ms / t.n / (b.ms / b.n)).toFixed(2)}x wall, ${(t.cpuMs / t.n / (b.cpuMs / b.n)).toFixed(2)}x cpu; 1.00 is linear`,
  );
  console.log(`peak RSS after the plans ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  // the registrar against its floors, interleaved and each the best of `rounds` (one run of each varies by a tenth)
  const rounds = arg("rounds", 2);
  const register = arg("register", 200);
  const model = registry(register);
  const plan = await buildPlan(model, LAYERS);
  const best = { registrar: Infinity, floor: Infinity, graph: Infinity, registrations: 0, resources: 0 };
  for (let r = 0; r < rounds; r++) {
    const reg = await registrar(model);
    best.registrar = Math.min(best.registrar, reg.ms);
    best.resources = reg.resources;
    best.floor = Math.min(best.floor, await floor(plan));
    const g = await graphFloor(model);
    best.graph = Math.min(best.graph, g.ms);
    best.registrations = g.registrations;
  }
  const n = best.resources;
  const per = (ms: number) => `${(ms / n).toFixed(3)} ms/resource`;
  console.log(`the registrar under the mock runtime, ${register} tenants, best of ${rounds} rounds each:`);
  console.log(
    `floor: ${n} bare resources in ${best.floor.toFixed(0)} ms = ${per(best.floor)}; registrar ${per(best.registrar)}; ratio ${(best.registrar / best.floor).toFixed(2)}x the floor`,
  );
  console.log(
    `graph: the same ${best.registrations} registrations (${best.registrations - n} components) with their options through the SDK's base classes in ${best.graph.toFixed(0)} ms = ${per(best.graph)}; the registrar is ${(best.registrar / best.graph).toFixed(2)}x the graph, the graph ${(best.graph / best.floor).toFixed(2)}x the bare floor`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

void main();
