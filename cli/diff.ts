import { rmSync } from "node:fs";
import { type Command, Option } from "commander";
import { checkoutAt } from "../registry/git-ref";
import { loadRegistry } from "../registry/load";
import { ExitCode, SafetyError, UsageError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

export function diffCommand(program: Command): void {
  withCommonOptions(
    program
      .command("diff")
      .description(
        "what a registry change does: the registry and environment at a git ref against the working tree, planned and compared (resources per tenant and layer, access rows gained and lost); exit 3 where the guard would refuse it",
      )
      .requiredOption("--base <ref>", "the git ref to compare against, e.g. origin/main")
      .addOption(
        new Option("--format <format>", "text, or markdown for a pull request comment")
          .choices(["text", "markdown"])
          .default("text"),
      )
      .option(
        "--full",
        "plan every tenant on both sides (by default only those the change can touch, and the shared resources)",
      ),
  ).action(async (opts: CommonOptions & { base: string; format: "text" | "markdown"; full?: boolean }) => {
    const head = loadOptions(opts);
    if (head.source.kind !== "yaml")
      throw new UsageError("diff compares registry files in git: use it with --source yaml (the default)");
    const dir = head.source.dir;
    const baseRoot = checkoutAt(".", opts.base, [dir, "environments"]);
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
    const { compareRegistries, formatDiff, formatDiffMarkdown } =
      require("../plan/diff") as typeof import("../plan/diff");
    const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
    /* eslint-enable @typescript-eslint/no-require-imports */
    try {
      const headModel = await loadRegistry(head);
      const baseModel = await loadRegistry({
        ...head,
        root: baseRoot,
        source: { kind: "yaml", dir: `${baseRoot}/${dir}` },
      });
      const diff = await compareRegistries(baseModel, headModel, LAYERS, { full: opts.full === true });
      const { refused } = diff;
      process.stdout.write(
        (opts.json
          ? JSON.stringify({ base: opts.base, ...diff }, null, 2)
          : opts.format === "markdown"
            ? formatDiffMarkdown(diff, opts.base, head.env, refused)
            : formatDiff(diff, `diff ${opts.base} -> working tree (environment ${head.env})`)) + "\n",
      );
      // --json carries the refusal in its one document; the terminal gets it on stderr
      if (refused && opts.json) process.exitCode = ExitCode.safety;
      else if (refused) throw new SafetyError(refused);
    } finally {
      rmSync(baseRoot, { recursive: true, force: true });
    }
  });
}
