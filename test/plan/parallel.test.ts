/**
 * A sharded plan over worker processes is the plan one process makes: the same stacks, in the same order, with
 * the same resources and outputs, the shared stacks reading every shard (the shared CI deployer); through the
 * CLI too (`plan --workers`).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../plan/plan";
import { LAYERS } from "../../stacks/layers";
import { ROOT } from "../helpers/cli";
import { exampleEnvironmentData, generatedTenants, registryOf, withSharedCi } from "./registries";

const MODULE = join(ROOT, "stacks", "plan-worker.ts");

describe("planning shards in worker processes", () => {
  it("gives the one-process plan, shared stacks included", async () => {
    const env = withSharedCi(exampleEnvironmentData());
    env.shards = { count: 3 };
    const model = registryOf(generatedTenants(9), env);
    let rss: number[] = [];
    const parallel = await buildPlan(model, LAYERS, {
      parallel: { workers: 2, module: MODULE, onWorker: (m) => (rss = m) },
    });
    const serial = await buildPlan(model, LAYERS);
    expect(parallel).toEqual(serial);
    expect(rss).toHaveLength(2);
    for (const m of rss) expect(m).toBeGreaterThan(10);
    // the shared CI deployer covers the namespaces of every shard
    const ci = parallel.stacks.find((s) => s.stack === "example-ci")!;
    expect(ci.resources.length).toBeGreaterThan(0);
  }, 120_000);

  it("a subset of tenants plans only their shards, in workers too", async () => {
    const env = exampleEnvironmentData();
    env.shards = { count: 4 };
    const model = registryOf(generatedTenants(8), env);
    const opts = { tenants: ["tenant-03"] };
    const parallel = await buildPlan(model, LAYERS, { ...opts, parallel: { workers: 2, module: MODULE } });
    expect(parallel).toEqual(await buildPlan(model, LAYERS, opts));
  }, 120_000);
});
