import { type Command, Option } from "commander";
import { DEFAULT_MAX_REMOVALS } from "../deploy/guard";
import type { RunOptions } from "../deploy/run";
import { DEFAULT_PARALLEL, LAYER_NAMES, type LayerName } from "../layers/names";
import { loadRegistry } from "../registry/load";
import type { RegistryModel } from "../registry/model";
import { UsageError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

type DeployAction = "preview" | "up" | "destroy" | "adopt";

const DESCRIPTIONS: Record<DeployAction, string> = {
  preview:
    "preview every layer's stack with the Pulumi engine, after the safety guard (needs the Pulumi CLI and credentials)",
  up: "apply every layer's stack in dependency order: the safety guard, a preview of every layer, then the update",
  destroy: "destroy every layer's stack in reverse order (protected namespaces and their fences stay)",
  adopt:
    "up, once, over an existing installation: existing Kubernetes objects, Vault policies, roles and identities are taken over instead of failing",
};

interface DeployOptions extends CommonOptions {
  layer?: LayerName[];
  allowRemovals?: boolean;
  allowHandover?: boolean;
  allowShardChange?: boolean;
  allowDefaultClusterChange?: boolean;
  maxRemovals: string;
  refresh?: boolean;
  parallel: string;
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
const deploy = () => ({
  ...(require("../deploy/automation") as typeof import("../deploy/automation")),
  ...(require("./run-action") as typeof import("./run-action")),
});
/* eslint-enable @typescript-eslint/no-require-imports */

function wholeNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function runOptions(opts: DeployOptions): RunOptions {
  const maxRemovals = wholeNumber("--max-removals", opts.maxRemovals, 0);
  return {
    parallel: wholeNumber("--parallel", opts.parallel, 1),
    allowRemovals: opts.allowRemovals === true,
    allowHandover: opts.allowHandover === true,
    allowShardChange: opts.allowShardChange === true,
    allowDefaultClusterChange: opts.allowDefaultClusterChange === true,
    maxRemovals,
    refresh: opts.refresh === true,
    ...(opts.layer ? { layers: opts.layer } : {}),
  };
}

/** `adopt`: the Vault identities that exist, a report of how each resource is taken over, then `up`. */
async function adopt(model: RegistryModel, opts: RunOptions, json: boolean): Promise<void> {
  // connect() checked every prerequisite, the tokens included
  const token = process.env.VAULT_TOKEN ?? "";
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { lookupIdentities } =
    require("../deploy/vault-identity") as typeof import("../deploy/vault-identity");
  const { adoptionReport } = require("../deploy/adopt") as typeof import("../deploy/adopt");
  const { buildPlan, describeResource } = require("../plan/plan") as typeof import("../plan/plan");
  const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
  const { tenantDnsRecords } =
    require("../components/dns/policy") as typeof import("../components/dns/policy");
  const { lookupRecords } =
    require("../deploy/cloudflare-lookup") as typeof import("../deploy/cloudflare-lookup");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const found = await lookupIdentities(model.environment, model.tenants, { token });
  // DNS records, when tenancy manages them and the dns layer runs
  const records = model.tenants.flatMap((t) => tenantDnsRecords(model.environment, t));
  if (records.length > 0 && (!opts.layers || opts.layers.includes("dns"))) {
    const cfToken = process.env.CLOUDFLARE_API_TOKEN ?? "";
    const dns = await lookupRecords(records, { token: cfToken });
    found.adoption.dnsRecords = dns.ids;
    Object.assign(found.failures, dns.failures);
  }
  const plan = await buildPlan(model, LAYERS, opts.layers ? { layers: opts.layers } : {});
  const report = adoptionReport(plan.stacks, found.adoption, describeResource, found.failures);
  const cannot = report.filter((l) => l.how === "cannot");
  if (json) process.stderr.write(JSON.stringify(report, null, 2) + "\n");
  else
    for (const l of report)
      process.stderr.write(
        `${l.stack}: ${l.how.padEnd(8)} ${l.resource}${l.detail ? `  (${l.detail})` : ""}\n`,
      );
  if (cannot.length > 0)
    throw new UsageError(
      `cannot adopt ${cannot.length} resource${cannot.length === 1 ? "" : "s"} (above); nothing was changed`,
    );
  return deploy().runAction(
    "up",
    model,
    deploy().automationEngine,
    { ...opts, adoption: { ...found.adoption, kubernetes: { upsert: "all" } } },
    json,
  );
}

export function deployCommands(program: Command): void {
  for (const action of ["preview", "up", "destroy", "adopt"] as const) {
    withCommonOptions(
      program
        .command(action)
        .description(DESCRIPTIONS[action])
        .addOption(new Option("--layer <layer...>", "only these layers").choices(LAYER_NAMES))
        .option("--allow-removals", "proceed although tenants or namespaces would be removed")
        .option("--allow-handover", "proceed although namespaces would pass to another tenant")
        .option(
          "--allow-shard-change",
          "proceed although shards.count differs from the applied one (after moving the state: tenancy shards --to)",
        )
        .option(
          "--allow-default-cluster-change",
          "proceed although the default cluster differs from the applied one (both clusters' objects are replaced)",
        )
        .option(
          "--max-removals <n>",
          "removals of offboarded tenants accepted without --allow-removals",
          String(DEFAULT_MAX_REMOVALS),
        )
        .option("--refresh", "refresh each stack's state from the real systems first (drift)")
        .addOption(
          new Option(
            "--parallel <n>",
            "most stacks run at once (layers that do not depend on each other run together; default: sized to this machine)",
          )
            .default(String(DEFAULT_PARALLEL))
            .env("TENANCY_PARALLEL"),
        ),
    ).action(async (opts: DeployOptions) => {
      const run = runOptions(opts);
      const model = await loadRegistry(loadOptions(opts));
      const json = opts.json === true;
      const connected = deploy().connect(model, action, run);
      if (action === "adopt") await adopt(model, connected, json);
      else await deploy().runAction(action, model, deploy().automationEngine, connected, json);
    });
  }
}
