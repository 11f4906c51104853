import type { Command } from "commander";
import { ExitCode, ExternalError, UsageError, escapeLines } from "../components/core/problems";
import { loadRegistry } from "../registry/load";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

interface CheckRolesOptions extends CommonOptions {
  cluster?: string[];
  context?: string;
  kubeconfig?: string;
}

/**
 * `tenancy check-roles`: the live admin, edit and view ClusterRoles (and tenancy's owner, developer and viewer
 * roles that aggregate them) against what a namespace owner may hold (ARCHITECTURE.md, "Roles"); exit 7 when a
 * grant goes beyond. Read only.
 */
export function checkRolesCommand(program: Command): void {
  withCommonOptions(
    program
      .command("check-roles")
      .description(
        "read the clusters' live admin, edit and view ClusterRoles (and tenancy's roles aggregating them) and report every grant beyond what a namespace owner may hold; exit 7 if any",
      )
      .option("--cluster <name...>", "only these clusters of the environment")
      .option(
        "--context <name>",
        "check this kubeconfig context instead of the environment's clusters (e.g. before a cluster joins it)",
      )
      .option(
        "--kubeconfig <file>",
        "with --context: the kubeconfig file (default: KUBECONFIG, then ~/.kube/config)",
      ),
  ).action(async (opts: CheckRolesOptions) => {
    if (opts.kubeconfig && !opts.context) throw new UsageError("--kubeconfig needs --context");
    if (opts.context && opts.cluster) throw new UsageError("--context and --cluster exclude each other");
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: the Kubernetes client */
    const { checkRoles, rolesText } =
      require("../deploy/check-roles") as typeof import("../deploy/check-roles");
    const { kubeConfigs } = require("../deploy/kube") as typeof import("../deploy/kube");
    const { KubeConfig } = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const targets: { name: string; kc: import("@kubernetes/client-node").KubeConfig }[] = [];
    if (opts.context) {
      const kc = new KubeConfig();
      try {
        if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
        else kc.loadFromDefault();
      } catch (e) {
        throw new ExternalError(`cannot read the kubeconfig: ${(e as Error).message.split("\n")[0]}`);
      }
      if (!kc.getContextObject(opts.context))
        throw new UsageError(`kubeconfig context ${opts.context} not found`);
      kc.setCurrentContext(opts.context);
      targets.push({ name: `context ${opts.context}`, kc });
    } else {
      const model = await loadRegistry(loadOptions(opts));
      const names = model.environment.clusters.map((c) => c.name);
      const unknown = (opts.cluster ?? []).filter((c) => !names.includes(c));
      if (unknown.length > 0)
        throw new UsageError(`no cluster ${unknown.join(", ")} in environment ${model.environment.name}`);
      const configs = kubeConfigs(model.environment);
      for (const name of opts.cluster ?? names) targets.push({ name: `cluster ${name}`, kc: configs(name) });
    }
    const reports = [];
    for (const t of targets) reports.push(await checkRoles(t.kc, t.name));
    if (opts.json)
      process.stdout.write(
        JSON.stringify({ ok: reports.every((r) => r.findings.length === 0), reports }, null, 2) + "\n",
      );
    else process.stdout.write(escapeLines(rolesText(reports)));
    if (reports.some((r) => r.findings.length > 0)) process.exitCode = ExitCode.drift;
  });
}
