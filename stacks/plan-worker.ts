/**
 * A plan worker process (plan/plan.ts `planInWorkers`): gets a registry model and a selection of shards,
 * plans every layer of those shards under the mock runtime, answers with the planned stacks, their outputs and
 * its peak memory, and exits. Here, not in plan/, because it binds the layer programs.
 */
import { type Selection, type WorkerResult, planStacks } from "../plan/plan";
import type { RegistryModel } from "../registry/model";
import { LAYERS } from "./layers";

process.once("message", async (m: { model: RegistryModel; selection: Selection }) => {
  try {
    const outputs: Record<string, Record<string, unknown>> = {};
    const mine = new Set(m.selection.shards);
    const stacks = await planStacks(
      m.model,
      LAYERS,
      m.selection,
      outputs,
      (s) => s.part.shard !== undefined && mine.has(s.part.shard),
    );
    const result: WorkerResult = { stacks, outputs, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
    process.send!(result);
  } catch (e) {
    process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
