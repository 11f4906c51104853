import type { Command } from "commander";
import { Option } from "commander";
import { DEFAULT_PARALLEL, LAYER_NAMES, type LayerName } from "../layers/names";
import { loadRegistry } from "../registry/load";
import { ExitCode, UsageError, escapeLines } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

interface DriftOptions extends CommonOptions {
  layer?: LayerName[];
  parallel: string;
}

/** `tenancy drift`: what differs between the real systems and the registry, per tenant; exit 7 if anything does. */
export function driftCommand(program: Command): void {
  withCommonOptions(
    program
      .command("drift")
      .description(
        "refresh and preview every stack (read only): per tenant, what differs from the registry; exit 7 if anything does",
      )
      .addOption(new Option("--layer <layer...>", "only these layers").choices(LAYER_NAMES))
      .addOption(
        new Option("--parallel <n>", "most stacks read at once (default: sized to this machine)")
          .default(String(DEFAULT_PARALLEL))
          .env("TENANCY_PARALLEL"),
      ),
  ).action(async (opts: DriftOptions) => {
    const parallel = Number(opts.parallel);
    if (!/^\d+$/.test(opts.parallel) || parallel < 1)
      throw new UsageError(
        `--parallel must be a whole number of at least 1, got ${JSON.stringify(opts.parallel)}`,
      );
    const model = await loadRegistry(loadOptions(opts));
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: the engine and the layers */
    const { drift } = require("../deploy/drift") as typeof import("../deploy/drift");
    const { automationEngine } = require("../deploy/automation") as typeof import("../deploy/automation");
    const { kubeConfigs } = require("../deploy/kube") as typeof import("../deploy/kube");
    const { missingPrerequisites } =
      require("../deploy/prerequisites") as typeof import("../deploy/prerequisites");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const missing = missingPrerequisites(model, opts.layer, kubeConfigs(model.environment));
    if (missing.length > 0) throw new UsageError("cannot look for drift yet:", missing);
    const report = await drift(model, automationEngine, {
      ...(opts.layer ? { layers: opts.layer } : {}),
      parallel,
    });
    const found = report.lines.length > 0 || report.unapplied.length > 0;
    if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else process.stdout.write(escapeLines(driftText(report)));
    if (found) process.exitCode = ExitCode.drift;
  });
}

/** The report as text: per tenant (the shared resources last), then a summary line. */
export function driftText(report: import("../deploy/drift").DriftReport): string {
  const out: string[] = [];
  const groups = new Map<string, string[]>();
  for (const l of report.lines) {
    const who = l.tenant ?? "(shared or no longer in the registry)";
    groups.set(who, [...(groups.get(who) ?? []), `  ${l.stack}: ${l.op.padEnd(7)} ${l.resource}`]);
  }
  for (const [who, lines] of groups) out.push(`${who}:`, ...lines);
  for (const s of report.unapplied) out.push(`${s}: never applied (every resource in it is still to create)`);
  const tenants = [...groups.keys()].filter((k) => !k.startsWith("("));
  out.push(
    report.lines.length === 0 && report.unapplied.length === 0
      ? "no drift: every stack is as the registry says"
      : `drift: ${report.lines.length} difference${report.lines.length === 1 ? "" : "s"} in ${tenants.length} tenant${tenants.length === 1 ? "" : "s"}${tenants.length ? ` (${tenants.join(", ")})` : ""}; tenancy up --refresh sets them back (a plain up compares with the stacks' state only)`,
  );
  return out.join("\n") + "\n";
}
