import { type Command, Option } from "commander";
import { loadRegistry } from "../registry/load";
import { buildPlan, formatPlanTree } from "../plan/plan";
import type { LayerName } from "../stacks/layer";
import { LAYERS } from "../stacks/layers";
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
          LAYERS.map((l) => l.name),
        ),
      )
      .option("--tenant <id...>", "only these tenants"),
  ).action(async (opts: CommonOptions & { layer?: LayerName[]; tenant?: string[] }) => {
    const model = await loadRegistry(loadOptions(opts));
    const plan = await buildPlan(model, {
      ...(opts.layer ? { layers: opts.layer } : {}),
      ...(opts.tenant ? { tenants: opts.tenant } : {}),
    });
    process.stdout.write(
      (opts.json
        ? JSON.stringify(plan, null, 2)
        : formatPlanTree(plan, new Set(model.tenants.filter((t) => t.offboarding).map((t) => t.id)))) + "\n",
    );
  });
}
