import { type Command, Option } from "commander";
import { environmentNotes } from "../policy/notes";
import { loadRegistry } from "../registry/load";
import { LAYER_NAMES, type LayerName } from "../layers/names";
import { buildPlan, formatPlanTree } from "../plan/plan";
import { LAYERS } from "../stacks/layers";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

export function planCommand(program: Command): void {
  withCommonOptions(
    program
      .command("plan")
      .description(
        "every layer's resources, offline (read as data: no engine, no credentials) and printed per stack and tenant",
      )
      .addOption(
        new Option("--layer <layer...>", "only these layers (dependencies still evaluated)").choices(
          LAYER_NAMES,
        ),
      )
      .option("--tenant <id...>", "only these tenants"),
  ).action(async (opts: CommonOptions & { layer?: LayerName[]; tenant?: string[] }) => {
    const model = await loadRegistry(loadOptions(opts));
    const plan = await buildPlan(model, LAYERS, {
      ...(opts.layer ? { layers: opts.layer } : {}),
      ...(opts.tenant ? { tenants: opts.tenant } : {}),
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
