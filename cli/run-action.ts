/**
 * `preview`, `up` and `destroy` as the CLI runs them: progress on stderr (a task list on a terminal, timestamped
 * lines otherwise), then the summary table (or, with --json, the results) on stdout, on failure too; after a
 * successful `up` that ran the platform layer, the tenant events. Loaded on use: it brings in the layer programs.
 */
import {
  type Action,
  type RunOptions,
  type StackEngine,
  type StackResult,
  appliedPlatform,
  runLayers,
  runStacks,
} from "../deploy/run";
import type { RegistryModel } from "../registry/model";
import { afterUp, queueEvents } from "./events";
import { interactive, progress, summaryTable } from "./progress";

export async function runAction(
  action: Action,
  model: RegistryModel,
  engine: StackEngine,
  opts: RunOptions,
  json: boolean,
): Promise<void> {
  const run = runStacks(action, model, opts.layers);
  const stacks = run.map((s) => s.name);
  // events tell what an up did to each tenant: the platform layer's outputs before it, against the registry
  const withEvents = action === "up" && run.some((s) => s.layer === "platform");
  const before = withEvents ? await appliedPlatform(engine, model, opts.parallel) : undefined;
  const reporter = progress({ stacks, last: action, tty: interactive() });
  let results: StackResult[] = [];
  let ok = false;
  try {
    await runLayers(action, model, engine, { ...opts, reporter });
    ok = true;
  } finally {
    results = await reporter.close();
    if (!json && results.length > 0) console.log(summaryTable(results));
    // an up that failed after its platform stacks were applied: their tenants' events are not lost (the next up
    // sees them applied), they wait in the outbox for tenancy events --resend
    const platformApplied =
      results.some((r) => r.layer === "platform") &&
      results.filter((r) => r.layer === "platform").every((r) => r.phase === "up" && r.status === "done");
    if (!ok && withEvents && platformApplied)
      queueEvents(model, before, "the up failed after the platform layer was applied");
  }
  // a failed delivery is reported and kept in the outbox, never undoing the apply
  const events = ok && withEvents ? await afterUp(model, before) : undefined;
  if (json)
    process.stdout.write(
      JSON.stringify({ action, stacks: results, ...(events ? { events } : {}) }, null, 2) + "\n",
    );
}
