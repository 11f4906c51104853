/**
 * The offline plan: every layer's resource specs read as data (plan/data.ts, no SDK), in dependency order, each
 * downstream layer reading its upstream layers' planned outputs as a real run reads them through
 * StackReferences. Or, in the engine's view, what `pulumi preview` of each layer would see: upstream outputs as
 * last applied (none on day one), the programs run as a preview (ARCHITECTURE.md, "Two views").
 */
import { fork } from "node:child_process";
import { PLAN_NODE_OPTIONS } from "../bin/node-options.cjs";
import { type LayerStack, layerStacks, shardCount, shardOf } from "../layers/shards";
import { type Layer, type LayerName, withDependencies } from "../layers/names";
import type { RegistryModel } from "../registry/model";
import { UsageError } from "../registry/problems";
import { resolveStack } from "./data";

export interface PlannedResource {
  type: string;
  name: string;
  tenant?: string;
  /** The cluster a Kubernetes object (or provider) is on. */
  cluster?: string;
  parentType?: string;
  protect: boolean;
  inputs: Record<string, unknown>;
}

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
  /** Plan the shards in worker processes (a sharded environment, the planned view). @default - in this process */
  parallel?: ParallelPlan;
}

export interface ParallelPlan {
  workers: number;
  /** The worker's module (stacks/plan-worker.ts: it binds the layer programs). */
  module: string;
  /** Each worker's peak memory, once they are done. */
  onWorker?: (maxRssMiB: number[]) => void;
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
  const selection: Selection = {
    names: withDependencies([...report]),
    report,
    tenants: tenants.map((t) => t.id),
    ...(shards ? { shards: [...shards] } : {}),
    dryRun: view.kind === "applied",
  };
  const parallel = opts.parallel;
  let stacks: PlannedStack[];
  if (parallel && parallel.workers > 1 && count > 1 && view.kind === "planned")
    stacks = await planInWorkers(model, layers, selection, stackOutputs, parallel);
  else stacks = await planStacks(model, layers, selection, stackOutputs, () => true);
  return { environment: env, tenants: tenants.map((t) => t.id), stacks };
}

/** Which stacks a plan runs and reports: plain data, so a worker process gets it too. */
export interface Selection {
  /** Layers run, in dependency order. */
  names: LayerName[];
  /** Layers reported. */
  report: ReadonlySet<LayerName> | LayerName[];
  tenants: string[];
  shards?: number[];
  dryRun: boolean;
}

/**
 * Runs the selected stacks that `include` keeps, layer by layer, each reading its upstream stacks' outputs
 * from `stackOutputs` (and adding its own, in the planned view); returns the reported ones.
 */
export async function planStacks(
  model: RegistryModel,
  layers: readonly Layer[],
  selection: Selection,
  stackOutputs: Record<string, Record<string, unknown>>,
  include: (stack: LayerStack) => boolean,
  /** Takes each planned stack as it is done (kept nowhere else: a worker's memory stays bounded). */
  emit?: (stack: PlannedStack) => void,
): Promise<PlannedStack[]> {
  const ids = new Set(selection.tenants);
  const tenants = model.tenants.filter((t) => ids.has(t.id));
  const report = new Set(selection.report);
  const shards = selection.shards ? new Set(selection.shards) : undefined;
  const stacks: PlannedStack[] = [];
  for (const name of selection.names) {
    const layer = layers.find((l) => l.name === name);
    if (!layer) throw new Error(`no program for layer ${name}`);
    // a sharded layer: its shared stack and its shards (only those holding a wanted tenant)
    for (const part of layerStacks(model, name, tenants, shards)) {
      if (!include(part)) continue;
      const stack = part.name;
      const run = resolveStack(layer.program({ model, tenants: part.tenants, part: part.part }), {
        outputs: stackOutputs,
        dryRun: selection.dryRun,
      });
      if (!selection.dryRun) stackOutputs[stack] = run.outputs;
      if (!report.has(layer.name)) continue;
      (emit ?? ((p: PlannedStack) => stacks.push(p)))({
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
  return stacks;
}

/** What a worker process sends: each planned stack as it is done, then its outputs and peak memory. */
export type WorkerMessage =
  | { stack: PlannedStack }
  | { done: { outputs: Record<string, Record<string, unknown>>; maxRssMiB: number } }
  | { error: string };

interface WorkerResult {
  stacks: PlannedStack[];
  outputs: Record<string, Record<string, unknown>>;
  maxRssMiB: number;
}

/**
 * A sharded plan over worker processes: each plans every layer of its shards (a shard reads only its own
 * upstream shard), then this process plans the shared stacks, which may read every shard (the shared CI
 * deployer). The result is the same plan, in the same order, as one process would make.
 */
async function planInWorkers(
  model: RegistryModel,
  layers: readonly Layer[],
  selection: Selection,
  stackOutputs: Record<string, Record<string, unknown>>,
  parallel: ParallelPlan,
): Promise<PlannedStack[]> {
  const all = selection.shards ?? Array.from({ length: shardCount(model.environment) }, (_, k) => k);
  const groups = Array.from({ length: Math.min(parallel.workers, all.length) }, (_, w) =>
    all.filter((_, i) => i % parallel.workers === w),
  );
  const plain = { ...selection, report: [...selection.report] };
  const results = await Promise.all(
    groups.map((shards) => inWorker(parallel.module, model, { ...plain, shards })),
  );
  parallel.onWorker?.(results.map((r) => r.maxRssMiB));
  for (const r of results) Object.assign(stackOutputs, r.outputs);
  const shared = await planStacks(model, layers, selection, stackOutputs, (s) => s.part.shard === undefined);
  // the one-process order: per layer, its shared stack, then its shards
  const byName = new Map([...shared, ...results.flatMap((r) => r.stacks)].map((s) => [s.stack, s]));
  const ids = new Set(selection.tenants);
  const tenants = model.tenants.filter((t) => ids.has(t.id));
  const shards = selection.shards ? new Set(selection.shards) : undefined;
  return selection.names.flatMap((name) =>
    layerStacks(model, name, tenants, shards).flatMap((s) =>
      byName.has(s.name) ? [byName.get(s.name)!] : [],
    ),
  );
}

function inWorker(module: string, model: RegistryModel, selection: Selection): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(module, [], {
      execArgv: [...PLAN_NODE_OPTIONS, "-r", "tsx/cjs"],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let done = false;
    const stacks: PlannedStack[] = [];
    child.on("message", (m: WorkerMessage) => {
      if ("stack" in m) return void stacks.push(m.stack);
      done = true;
      if ("error" in m) reject(new Error(`plan worker: ${m.error}`));
      else resolve({ stacks, ...m.done });
      child.disconnect();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (!done) reject(new Error(`plan worker exited with ${code} before answering`));
    });
    child.send({ model, selection });
  });
}

/** A stable order (registration order depends on promise timing): shared first, then by tenant, type, name. */
function byTenantTypeName(a: { tenant?: string; type: string; name: string }, b: typeof a): number {
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
      groups.set(key, [...(groups.get(key) ?? []), r]);
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
