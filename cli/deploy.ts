import { type Command, Option } from "commander";
import { DEFAULT_MAX_REMOVALS } from "../deploy/guard";
import type { Action } from "../deploy/run";
import { loadRegistry } from "../registry/load";
import { UsageError } from "../registry/problems";
import { LAYER_NAMES, type LayerName } from "../layers/names";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

const DESCRIPTIONS: Record<Action, string> = {
  preview: "preview every layer's stack with the Pulumi engine (needs the Pulumi CLI and credentials)",
  up: "apply every layer's stack in dependency order, after the safety guard",
  destroy: "destroy every layer's stack in reverse order (protected namespaces stay)",
};

export function deployCommands(program: Command): void {
  for (const action of ["preview", "up", "destroy"] as const) {
    withCommonOptions(
      program
        .command(action)
        .description(DESCRIPTIONS[action])
        .addOption(new Option("--layer <layer...>", "only these layers").choices(LAYER_NAMES))
        .option("--allow-removals", "proceed although tenants would be removed")
        .option(
          "--max-removals <n>",
          "removals of offboarded tenants accepted without --allow-removals",
          String(DEFAULT_MAX_REMOVALS),
        ),
    ).action(
      async (opts: CommonOptions & { layer?: LayerName[]; allowRemovals?: boolean; maxRemovals: string }) => {
        const maxRemovals = Number(opts.maxRemovals);
        if (!Number.isInteger(maxRemovals) || maxRemovals < 0)
          throw new UsageError(`--max-removals must be a whole number, got ${opts.maxRemovals}`);
        const model = await loadRegistry(loadOptions(opts));
        /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: Pulumi takes a second to import */
        const { automationEngine } = require("../deploy/automation") as typeof import("../deploy/automation");
        const { runLayers } = require("../deploy/run") as typeof import("../deploy/run");
        /* eslint-enable @typescript-eslint/no-require-imports */
        const summaries = await runLayers(action, model, automationEngine, {
          allowRemovals: opts.allowRemovals === true,
          maxRemovals,
          ...(opts.layer ? { layers: opts.layer } : {}),
        });
        for (const s of summaries) console.log(s);
      },
    );
  }
}
