/**
 * A plan worker process (plan/plan.ts `planInWorkers`): gets a registry model and a selection of shards,
 * plans every layer of those shards under the mock runtime, sends each planned stack as soon as it is done (so
 * its memory holds one stack's plan at a time), then the stacks' outputs and its peak memory, and exits. Here, not in plan/, because it binds the layer programs.
 */
import { type Selection, type WorkerMessage, planStacks } from "../plan/plan";
import type { RegistryModel } from "../registry/model";
import { LAYERS } from "./layers";

process.once("message", async (m: { model: RegistryModel; selection: Selection }) => {
  try {
    const outputs: Record<string, Record<string, unknown>> = {};
    const mine = new Set(m.selection.shards);
    const send = (message: WorkerMessage) =>
      new Promise<void>((resolve, reject) =>
        process.send!(message, undefined, {}, (e) => (e ? reject(e) : resolve())),
      );
    // each stack goes as soon as it is planned, and is not kept here
    const pending: Promise<void>[] = [];
    await planStacks(
      m.model,
      LAYERS,
      m.selection,
      outputs,
      (s) => s.part.shard !== undefined && mine.has(s.part.shard),
      (stack) => void pending.push(send({ stack })),
    );
    await Promise.all(pending);
    await send({ done: { outputs, maxRssMiB: process.resourceUsage().maxRSS / 1024 } });
  } catch (e) {
    process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
