import Table from "cli-table3";
import type { Command } from "commander";
import { type AccessRow, crossTenantPrincipals, reachesTenant } from "../policy/access";
import { loadRegistry } from "../registry/load";
import { UsageError } from "../registry/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

/**
 * The table form, like `sveltosctl show admin-rbac`: rows that differ only in the resource are folded
 * into one, so each line reads "who, where, which verbs, on what, through which grant".
 */
export function formatAccessTable(rows: AccessRow[]): string {
  const folded = new Map<string, { row: AccessRow; resources: string[] }>();
  for (const r of rows) {
    const key = JSON.stringify([r.tenant ?? "", r.principal, r.system, r.scope, r.verbs, r.via]);
    const entry = folded.get(key);
    if (entry) entry.resources.push(r.resource);
    else folded.set(key, { row: r, resources: [r.resource] });
  }
  const table = new Table({
    head: ["PRINCIPAL", "TENANT", "SYSTEM", "SCOPE", "VERBS", "VIA", "RESOURCES"],
    // borderless, aligned columns: easy to read and to grep
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "  ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  const sorted = [...folded.values()].sort((a, b) => {
    const ka = [a.row.tenant ?? "", a.row.principal, a.row.system, a.row.scope].join("\0");
    const kb = [b.row.tenant ?? "", b.row.principal, b.row.system, b.row.scope].join("\0");
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const { row, resources } of sorted) {
    table.push([
      row.principal,
      row.tenant ?? "(shared)",
      row.system,
      row.scope,
      row.verbs.join(","),
      row.via,
      resources.join(", "),
    ]);
  }
  // the last column is long: no padding after it
  const text = table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
  return `${text}\n${rows.length} grants, ${new Set(rows.map((r) => r.principal)).size} principals`;
}

export function accessCommand(program: Command): void {
  withCommonOptions(
    program
      .command("access")
      .description("who can do what: the access matrix computed from the planned resources of every layer")
      .option("--tenant <id>", "only rows of this tenant's principals and rows reaching its namespaces"),
  ).action(async (opts: CommonOptions & { tenant?: string }) => {
    const model = await loadRegistry(loadOptions(opts));
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: Pulumi takes a second to import */
    const { accessMatrix } = require("../plan/access") as typeof import("../plan/access");
    const { buildPlan } = require("../plan/plan") as typeof import("../plan/plan");
    const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
    /* eslint-enable @typescript-eslint/no-require-imports */
    let rows = accessMatrix(model, await buildPlan(model, LAYERS));
    if (opts.tenant !== undefined) {
      const tenant = model.tenants.find((t) => t.id === opts.tenant);
      if (!tenant) throw new UsageError(`no such tenant: ${opts.tenant}`);
      rows = rows.filter((r) => reachesTenant(r, tenant));
    }
    if (opts.json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
      return;
    }
    const warnings = crossTenantPrincipals(rows, model.tenants).map(
      (c) =>
        `warning: ${c.principal} is cross-tenant: it reaches ${c.tenants.length} tenants (${c.tenants.join(", ")})`,
    );
    process.stdout.write([formatAccessTable(rows), ...warnings].join("\n") + "\n");
  });
}
