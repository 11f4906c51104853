import type { Command } from "commander";
import { shardCount, shardOf } from "../layers/shards";
import { environmentPath, loadRegistry } from "../registry/load";
import { UsageError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

export function shardsCommand(program: Command): void {
  withCommonOptions(
    program
      .command("shards")
      .description(
        "the tenants of each shard; with --to N, which tenants a new shard count moves and the `pulumi state move` commands that move their resources",
      )
      .option("--to <n>", "the shard count to migrate to"),
  ).action(async (opts: CommonOptions & { to?: string }) => {
    const model = await loadRegistry(loadOptions(opts));
    const count = shardCount(model.environment);
    if (opts.to === undefined) {
      const by = Array.from({ length: count }, () => [] as string[]);
      for (const t of model.tenants) by[shardOf(t, count)]!.push(t.id);
      if (opts.json) process.stdout.write(JSON.stringify({ count, shards: by }, null, 2) + "\n");
      else
        for (const [k, ids] of by.entries())
          console.log(
            `${count === 1 ? "unsharded" : `shard ${k}`}: ${ids.length} tenants${ids.length ? ` (${ids.join(", ")})` : ""}`,
          );
      return;
    }
    if (!/^\d+$/.test(opts.to))
      throw new UsageError(`--to must be a whole number, got ${JSON.stringify(opts.to)}`);
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
    const { migrationScript, shardMigration } =
      require("../plan/shard-migration") as typeof import("../plan/shard-migration");
    const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const m = await shardMigration(model, Number(opts.to), LAYERS);
    if (opts.json) process.stdout.write(JSON.stringify(m, null, 2) + "\n");
    else process.stdout.write(migrationScript(m, environmentPath(opts.env)));
  });
}
