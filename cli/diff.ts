import { rmSync } from "node:fs";
import { type Command, Option } from "commander";
import { checkoutAt } from "../registry/git-ref";
import { loadRegistry } from "../registry/load";
import { ExitCode, SafetyError, UsageError } from "../registry/problems";
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
      ),
  ).action(async (opts: CommonOptions & { base: string; format: "text" | "markdown" }) => {
    const head = loadOptions(opts);
    if (head.source.kind !== "yaml")
      throw new UsageError("diff compares registry files in git: use it with --source yaml (the default)");
    const dir = head.source.dir;
    const baseRoot = checkoutAt(".", opts.base, [dir, "environments"]);
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: Pulumi takes a second to import */
    const { accessMatrix } = require("../plan/access") as typeof import("../plan/access");
    const { diffPlans, formatDiff, formatDiffMarkdown } =
      require("../plan/diff") as typeof import("../plan/diff");
    const { buildPlan } = require("../plan/plan") as typeof import("../plan/plan");
    const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
    const { checkRegistryChange } = require("../deploy/guard") as typeof import("../deploy/guard");
    /* eslint-enable @typescript-eslint/no-require-imports */
    try {
      const headModel = await loadRegistry(head);
      const baseModel = await loadRegistry({
        ...head,
        root: baseRoot,
        source: { kind: "yaml", dir: `${baseRoot}/${dir}` },
      });
      const side = async (model: typeof headModel) => {
        const plan = await buildPlan(model, LAYERS);
        return { model, plan, access: accessMatrix(model, plan) };
      };
      const [b, h] = [await side(baseModel), await side(headModel)];
      const diff = diffPlans(b, h);
      // the guard, as `up` would apply it with the base as what is applied
      let refused: string | undefined;
      try {
        const platform = b.plan.stacks.find((s) => s.layer === "platform")?.outputs;
        checkRegistryChange(platform, headModel, { allowRemovals: false, allowHandover: false });
      } catch (e) {
        if (!(e instanceof SafetyError)) throw e;
        refused = e.message;
      }
      process.stdout.write(
        (opts.json
          ? JSON.stringify({ base: opts.base, ...diff, ...(refused ? { refused } : {}) }, null, 2)
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
