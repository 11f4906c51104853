import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { UsageError } from "../registry/problems";
import { environmentNotes } from "../policy/notes";
import { loadRegistry } from "../registry/load";
import { LAYER_NAMES, type LayerName } from "../layers/names";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

export function planCommand(program: Command): void {
  withCommonOptions(
    program
      .command("plan")
      .description(
        "evaluate every layer offline (Pulumi mock runtime: no engine, no credentials) and print what would exist",
      )
      .addOption(
        new Option("--layer <layer...>", "only these layers (dependencies still evaluated)").choices(
          LAYER_NAMES,
        ),
      )
      .option("--tenant <id...>", "only these tenants")
      .option(
        "--workers <n>",
        "plan the shards in this many worker processes (a sharded environment; default: one per CPU)",
      ),
  ).action(async (opts: CommonOptions & { layer?: LayerName[]; tenant?: string[]; workers?: string }) => {
    if (opts.workers !== undefined && !/^[1-9]\d*$/.test(opts.workers))
      throw new UsageError(
        `--workers must be a whole number of at least 1, got ${JSON.stringify(opts.workers)}`,
      );
    const workers = opts.workers !== undefined ? Number(opts.workers) : availableParallelism();
    const model = await loadRegistry(loadOptions(opts));
    // loaded on use: Pulumi takes a second to import, which validate and kubeconfig need not pay
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { buildPlan, formatPlanTree } = require("../plan/plan") as typeof import("../plan/plan");
    const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const plan = await buildPlan(model, LAYERS, {
      ...(opts.layer ? { layers: opts.layer } : {}),
      ...(opts.tenant ? { tenants: opts.tenant } : {}),
      parallel: { workers, module: join(__dirname, "..", "stacks", "plan-worker.ts") },
    });
    if (opts.json) {
      process.stdout.write(JSON.stringify(plan, null, 2) + "\n");
      return;
    }
    const tree = formatPlanTree(plan, new Set(model.tenants.filter((t) => t.offboarding).map((t) => t.id)));
    const notes = environmentNotes(model).map((n) => `note: ${n}`);
    process.stdout.write([tree, ...(notes.length > 0 ? ["", ...notes] : [])].join("\n") + "\n");
  });
}
