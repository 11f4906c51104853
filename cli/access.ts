import Table from "cli-table3";
import { type Command, Option } from "commander";
import { type AccessRow, crossTenantPrincipals, reachesNamespace, reachesTenant } from "../policy/access";
import { loadRegistry } from "../registry/load";
import type { RegistryModel } from "../registry/model";
import { tenantPrincipal } from "../components/members/rbac";
import { UsageError, escapeControl, show } from "../components/core/problems";
import { type CommonOptions, loadOptions, withCommonOptions } from "./options";

const SYSTEMS: AccessRow["system"][] = ["kubernetes", "vault", "dns"];

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

/** Every cell escaped: registry values reach the terminal only as text (control characters written out). */
const cell = (text: string) => escapeControl(text);

/** A borderless table of aligned columns (easy to read and to grep); `widths` wrap the columns given one. */
function borderless(head: string[], widths?: number[]): Table.Table {
  return new Table({
    head,
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
    ...(widths ? { colWidths: widths, wordWrap: true, wrapOnWordBoundary: true, truncate: "…" } : {}),
  });
}

/** The table's text: the last column is long, so no padding after it. */
function text(table: Table.Table): string {
  return table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
}

/**
 * A table fitting a terminal of `width` columns (none when not a terminal): the widest of the `first` columns
 * (the descriptive ones: resources, verbs, the grant) gives up a character until the table fits or they are 16
 * wide, then the widest of any, none narrower than 12 (a very narrow terminal still scrolls). Cells wrap at word
 * boundaries; a word longer than its cell is broken across lines, never cut: names stay whole.
 */
function fitted(
  head: string[],
  cells: string[][],
  width: number | undefined,
  first: number[],
): { widths?: number[]; cells: string[][] } {
  if (width === undefined) return { cells };
  const natural = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const widths = [...natural];
  let excess = widths.reduce((a, b) => a + b, 0) + 2 * (head.length - 1) - width;
  if (excess <= 0) return { cells };
  for (const [among, floor] of [
    [first, 16],
    [widths.map((_, i) => i), 12],
  ] as const) {
    while (excess > 0) {
      const widest = among.reduce((a, i) => (widths[i]! > widths[a]! ? i : a), among[0]!);
      if (widths[widest]! <= floor) break;
      widths[widest]!--;
      excess--;
    }
  }
  const broken = cells.map((row) =>
    row.map((text, i) =>
      widths[i]! >= natural[i]!
        ? text
        : text
            .split(" ")
            .map((word) => word.match(new RegExp(`.{1,${widths[i]}}`, "gu"))?.join("\n") ?? word)
            .join(" "),
    ),
  );
  return { widths, cells: broken };
}

const ORDER = (e: { row: AccessRow; where: string; namespace: string }) =>
  [e.row.tenant ?? "", e.row.principal, e.row.system, e.where, e.namespace].join("\0");
const byOrder = <T extends { row: AccessRow; where: string; namespace: string }>(a: T, b: T) => {
  const ka = ORDER(a);
  const kb = ORDER(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

export interface TableOptions {
  /** The terminal's width: wide columns wrap to fit it. Absent (not a terminal): one line per grant. */
  width?: number;
}

/**
 * The table form, in the shape of `sveltosctl show admin-rbac` (CLUSTER, ADMIN, NAMESPACE, API GROUPS,
 * RESOURCES, RESOURCE NAMES, VERBS), with the RBAC subject as the API server sees it, the principal's tenant
 * and the grant it comes through: rows that differ only in the resource are folded into one, so each line
 * reads "where, who, which verbs, on what, through which grant". Vault and DNS rows say their system where a
 * cluster would be.
 */
export function formatAccessTable(rows: AccessRow[], opts: TableOptions = {}): string {
  const folded = new Map<string, { row: AccessRow; cols: ReturnType<typeof columns>; resources: string[] }>();
  for (const r of rows) {
    const cols = columns(r);
    const names = (r.resourceNames ?? []).join(",");
    const key = JSON.stringify([
      cols.cluster,
      r.tenant ?? "",
      r.principal,
      r.subject ?? "",
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
  const entries = [...folded.values()].map((e) => ({
    ...e,
    where: e.cols.cluster,
    namespace: e.cols.namespace,
  }));
  const head = [
    "CLUSTER",
    "ADMIN",
    "SUBJECT",
    "TENANT",
    "NAMESPACE",
    "API GROUPS",
    "RESOURCES",
    "RESOURCE NAMES",
    "VERBS",
    "VIA",
  ];
  const cells = entries
    .sort(byOrder)
    .map(({ row, cols, resources }) =>
      [
        cols.cluster,
        row.principal,
        row.subject ?? "-",
        row.tenant ?? "(shared)",
        cols.namespace,
        cols.group,
        resources.join(", "),
        row.resourceNames?.join(", ") ?? "*",
        row.verbs.join(opts.width === undefined ? "," : ", "),
        row.via,
      ].map(cell),
    );
  // on a terminal: resources, verbs and the grant wrap to fit; the rest as wide as it needs
  const fit = fitted(head, cells, opts.width, [6, 8, 9]);
  const table = borderless(head, fit.widths);
  table.push(...fit.cells);
  return `${text(table)}\n${rows.length} grants, ${new Set(rows.map((r) => r.principal)).size} principals`;
}

/** What a summary line is about: one principal's grants through one binding (or policy, or DNS zone). */
function binding(r: AccessRow): string {
  return r.system === "dns" ? "DnsRecord" : r.via;
}

/**
 * The summary: one line per principal and binding (a Kubernetes binding and its role, a Vault policy, a DNS
 * zone's records), with how many grants it carries and the verbs among them, in the table's order.
 */
export function formatAccessSummary(rows: AccessRow[], opts: TableOptions = {}): string {
  const lines = new Map<
    string,
    { row: AccessRow; where: string; namespace: string; grants: number; verbs: Set<string> }
  >();
  for (const r of rows) {
    const cols = columns(r);
    const key = JSON.stringify([
      cols.cluster,
      r.tenant ?? "",
      r.principal,
      r.subject ?? "",
      cols.namespace,
      binding(r),
    ]);
    let line = lines.get(key);
    if (!line)
      lines.set(
        key,
        (line = { row: r, where: cols.cluster, namespace: cols.namespace, grants: 0, verbs: new Set() }),
      );
    line.grants++;
    for (const v of r.verbs) line.verbs.add(v);
  }
  const head = ["CLUSTER", "ADMIN", "SUBJECT", "TENANT", "NAMESPACE", "GRANTS", "VERBS", "VIA"];
  const sorted = [...lines.values()].sort(byOrder);
  const cells = sorted.map(({ row, where, namespace, grants, verbs }) =>
    [
      where,
      row.principal,
      row.subject ?? "-",
      row.tenant ?? "(shared)",
      namespace,
      String(grants),
      [...verbs].join(", "),
      binding(row),
    ].map(cell),
  );
  const fit = fitted(head, cells, opts.width, [6, 7]);
  const table = borderless(head, fit.widths);
  table.push(...fit.cells);
  return (
    `${text(table)}\n${sorted.length} binding${sorted.length === 1 ? "" : "s"}, ${rows.length} grants, ` +
    `${new Set(rows.map((r) => r.principal)).size} principals (--rows for every grant)`
  );
}

export interface AccessFilters {
  tenant?: string;
  cluster?: string;
  namespace?: string;
  principal?: string;
  system?: AccessRow["system"];
}

/**
 * The rows the filters keep, each filter narrowing the others. A filter naming nothing the registry has is a
 * usage error (a typo must not read as "nobody has access").
 */
export function filterAccess(rows: AccessRow[], model: RegistryModel, f: AccessFilters): AccessRow[] {
  // what exists is judged on every row: a filter combined with another is not a typo for coming up empty
  const all = rows;
  if (f.tenant !== undefined) {
    const tenant = model.tenants.find((t) => t.id === f.tenant);
    if (!tenant) throw new UsageError(`no such tenant: ${f.tenant}`);
    rows = rows.filter((r) => reachesTenant(r, tenant));
  }
  if (f.cluster !== undefined) {
    const known = model.environment.clusters.map((c) => c.name);
    if (!known.includes(f.cluster))
      throw new UsageError(`no such cluster: ${f.cluster} (clusters: ${known.join(", ")})`);
    rows = rows.filter((r) => r.cluster === f.cluster);
  }
  if (f.namespace !== undefined) {
    const ns = f.namespace;
    const known =
      model.tenants.some((t) => t.namespaces.some((n) => n.name === ns)) ||
      all.some((r) => r.scope === `namespace:${ns}`);
    if (!known) throw new UsageError(`no such namespace: ${show(ns)} (no tenant has it, no grant names it)`);
    rows = rows.filter((r) => reachesNamespace(r, ns));
  }
  if (f.principal !== undefined) {
    const tenant = model.tenants.find((t) => t.id === f.principal);
    const who = tenant ? tenantPrincipal(model.environment, tenant) : f.principal;
    // the principal as access names it, or the subject's name as the API server sees it (with its prefix)
    const named = (r: AccessRow) =>
      r.principal === who || r.subject === who || r.subject?.slice(r.subject.indexOf(" ") + 1) === who;
    if (!tenant && !all.some(named))
      throw new UsageError(
        `no such principal: ${show(who)} (a tenant id, a principal as access names it, e.g. user:<email>, or an RBAC subject's name)`,
      );
    rows = rows.filter(named);
  }
  if (f.system !== undefined) rows = rows.filter((r) => r.system === f.system);
  return rows;
}

/** The view: JSON, every grant, or (the default on a terminal) the summary. */
export function accessView(
  opts: { json?: boolean; rows?: boolean; all?: boolean; summary?: boolean },
  isTTY: boolean,
): "json" | "rows" | "summary" {
  if (opts.json) return "json";
  if (opts.summary) return "summary";
  if (opts.rows || opts.all) return "rows";
  return isTTY ? "summary" : "rows";
}

type AccessOptions = CommonOptions & AccessFilters & { rows?: boolean; all?: boolean; summary?: boolean };

export function accessCommand(program: Command): void {
  withCommonOptions(
    program
      .command("access")
      .description("who can do what: the access matrix computed from the planned resources of every layer")
      .option("--tenant <id>", "only rows of this tenant's principals and rows reaching its namespaces")
      .option("--cluster <name>", "only the Kubernetes grants on this cluster")
      .option(
        "--namespace <ns>",
        "only grants in this namespace, at cluster scope on what it holds, and Vault paths to its deployer",
      )
      .option(
        "--principal <who>",
        "only this principal's grants (as access names it, e.g. user:<email>, or the RBAC subject's name)",
      )
      .addOption(new Option("--system <system>", "only this system's grants").choices(SYSTEMS))
      .option("--rows", "every grant, a line each (the default when stdout is not a terminal)")
      .option("--all", "the same as --rows")
      .option("--summary", "a line per principal and binding with counts (the default on a terminal)")
      .option(
        "--tree",
        "the organisation tree (docs/organisations.md): each tenant under its parent, with who else reaches its namespaces; with --tenant, its organisation only; with --json, as data",
      ),
  ).action(async (opts: AccessOptions & { tree?: boolean }) => {
    const model = await loadRegistry(loadOptions(opts));
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
    const { accessMatrix } = require("../plan/access") as typeof import("../plan/access");
    const { buildPlan } = require("../plan/plan") as typeof import("../plan/plan");
    const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
    /* eslint-enable @typescript-eslint/no-require-imports */
    if (opts.tree) {
      if (opts.cluster ?? opts.namespace ?? opts.principal ?? opts.system)
        throw new UsageError("--tree shows every tenant's reach: of the filters it takes --tenant only");
      const { organisationOf, organisationTree, formatTree } =
        /* eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on use */
        require("../policy/organisations") as typeof import("../policy/organisations");
      if (opts.tenant !== undefined && !model.tenants.some((t) => t.id === opts.tenant))
        throw new UsageError(`no such tenant: ${opts.tenant}`);
      const root = opts.tenant === undefined ? undefined : organisationOf(model, opts.tenant)[0];
      const tree = organisationTree(model, accessMatrix(model, await buildPlan(model, LAYERS)));
      // each node's root from its parent's (the tree lists a parent before its children): one pass
      const rootOf = new Map<string, string>();
      for (const n of tree)
        rootOf.set(n.tenant, (n.parent !== undefined ? rootOf.get(n.parent) : undefined) ?? n.tenant);
      const nodes = tree.filter((n) => root === undefined || rootOf.get(n.tenant) === root);
      process.stdout.write(
        (opts.json
          ? JSON.stringify(nodes, null, 2)
          : formatTree(nodes).split("\n").map(escapeControl).join("\n")) + "\n",
      );
      return;
    }
    const rows = filterAccess(accessMatrix(model, await buildPlan(model, LAYERS)), model, opts);
    const view = accessView(opts, process.stdout.isTTY === true);
    if (view === "json") {
      process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
      return;
    }
    const warnings = crossTenantPrincipals(rows, model.tenants).map((c) =>
      escapeControl(
        `warning: ${c.principal} is cross-tenant: it reaches ${c.tenants.length} tenants (${c.tenants.join(", ")})`,
      ),
    );
    const width = process.stdout.isTTY === true ? process.stdout.columns : undefined;
    const body =
      view === "summary" ? formatAccessSummary(rows, { width }) : formatAccessTable(rows, { width });
    process.stdout.write([body, ...warnings].join("\n") + "\n");
  });
}
