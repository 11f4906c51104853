import type { Command } from "commander";
import { stringify } from "yaml";
import { tenantKubeconfig } from "../policy/kubeconfig";
import { loadRegistry } from "../registry/load";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

export function kubeconfigCommand(program: Command): void {
  withCommonOptions(
    program
      .command("kubeconfig")
      .description(
        "print a kubeconfig for a tenant (OIDC exec plugin, no secrets): one context per namespace",
      )
      .argument("<tenant>", "tenant id"),
  ).action(async (tenantId: string, opts: CommonOptions) => {
    const model = await loadRegistry(loadOptions(opts));
    const config = tenantKubeconfig(model, tenantId);
    process.stdout.write(opts.json ? JSON.stringify(config, null, 2) + "\n" : stringify(config));
  });
}
