import Table from "cli-table3";
import type { Command } from "commander";
import { type AccessRow, crossTenantPrincipals, reachesTenant } from "../policy/access";
import { loadRegistry } from "../registry/load";
import { UsageError } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

/** A row's columns in the admin-rbac shape: where (cluster or system), namespace, API group, resource. */
function columns(r: AccessRow): { cluster: string; namespace: string; group: string; resource: string } {
  if (r.system !== "kubernetes")
    return {
      cluster: `(${r.system})`,
      namespace: r.system === "dns" ? r.scope : "-",
      group: "-",
      resource: r.resource,
    };
  const group = r.apiGroup ?? "";
  const resource =
    group !== "" && r.resource.startsWith(`${group}/`) ? r.resource.slice(group.length + 1) : r.resource;
  return {
    cluster: r.cluster ?? "-",
    namespace: r.scope.startsWith("namespace:") ? r.scope.slice("namespace:".length) : "*",
    // a note row (what CRDs may aggregate) names no group
    group: r.resource.startsWith("(") ? "-" : group === "" ? "core" : group,
    resource,
  };
}

/**
 * The table form, in the shape of `sveltosctl show admin-rbac` (CLUSTER, ADMIN, NAMESPACE, API GROUPS,
 * RESOURCES, RESOURCE NAMES, VERBS), with the principal's tenant and the grant it comes through: rows that
 * differ only in the resource are folded into one, so each line reads "where, who, which verbs, on what,
 * through which grant". Vault and DNS rows say their system where a cluster would be.
 */
export function formatAccessTable(rows: AccessRow[]): string {
  const folded = new Map<string, { row: AccessRow; cols: ReturnType<typeof columns>; resources: string[] }>();
  for (const r of rows) {
    const cols = columns(r);
    const names = (r.resourceNames ?? []).join(",");
    const key = JSON.stringify([
      cols.cluster,
      r.tenant ?? "",
      r.principal,
      cols.namespace,
      cols.group,
      names,
      r.verbs,
      r.via,
    ]);
    const entry = folded.get(key);
    if (entry) entry.resources.push(cols.resource);
    else folded.set(key, { row: r, cols, resources: [cols.resource] });
  }
  const table = new Table({
    head: [
      "CLUSTER",
      "ADMIN",
      "TENANT",
      "NAMESPACE",
      "API GROUPS",
      "RESOURCES",
      "RESOURCE NAMES",
      "VERBS",
      "VIA",
    ],
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
  const order = (e: { row: AccessRow; cols: ReturnType<typeof columns> }) =>
    [e.row.tenant ?? "", e.row.principal, e.row.system, e.cols.cluster, e.cols.namespace].join("\0");
  const sorted = [...folded.values()].sort((a, b) => {
    const ka = order(a);
    const kb = order(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const { row, cols, resources } of sorted) {
    table.push([
      cols.cluster,
      row.principal,
      row.tenant ?? "(shared)",
      cols.namespace,
      cols.group,
      resources.join(", "),
      row.resourceNames?.join(", ") ?? "*",
      row.verbs.join(","),
      row.via,
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
      .option("--tenant <id>", "only rows of this tenant's principals and rows reaching its namespaces")
      .option("--cluster <name>", "only the Kubernetes grants on this cluster"),
  ).action(async (opts: CommonOptions & { tenant?: string; cluster?: string }) => {
    const model = await loadRegistry(loadOptions(opts));
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
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
    if (opts.cluster !== undefined) {
      const known = model.environment.clusters.map((c) => c.name);
      if (!known.includes(opts.cluster))
        throw new UsageError(`no such cluster: ${opts.cluster} (clusters: ${known.join(", ")})`);
      rows = rows.filter((r) => r.cluster === opts.cluster);
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
