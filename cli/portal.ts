import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { type Provenance, registryProvenance } from "../portal/provenance";
import { setupScript } from "../portal/setup-script";
import { environmentPath } from "../registry/load";
import type { RegistryModel } from "../registry/model";
import { loadRegistry } from "../registry/load";
import { UsageError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

/** The registry's git revision (YAML source); a Vault registry is no git checkout. */
function provenanceOf(model: RegistryModel, opts: CommonOptions): Provenance {
  const environment = model.environment.name;
  if (opts.source !== "yaml") return { environment, uncommitted: false };
  return registryProvenance(environment, opts.registry, environmentPath(opts.env));
}

export function portalCommands(program: Command): void {
  withCommonOptions(
    program
      .command("portal")
      .description(
        "write the self-service portal, a static site: a page per tenant (namespaces, hosts, members, Vault, CI, kubeconfig and setup script) and the platform index (tenants, tiers, graph, access matrix)",
      )
      .requiredOption("--out <dir>", "directory to write the site into (created if missing)"),
  ).action(async (opts: CommonOptions & { out: string }) => {
    if (existsSync(opts.out) && !statSync(opts.out).isDirectory())
      throw new UsageError(`--out ${opts.out} exists and is not a directory`);
    const model = await loadRegistry(loadOptions(opts));
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
    const { accessMatrix } = require("../plan/access") as typeof import("../plan/access");
    const { buildPlan } = require("../plan/plan") as typeof import("../plan/plan");
    const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
    const { buildSite } = require("../portal/site") as typeof import("../portal/site");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const plan = await buildPlan(model, LAYERS);
    const site = buildSite(model, plan, accessMatrix(model, plan), provenanceOf(model, opts));
    for (const [path, text] of site) {
      const file = join(opts.out, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      if (path.endsWith(".sh")) chmodSync(file, 0o755);
    }
    const files = [...site.keys()];
    process.stdout.write(
      opts.json
        ? JSON.stringify({ out: opts.out, files }, null, 2) + "\n"
        : `wrote ${files.length} files to ${opts.out}: index.html and ${model.tenants.length} tenant pages (tenants/<id>/)\n`,
    );
  });

  withCommonOptions(
    program
      .command("setup-script")
      .description(
        "print a tenant's setup script: installs kubectl and the OIDC login plugin when missing, writes its kubeconfig",
      )
      .argument("<tenant>", "tenant id"),
  ).action(async (tenantId: string, opts: CommonOptions) => {
    const model = await loadRegistry(loadOptions(opts));
    process.stdout.write(setupScript(model, tenantId, provenanceOf(model, opts)));
  });
}
