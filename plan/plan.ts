/**
 * The offline plan: every layer's resource specs read as data (plan/data.ts, no SDK), in dependency order, each
 * downstream layer reading its upstream layers' planned outputs as a real run reads them through
 * StackReferences. Or, in the engine's view, what `pulumi preview` of each layer would see: upstream outputs as
 * last applied (none on day one), the programs run as a preview (ARCHITECTURE.md, "Two views").
 */
import { layerStacks, shardCount, shardOf } from "../layers/shards";
import { type Layer, type LayerName, withDependencies } from "../layers/names";
import type { RegistryModel } from "../registry/model";
import { UsageError } from "../components/core/problems";
import type { PlannedResource } from "../components/core/spec";
import { resolveStack } from "./data";

export type { PlannedResource };

export interface PlannedStack {
  stack: string;
  layer: LayerName;
  /** Its shard, in a sharded environment (the layer's shared stack has none). */
  shard?: number;
  dependsOn: readonly LayerName[];
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

export interface Plan {
  environment: string;
  tenants: string[];
  stacks: PlannedStack[];
}

/**
 * What a downstream layer reads through its StackReferences.
 * - `planned`: the upstream layers' planned outputs, programs run as an update: what will exist once every
 *   layer is applied (`tenancy plan`).
 * - `applied`: what the real engine reads in a preview: each stack's last applied outputs, by stack name
 *   (`{}` for a stack created but never updated; a stack not listed does not exist), programs run as a preview.
 */
export type UpstreamView =
  { kind: "planned" } | { kind: "applied"; outputs: Readonly<Record<string, Record<string, unknown>>> };

export interface PlanOptions {
  /** @default - planned */
  view?: UpstreamView;
  /** Only these layers are reported (their dependencies still run, for their outputs). @default - all */
  layers?: LayerName[];
  /** Only these tenants are generated. @default - all */
  tenants?: string[];
  /** Only these shard stacks (sharded environments). @default - those holding `tenants`, else all */
  shards?: number[];
}

/**
 * Plans `layers` (the layer programs, stacks/layers.ts's LAYERS; passed in so that the plan never depends on
 * a particular set of programs) for the model.
 */
export async function buildPlan(
  model: RegistryModel,
  layers: readonly Layer[],
  opts: PlanOptions = {},
): Promise<Plan> {
  const env = model.environment.name;
  const known = new Set(model.tenants.map((t) => t.id));
  const unknown = (opts.tenants ?? []).filter((t) => !known.has(t));
  if (unknown.length > 0) throw new UsageError(`no such tenant: ${unknown.join(", ")}`);
  const wanted = opts.tenants ? new Set(opts.tenants) : undefined;
  const tenants = wanted ? model.tenants.filter((t) => wanted.has(t.id)) : model.tenants;
  const report = new Set(opts.layers ?? layers.map((l) => l.name));
  const count = shardCount(model.environment);
  const shards = opts.shards
    ? new Set(opts.shards)
    : wanted
      ? new Set(tenants.map((t) => shardOf(t, count)))
      : undefined;

  const view = opts.view ?? { kind: "planned" };
  const stackOutputs: Record<string, Record<string, unknown>> = view.kind === "applied"
    ? { ...view.outputs }
    : {};
  const dryRun = view.kind === "applied";
  const layerOf = (name: LayerName) => {
    const layer = layers.find((l) => l.name === name);
    if (!layer) throw new Error(`no program for layer ${name}`);
    return layer;
  };
  // layer by layer, each stack reading its upstream stacks' outputs (adding its own, in the planned view)
  const stacks: PlannedStack[] = [];
  for (const name of withDependencies([...report])) {
    const layer = layerOf(name);
    // a sharded layer: its shared stack and its shards (only those holding a wanted tenant)
    for (const part of layerStacks(model, name, tenants, shards)) {
      const stack = part.name;
      const run = resolveStack(layer.program({ model, tenants: part.tenants, part: part.part }), {
        outputs: stackOutputs,
        dryRun,
        // some tenants, planned: their upstream stacks hold them only, or are not planned (DataContext)
        assumeUpstream: !dryRun && (wanted !== undefined || opts.shards !== undefined),
      });
      if (!dryRun) stackOutputs[stack] = run.outputs;
      if (!report.has(layer.name)) continue;
      stacks.push({
        stack,
        layer: layer.name,
        ...(part.part.shard !== undefined ? { shard: part.part.shard } : {}),
        dependsOn: layer.dependsOn,
        resources: run.resources
          .filter((r) => r.spec.custom)
          .map((r): PlannedResource => ({
            type: r.spec.type,
            name: r.spec.name,
            ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
            ...(r.cluster !== undefined ? { cluster: r.cluster } : {}),
            ...(r.parentType !== undefined ? { parentType: r.parentType } : {}),
            protect: r.spec.protect ?? false,
            inputs: r.inputs,
          }))
          .sort(byTenantTypeName),
        outputs: run.outputs,
      });
    }
  }
  return { environment: env, tenants: tenants.map((t) => t.id), stacks };
}

/** A stable order: shared first, then by tenant, type, name. */
export function byTenantTypeName(a: { tenant?: string; type: string; name: string }, b: typeof a): number {
  const key = (r: typeof a) => [r.tenant ?? "", r.type, r.name];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
}

/** `Kind namespace/name` for Kubernetes objects, the Pulumi name otherwise. */
export function describeResource(r: PlannedResource): string {
  const kind = typeof r.inputs.kind === "string" ? r.inputs.kind : r.type.split(":").pop()!;
  const meta = r.inputs.metadata as { name?: string; namespace?: string } | undefined;
  if (meta?.name !== undefined) return `${kind} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name}`;
  // DNS records: what points where
  if (r.type === "cloudflare:index/dnsRecord:DnsRecord")
    return `DnsRecord ${String(r.inputs.type)} ${String(r.inputs.name)} -> ${String(r.inputs.content)}`;
  // Vault objects: their physical name (policy, role), the mount they live in, else the Pulumi name
  const physical = r.inputs.roleName ?? r.inputs.name;
  if (typeof physical === "string") {
    const mount = typeof r.inputs.backend === "string" ? `${r.inputs.backend}/` : "";
    return `${kind} ${mount}${physical}`;
  }
  return `${kind} ${r.name}`;
}

/** The readable form: per stack, per tenant, one line per resource. */
export function formatPlanTree(plan: Plan, offboarding: ReadonlySet<string> = new Set()): string {
  const n = plan.tenants.length;
  const lines: string[] = [`environment ${plan.environment}: ${n} tenant${n === 1 ? "" : "s"}`];
  for (const s of plan.stacks) {
    lines.push(
      "",
      `${s.stack} (layer ${s.layer}${s.dependsOn.length ? `, after ${s.dependsOn.join(", ")}` : ""}): ${s.resources.length} resources`,
    );
    const groups = new Map<string, PlannedResource[]>();
    for (const r of s.resources) {
      const key = r.tenant ?? "";
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
    const keys = [...groups.keys()].sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)));
    // several clusters: each object says where it is, one cluster after another
    const many = new Set(s.resources.map((r) => r.cluster).filter((c) => c !== undefined)).size > 1;
    const where = (r: PlannedResource) => (many && r.cluster !== undefined ? ` @${r.cluster}` : "");
    for (const key of keys) {
      const note = offboarding.has(key) ? "  (offboarding: access revoked, data unprotected)" : "";
      lines.push(`  ${key === "" ? "(shared)" : key}${note}`);
      const group = groups.get(key)!;
      if (many) group.sort((a, b) => (a.cluster ?? "").localeCompare(b.cluster ?? ""));
      for (const r of group)
        lines.push(`    ${describeResource(r)}${where(r)}${r.protect ? "  [protected]" : ""}`);
    }
  }
  return lines.join("\n");
}
