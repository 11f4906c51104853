import type { Command } from "commander";
import { summarise } from "../registry/model";
import { loadRegistry } from "../registry/load";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

export function validateCommand(program: Command): void {
  withCommonOptions(
    program
      .command("validate")
      .description("load and validate the registry and environment; print every problem at once"),
  ).action(async (opts: CommonOptions) => {
    const model = await loadRegistry(loadOptions(opts));
    const s = summarise(model);
    if (opts.json) {
      process.stdout.write(
        JSON.stringify({ ok: true, environment: model.environment.name, ...s }, null, 2) + "\n",
      );
      return;
    }
    const where = opts.source === "vault" ? "registry vault" : `registry ${opts.registry}`;
    console.log(
      `valid: ${s.tenants} tenants, ${s.namespaces} namespaces, ${s.domains} domains, ${s.members} members` +
        (s.offboarding > 0 ? ` (${s.offboarding} offboarding)` : "") +
        `; environment ${model.environment.name}, ${where}`,
    );
  });
}
