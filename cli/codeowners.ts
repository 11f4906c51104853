import { readFileSync } from "node:fs";
import { relative, sep } from "node:path";
import type { Command } from "commander";
import { codeowners } from "../policy/codeowners";
import { loadRegistry } from "../registry/load";
import { InvalidInputError, UsageError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

export function codeownersCommand(program: Command): void {
  withCommonOptions(
    program
      .command("codeowners")
      .description(
        "CODEOWNERS for the registry: admins own everything, each tenant (and its members with manager: true) its own record",
      )
      .option("--check <file>", "exit 1 when <file> differs from what would be generated (for CI)"),
  ).action(async (opts: CommonOptions & { check?: string }) => {
    const load = loadOptions(opts);
    if (load.source.kind !== "yaml")
      throw new UsageError("CODEOWNERS covers registry files: use --source yaml");
    const model = await loadRegistry(load);
    const admins = model.environment.codeowners?.admins;
    if (!admins)
      throw new UsageError(
        `environment ${model.environment.name} names no codeowners.admins: add the platform admins' git accounts or team`,
      );
    const text = codeowners(model, admins, (source) => relative(".", source).split(sep).join("/"));
    if (!opts.check) {
      process.stdout.write(text);
      return;
    }
    let current = "";
    try {
      current = readFileSync(opts.check, "utf8");
    } catch {
      // a missing file is out of date too
    }
    if (current !== text)
      throw new InvalidInputError([
        { source: opts.check, path: [], message: "is out of date: regenerate it with tenancy codeowners" },
      ]);
    console.log(`${opts.check} is up to date`);
  });
}
