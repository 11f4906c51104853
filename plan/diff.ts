/**
 * What a registry change does (`tenancy diff`): two plans compared resource by resource, per layer and per
 * tenant (added, changed with the changed input paths, removed), and the access matrix compared row by row,
 * with every gained grant that crosses tenants singled out. Secret inputs are `[secret]` in a plan, so no
 * secret value ever reaches a diff.
 */
import { jsonEqual } from "../components/core/json";
import { checkAgainst, checkShards, stateOf } from "../deploy/guard";
import type { Layer } from "../layers/names";
import type { AccessRow } from "../policy/access";
import type { RegistryModel } from "../registry/model";
import { SafetyError } from "../components/core/problems";
import { accessMatrix } from "./access";
import { type Plan, type PlannedResource, buildPlan } from "./plan";
import { changeScope, scopeIn, scopeShards } from "./scope";

export interface InputChange {
  path: string;
  old?: unknown;
  new?: unknown;
}

export interface ResourceChange {
  layer: string;
  tenant?: string;
  type: string;
  name: string;
  /** `move`: the same resource, owned by another stack (a handed namespace, a shard change): moved, not recreated. */
  op: "add" | "change" | "remove" | "move";
  changes?: InputChange[];
  /** The stacks a moved (or moved and changed) resource leaves and joins. */
  stacks?: { from: string; to: string };
}

export interface TenantChange {
  id: string;
  status: "added" | "changed" | "offboarding" | "removed";
}

export interface PlanDiff {
  tenants: TenantChange[];
  resources: ResourceChange[];
  access: { gained: AccessRow[]; lost: AccessRow[]; crossTenant: AccessRow[] };
}

export interface RegistryDiff extends PlanDiff {
  /** The tenants planned on either side: those the change can touch (plan/scope.ts), or all of them. */
  planned: { tenants: number; of: number };
  /** Why the guard would refuse the change, as `up` would apply it over the base. */
  refused?: string;
}

/**
 * Two registries planned and compared. Only the tenants the change can touch are planned (`full` plans all),
 * and the guard judges the head against the base as if the base were applied.
 */
export async function compareRegistries(
  base: RegistryModel,
  head: RegistryModel,
  layers: readonly Layer[],
  opts: { full?: boolean } = {},
): Promise<RegistryDiff> {
  const scope = opts.full ? undefined : changeScope(base, head);
  // the same shard stacks on both sides: those holding a tenant of the scope, on either side
  const shards = scope && scopeShards(base, head, scope);
  const side = async (model: RegistryModel) => {
    const tenants = scopeIn(model, scope);
    const plan = await buildPlan(model, layers, tenants ? { tenants, ...(shards ? { shards } : {}) } : {});
    return { model, plan, access: accessMatrix(model, plan) };
  };
  const diff = diffPlans(await side(base), await side(head));
  const all = new Set([...base.tenants, ...head.tenants].map((t) => t.id)).size;
  let refused: string | undefined;
  try {
    checkShards(base.environment.shards.count, head.environment.shards.count, {});
    checkAgainst(stateOf(base), head, { allowRemovals: false, allowHandover: false });
  } catch (e) {
    if (!(e instanceof SafetyError)) throw e;
    refused = e.message;
  }
  return {
    ...diff,
    planned: { tenants: scope ? scope.length : all, of: all },
    ...(refused ? { refused } : {}),
  };
}

function flatten(value: unknown, path: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value);
    if (entries.length === 0) out.set(path, value);
    for (const [k, v] of entries) flatten(v, path === "" ? k : `${path}.${k}`, out);
  } else out.set(path, value);
}

/** The leaf paths whose values differ between two inputs. */
export function inputChanges(a: unknown, b: unknown): InputChange[] {
  const fa = new Map<string, unknown>();
  const fb = new Map<string, unknown>();
  flatten(a, "", fa);
  flatten(b, "", fb);
  const out: InputChange[] = [];
  for (const path of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    const x = fa.get(path);
    const y = fb.get(path);
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    out.push({ path, ...(fa.has(path) ? { old: x } : {}), ...(fb.has(path) ? { new: y } : {}) });
  }
  return out;
}

const key = (layer: string, r: PlannedResource) => `${layer}\0${r.type}\0${r.name}`;
// "\0" occurs in no principal, scope, resource, verb or binding name: the fields cannot run into each other
const rowKey = (r: AccessRow) =>
  `${r.principal}\0${r.tenant ?? ""}\0${r.system}\0${r.scope}\0${r.resource}\0${r.verbs.join(",")}\0${r.via}`;

export function diffPlans(
  base: { model: RegistryModel; plan: Plan; access: AccessRow[] },
  head: { model: RegistryModel; plan: Plan; access: AccessRow[] },
): PlanDiff {
  const index = (plan: Plan) =>
    new Map(
      plan.stacks.flatMap((s) =>
        s.resources.map((r) => [key(s.layer, r), { layer: s.layer, stack: s.stack, r }] as const),
      ),
    );
  const before = index(base.plan);
  const after = index(head.plan);
  const resources: ResourceChange[] = [];
  const entry = (
    layer: string,
    r: PlannedResource,
    op: ResourceChange["op"],
    changes?: InputChange[],
    stacks?: ResourceChange["stacks"],
  ) =>
    resources.push({
      layer,
      ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
      type: r.type,
      name: r.name,
      op,
      ...(changes ? { changes } : {}),
      ...(stacks ? { stacks } : {}),
    });
  for (const [k, { layer, stack, r }] of after) {
    const old = before.get(k);
    if (!old) entry(layer, r, "add");
    else {
      // most resources are unchanged: one comparison of the whole inputs before any leaf is looked at
      const changes = jsonEqual(old.r.inputs, r.inputs) ? [] : inputChanges(old.r.inputs, r.inputs);
      if (old.r.protect !== r.protect)
        changes.push({ path: "(protect)", old: old.r.protect, new: r.protect });
      // another stack holds it now: `up` moves it there first (deploy/moves.ts)
      const moved = old.stack !== stack ? { from: old.stack, to: stack } : undefined;
      if (changes.length > 0) entry(layer, r, "change", changes, moved);
      else if (moved) entry(layer, r, "move", undefined, moved);
    }
  }
  for (const [k, { layer, r }] of before) if (!after.has(k)) entry(layer, r, "remove");

  const baseTenants = new Map(base.model.tenants.map((t) => [t.id, t]));
  const headTenants = new Map(head.model.tenants.map((t) => [t.id, t]));
  const touched = new Set(resources.flatMap((r) => (r.tenant !== undefined ? [r.tenant] : [])));
  const tenants: TenantChange[] = [];
  for (const id of [...new Set([...baseTenants.keys(), ...headTenants.keys()])].sort()) {
    const b = baseTenants.get(id);
    const h = headTenants.get(id);
    if (!b) tenants.push({ id, status: "added" });
    else if (!h) tenants.push({ id, status: "removed" });
    else if (h.offboarding && !b.offboarding) tenants.push({ id, status: "offboarding" });
    else if (touched.has(id)) tenants.push({ id, status: "changed" });
  }

  const { gained, lost } = accessDelta(base.access, head.access);
  const owner = new Map(head.model.tenants.flatMap((t) => t.namespaces.map((n) => [n.name, t.id] as const)));
  const crossTenant = gained.filter((r) => {
    if (!r.scope.startsWith("namespace:")) return false;
    const ns = owner.get(r.scope.slice("namespace:".length));
    return ns !== undefined && r.tenant !== ns;
  });
  return { tenants, resources, access: { gained, lost, crossTenant } };
}

/**
 * The rows only one side has, in each side's order. A row's tenant is part of what it is, so the sides are
 * compared tenant by tenant: only one tenant's row keys are held at a time (an environment-wide change compares
 * millions of rows).
 */
function accessDelta(base: AccessRow[], head: AccessRow[]): { gained: AccessRow[]; lost: AccessRow[] } {
  const byTenant = (rows: AccessRow[]) => {
    const m = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const t = r.tenant ?? "";
      let list = m.get(t);
      if (!list) m.set(t, (list = []));
      list.push(i);
    });
    return m;
  };
  const b = byTenant(base);
  const h = byTenant(head);
  const gainedAt: number[] = [];
  const lostAt: number[] = [];
  for (const t of new Set([...b.keys(), ...h.keys()])) {
    const bi = b.get(t) ?? [];
    const hi = h.get(t) ?? [];
    const bk = new Set(bi.map((i) => rowKey(base[i]!)));
    const hk = new Set(hi.map((i) => rowKey(head[i]!)));
    for (const i of hi) if (!bk.has(rowKey(head[i]!))) gainedAt.push(i);
    for (const i of bi) if (!hk.has(rowKey(base[i]!))) lostAt.push(i);
  }
  const inOrder = (rows: AccessRow[], at: number[]) => at.sort((x, y) => x - y).map((i) => rows[i]!);
  return { gained: inOrder(head, gainedAt), lost: inOrder(base, lostAt) };
}

const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));
const SIGN = { add: "+", change: "~", remove: "-", move: ">" } as const;
/** Where a moved resource goes, after its name. */
const movedTo = (r: ResourceChange) => (r.stacks ? ` (${r.stacks.from} -> ${r.stacks.to})` : "");

/** The resource changes grouped per tenant (ids in order), the shared ones (`tenant` undefined) first. */
function byTenant(d: PlanDiff): { tenant?: string; title: string; resources: ResourceChange[] }[] {
  const groups = new Map<string, ResourceChange[]>();
  for (const r of d.resources) groups.set(r.tenant ?? "", [...(groups.get(r.tenant ?? "") ?? []), r]);
  const status = new Map(d.tenants.map((t) => [t.id, t.status]));
  return [...groups.keys()]
    .sort()
    .map((g) =>
      g === ""
        ? { title: "shared resources", resources: groups.get(g)! }
        : { tenant: g, title: `tenant ${g}: ${status.get(g) ?? "changed"}`, resources: groups.get(g)! },
    );
}

/** How many tenants have each status, and how many resources each operation. */
function counts(d: PlanDiff) {
  return {
    tenants: (s: TenantChange["status"]) => d.tenants.filter((t) => t.status === s).length,
    resources: (op: ResourceChange["op"]) => d.resources.filter((r) => r.op === op).length,
  };
}

/** The readable diff: per tenant (then the shared resources), per layer, then the access delta and a summary. */
export function formatDiff(d: PlanDiff & Partial<Pick<RegistryDiff, "planned">>, title: string): string {
  const lines = [title];
  for (const group of byTenant(d)) {
    lines.push("", group.title);
    for (const r of group.resources) {
      lines.push(`  ${SIGN[r.op]} ${r.layer}: ${r.type.split(":").at(-1)} ${r.name}${movedTo(r)}`);
      for (const c of r.changes ?? []) lines.push(`      ${c.path}: ${show(c.old)} -> ${show(c.new)}`);
    }
  }
  const row = (r: AccessRow) =>
    `${r.principal} ${r.system} ${r.scope} ${r.resource} ${r.verbs.join(",")} via ${r.via}`;
  if (d.access.gained.length + d.access.lost.length > 0) {
    lines.push("", `access: +${d.access.gained.length} -${d.access.lost.length} rows`);
    const cross = new Set(d.access.crossTenant);
    for (const r of d.access.gained) lines.push(`  ${cross.has(r) ? "!" : "+"} ${row(r)}`);
    for (const r of d.access.lost) lines.push(`  - ${row(r)}`);
  }
  const { tenants: by, resources: count } = counts(d);
  lines.push(
    "",
    `summary: tenants +${by("added")} ~${by("changed")} offboarding ${by("offboarding")} -${by("removed")}; ` +
      `resources +${count("add")} ~${count("change")} -${count("remove")}${count("move") > 0 ? ` >${count("move")} moved` : ""}; access +${d.access.gained.length} -${d.access.lost.length}` +
      (d.access.crossTenant.length > 0 ? `, ${d.access.crossTenant.length} crossing tenants (!)` : ""),
  );
  if (d.planned) lines.push(plannedNote(d.planned));
  return lines.join("\n");
}

/** How much was planned: the tenants the change can touch, or all of them. */
function plannedNote(p: RegistryDiff["planned"]): string {
  return p.tenants === p.of
    ? `planned: all ${p.of} tenants`
    : `planned: ${p.tenants} of ${p.of} tenants, those the change can touch (--full plans all)`;
}

/** Text from a registry, safe in a Markdown table cell: no HTML, no cell break, no emphasis or link syntax. */
function md(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\r\n]+/g, " ")
    .replace(/([\\`*_[\]|#~!])/g, "\\$1");
}
/** Text safe in a quoted Mermaid label. */
function mermaid(text: string): string {
  return text.replace(/["<>\r\n`]/g, (c) => `#${c.charCodeAt(0)};`).slice(0, 120);
}

/** Most access edges drawn: a comment stays readable (the JSON and text forms list them all). */
const MAX_EDGES = 40;

/**
 * The diff as a pull request comment: a summary table, the guard's refusal, one collapsible section per tenant
 * (then the shared resources), and the access delta as a Mermaid diagram (GitHub and Forgejo render it).
 */
export function formatDiffMarkdown(
  d: PlanDiff & Partial<Pick<RegistryDiff, "planned">>,
  base: string,
  env: string,
  refused?: string,
): string {
  const { tenants: by, resources: count } = counts(d);
  const out = [
    `### tenancy diff: ${md(base)} → working tree (environment ${md(env)})`,
    "",
    "| | tenants | resources | access rows |",
    "| --- | ---: | ---: | ---: |",
    `| added | ${by("added")} | ${count("add")} | ${d.access.gained.length} |`,
    `| changed | ${by("changed")} | ${count("change")} | |`,
    `| offboarding | ${by("offboarding")} | | |`,
    `| removed | ${by("removed")} | ${count("remove")} | ${d.access.lost.length} |`,
    ...(count("move") > 0 ? [`| moved to another stack | | ${count("move")} | |`] : []),
  ];
  if (d.access.crossTenant.length > 0)
    out.push(
      "",
      `**${d.access.crossTenant.length} new grants reach into another tenant's namespaces** (marked ! below).`,
    );
  if (refused) out.push("", `> **The guard would refuse this change (exit 3):** ${md(refused)}`);
  for (const group of byTenant(d)) {
    const rs = group.resources;
    const title = md(group.title);
    out.push(
      "",
      `<details><summary>${title} (${rs.length})</summary>`,
      "",
      "| | layer | resource | change |",
      "| --- | --- | --- | --- |",
    );
    for (const r of rs) {
      const what = (r.changes ?? [])
        .map((c) => `${md(c.path)}: ${md(show(c.old))} → ${md(show(c.new))}`)
        .join("<br>");
      out.push(
        `| ${SIGN[r.op]} | ${md(r.layer)} | ${md(`${r.type.split(":").at(-1)} ${r.name}${movedTo(r)}`)} | ${what} |`,
      );
    }
    out.push("", "</details>");
  }
  const edges = [
    ...d.access.gained.map((r) => ({ r, sign: d.access.crossTenant.includes(r) ? "!" : "+" })),
    ...d.access.lost.map((r) => ({ r, sign: "-" })),
  ];
  if (edges.length > 0) {
    const ids = new Map<string, string>();
    const node = (label: string) => {
      if (!ids.has(label)) ids.set(label, `n${ids.size}`);
      return ids.get(label)!;
    };
    // one edge per principal, target, sign and verbs: the resources folded into its label
    const folded = new Map<string, { from: string; to: string; head: string; resources: string[] }>();
    for (const { r, sign } of edges) {
      const from = node(r.principal);
      const to = node(r.scope === "path" ? `vault ${r.resource}` : r.scope);
      const head = `${sign} ${r.verbs.join(",")}`;
      const k = JSON.stringify([from, to, head]);
      const e = folded.get(k) ?? { from, to, head, resources: [] };
      if (r.scope !== "path") e.resources.push(r.resource);
      folded.set(k, e);
    }
    const all = [...folded.values()];
    const lines = all.slice(0, MAX_EDGES).map((e) => {
      const what =
        e.resources.length === 0
          ? ""
          : e.resources.length === 1
            ? ` ${e.resources[0]}`
            : ` ${e.resources[0]} and ${e.resources.length - 1} more`;
      return `  ${e.from} -->|"${mermaid(e.head + what)}"| ${e.to}`;
    });
    out.push("", "#### Access delta", "", "```mermaid", "flowchart LR");
    for (const [label, id] of ids) out.push(`  ${id}["${mermaid(label)}"]`);
    out.push(...lines, "```");
    if (all.length > MAX_EDGES) out.push("", `(${all.length - MAX_EDGES} more edges: see the JSON output)`);
  }
  if (d.planned) out.push("", `<sub>${plannedNote(d.planned)}</sub>`);
  return out.join("\n");
}
