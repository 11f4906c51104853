/**
 * What a registry change does (`tenancy diff`): two plans compared resource by resource, per layer and per
 * tenant (added, changed with the changed input paths, removed), and the access matrix compared row by row,
 * with every gained grant that crosses tenants singled out. Secret inputs are `[secret]` in a plan, so no
 * secret value ever reaches a diff.
 */
import { jsonEqual } from "../components/core/json";
import { type Override, checkAgainst, checkShards, stateOf, upFlag } from "../deploy/guard";
import type { Layer } from "../layers/names";
import type { AccessRow } from "../policy/access";
import type { RegistryModel } from "../registry/model";
import { SafetyError } from "../components/core/problems";
import { accessMatrix } from "./access";
import { type Plan, type PlannedResource, buildPlan, describeResource } from "./plan";
import { type PrivilegeRaise, privilegeDelta } from "./privilege";
import { parsePolicy } from "../components/vault/policy";
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
  /** The Pulumi name. */
  name: string;
  /** The object as `plan` names it: `Kind namespace/name` for Kubernetes objects (plan/plan.ts describeResource). */
  object?: string;
  /** The cluster of a Kubernetes object, when the plan spans several. */
  cluster?: string;
  /** What an added object holds, readable: a new namespace's effective quota, a new Vault policy's paths. */
  details?: string[];
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
  /** What each principal gains in privilege (plan/privilege.ts): shown first, counted apart from access rows. */
  privileges?: PrivilegeRaise[];
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
    // diff has none of up's overrides: the refusal names them as up's
    const override = (o: Override) => `tenancy up ${upFlag(o)} applies it anyway`;
    checkShards(base.environment.shards.count, head.environment.shards.count, { override });
    checkAgainst(stateOf(base), head, { allowRemovals: false, allowHandover: false, override });
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
  const clusters = new Set(
    [...base.plan.stacks, ...head.plan.stacks].flatMap((s) => s.resources.flatMap((r) => r.cluster ?? [])),
  );
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
      object: describeResource(r),
      ...(r.cluster !== undefined && clusters.size > 1 ? { cluster: r.cluster } : {}),
      op,
      ...(op === "add" ? holds(r) : {}),
      ...(changes ? { changes: readable(r, changes) } : {}),
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
  const privileges = privilegeDelta(base.model, head.model, { gained });
  return { tenants, resources, access: { gained, lost, crossTenant }, privileges };
}

const VAULT_POLICY = "vault:index/policy:Policy";

/** A Vault policy's rules by path, from its JSON input (none when it is not one). */
function policyRules(text: unknown): Map<string, string[]> | undefined {
  if (typeof text !== "string") return undefined;
  try {
    return new Map(parsePolicy(text).map((r) => [r.path, [...r.capabilities]]));
  } catch {
    return undefined;
  }
}

/** A Vault policy's change as the paths and capabilities gained and lost, not one escaped JSON string. */
function readable(r: PlannedResource, changes: InputChange[]): InputChange[] {
  if (r.type !== VAULT_POLICY) return changes;
  return changes.flatMap((c) => {
    const before = c.path === "policy" ? policyRules(c.old) : undefined;
    const after = c.path === "policy" ? policyRules(c.new) : undefined;
    if (!before || !after) return [c];
    const out: InputChange[] = [];
    for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const b = before.get(path);
      const a = after.get(path);
      if (jsonEqual(b, a)) continue;
      out.push({ path: `policy ${path}`, ...(b ? { old: b } : {}), ...(a ? { new: a } : {}) });
    }
    return out;
  });
}

/** What an added object holds, readable: a ResourceQuota's hard limits, a Vault policy's paths. */
function holds(r: PlannedResource): { details?: string[] } {
  if (r.type === "kubernetes:core/v1:ResourceQuota") {
    const hard = (r.inputs.spec as { hard?: Record<string, unknown> } | undefined)?.hard ?? {};
    const keys = Object.keys(hard).sort();
    return keys.length
      ? { details: [`quota: ${keys.map((k) => `${k}=${String(hard[k])}`).join(", ")}`] }
      : {};
  }
  if (r.type === VAULT_POLICY) {
    const rules = policyRules(r.inputs.policy);
    return rules?.size
      ? { details: [...rules].map(([path, caps]) => `path ${path}: ${caps.join(", ")}`) }
      : {};
  }
  return {};
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

/** An object as `plan` names it, with its cluster when the plan spans several, and where it moves. */
const objectOf = (r: ResourceChange) =>
  `${r.object ?? `${r.type.split(":").at(-1)} ${r.name}`}${r.cluster !== undefined ? ` @${r.cluster}` : ""}${movedTo(r)}`;

/** At most `n` items: `a, b, c and 4 more`. */
function some(items: readonly string[], n = 4): string {
  return items.length <= n
    ? items.join(", ")
    : `${items.slice(0, n).join(", ")} and ${items.length - n} more`;
}

export interface AccessBinding {
  principal: string;
  /** `+` gained, `!` gained across tenants, `-` lost. */
  sign: "+" | "!" | "-";
  system: string;
  cluster?: string;
  scope: string;
  via: string;
  /** The binding's rows folded: verbs -> resources. */
  rules: { verbs: string; resources: string[] }[];
  rows: number;
}

/** The access delta as one entry per principal and binding (`via`), principals in order of first appearance. */
export function accessBindings(d: PlanDiff): AccessBinding[] {
  const cross = new Set(d.access.crossTenant);
  const out = new Map<string, AccessBinding>();
  const rows = [
    ...d.access.gained.map((r) => ({ r, sign: cross.has(r) ? ("!" as const) : ("+" as const) })),
    ...d.access.lost.map((r) => ({ r, sign: "-" as const })),
  ];
  for (const { r, sign } of rows) {
    const k = JSON.stringify([r.principal, sign, r.system, r.cluster ?? "", r.scope, r.via]);
    let b = out.get(k);
    if (!b)
      out.set(
        k,
        (b = {
          principal: r.principal,
          sign,
          system: r.system,
          ...(r.cluster !== undefined ? { cluster: r.cluster } : {}),
          scope: r.scope,
          via: r.via,
          rules: [],
          rows: 0,
        }),
      );
    const verbs = r.verbs.join(",");
    const rule = b.rules.find((x) => x.verbs === verbs);
    const resource = r.resourceNames?.length ? `${r.resource} (${r.resourceNames.join(", ")})` : r.resource;
    if (rule) rule.resources.push(resource);
    else b.rules.push({ verbs, resources: [resource] });
    b.rows++;
  }
  const order = [...new Set([...out.values()].map((b) => b.principal))];
  return [...out.values()].sort((a, b) => order.indexOf(a.principal) - order.indexOf(b.principal));
}

/** A binding's rules, short: `get,list,watch pods, configmaps and 30 more; create jobs`. */
const rulesOf = (b: AccessBinding) => b.rules.map((r) => `${r.verbs} ${some(r.resources)}`).join("; ");

/** The privilege raises, per principal (text). */
function privilegeLines(raises: readonly PrivilegeRaise[]): string[] {
  if (raises.length === 0) return [];
  const lines = [
    `privileges raised: ${raises.length} (a platform admin must approve: exit 6, tenancy approve-check)`,
  ];
  for (const principal of [...new Set(raises.map((r) => r.principal))]) {
    lines.push(`  ${principal}`);
    for (const r of raises.filter((x) => x.principal === principal))
      lines.push(`    ^ ${r.kind}: ${r.what}${r.tenant !== principal ? ` (tenant ${r.tenant})` : ""}`);
  }
  return lines;
}

/** The readable diff: privileges raised first, then per tenant (then the shared resources), per layer, the access delta by binding, a summary. */
export function formatDiff(d: PlanDiff & Partial<Pick<RegistryDiff, "planned">>, title: string): string {
  const lines = [title];
  const raises = d.privileges ?? [];
  if (raises.length > 0) lines.push("", ...privilegeLines(raises));
  for (const group of byTenant(d)) {
    lines.push("", group.title);
    for (const r of group.resources) {
      lines.push(`  ${SIGN[r.op]} ${r.layer}: ${objectOf(r)}`);
      for (const x of r.details ?? []) lines.push(`      ${x}`);
      for (const c of r.changes ?? []) lines.push(`      ${c.path}: ${show(c.old)} -> ${show(c.new)}`);
    }
  }
  const bindings = accessBindings(d);
  if (bindings.length > 0) {
    lines.push(
      "",
      `access: +${d.access.gained.length} -${d.access.lost.length} rows, in ${bindings.length} binding${bindings.length === 1 ? "" : "s"}`,
    );
    for (const principal of [...new Set(bindings.map((b) => b.principal))]) {
      lines.push(`  ${principal}`);
      for (const b of bindings.filter((x) => x.principal === principal))
        lines.push(
          `    ${b.sign} ${b.system}${b.cluster !== undefined ? ` @${b.cluster}` : ""} ${b.scope} via ${b.via}: ${rulesOf(b)}`,
        );
    }
  }
  const { tenants: by, resources: count } = counts(d);
  const crossing = bindings.filter((b) => b.sign === "!").length;
  lines.push(
    "",
    `summary: ${raises.length > 0 ? `privileges raised ${raises.length}; ` : ""}tenants +${by("added")} ~${by("changed")} offboarding ${by("offboarding")} -${by("removed")}; ` +
      `resources +${count("add")} ~${count("change")} -${count("remove")}${count("move") > 0 ? ` >${count("move")} moved` : ""}; access +${d.access.gained.length} -${d.access.lost.length}` +
      (crossing > 0 ? `, ${crossing} binding${crossing === 1 ? "" : "s"} crossing tenants (!)` : ""),
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
  const raises = d.privileges ?? [];
  if (raises.length > 0) {
    // first, above the summary: what needs an admin
    out.splice(
      1,
      0,
      "",
      "> [!WARNING]",
      `> **Privileges raised (${raises.length}): a platform admin must approve this pull request** (exit 6; the tenant's own reviewers cannot).`,
      ">",
      "> | principal | kind | raise | tenant |",
      "> | --- | --- | --- | --- |",
      ...raises.map((r) => `> | ${md(r.principal)} | ${md(r.kind)} | ${md(r.what)} | ${md(r.tenant)} |`),
    );
  }
  if (d.access.crossTenant.length > 0) {
    const crossing = accessBindings(d).filter((b) => b.sign === "!");
    out.push(
      "",
      `**${crossing.length} new binding${crossing.length === 1 ? "" : "s"} (${d.access.crossTenant.length} grants) reach into another tenant's namespaces:**`,
      "",
      ...crossing.map((b) => `- ${md(b.principal)} → ${md(b.scope)} via ${md(b.via)}: ${md(rulesOf(b))}`),
    );
  }
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
      const what = [
        ...(r.details ?? []).map(md),
        ...(r.changes ?? []).map((c) => `${md(c.path)}: ${md(show(c.old))} → ${md(show(c.new))}`),
      ].join("<br>");
      out.push(`| ${SIGN[r.op]} | ${md(r.layer)} | ${md(objectOf(r))} | ${what} |`);
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
