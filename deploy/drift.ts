/**
 * Drift (ARCHITECTURE.md, "Converging"): every stack refreshed from the real systems and previewed, read only
 * (a preview with refresh changes no state), and each difference from the registry reported by its tenant: an
 * object someone changed or deleted out of band (the update would set it back or make it again), or a registry
 * change not applied yet. `tenancy drift` exits 7 when anything differs, so a scheduled job fails on it.
 */
import { LAYERS } from "../stacks/layers";
import { urnTypeAndName } from "../layers/identity";
import { buildPlan, describeResource } from "../plan/plan";
import type { LayerName } from "../layers/names";
import type { PlannedResource } from "../components/core/spec";
import type { RegistryModel } from "../registry/model";
import { mapLimited } from "./map-limited";
import { type StackEngine, runStacks } from "./run";

export interface DriftLine {
  /** The owning tenant; absent for the platform's shared resources and what the registry no longer plans. */
  tenant?: string;
  stack: string;
  /** What the next `up` would do: `create`, `update`, `replace`, `delete`, ... */
  op: string;
  resource: string;
}

export interface DriftReport {
  lines: DriftLine[];
  /** Stacks never applied (everything in them is still to create). */
  unapplied: string[];
}

export async function drift(
  model: RegistryModel,
  engine: StackEngine,
  opts: { layers?: LayerName[]; parallel: number },
): Promise<DriftReport> {
  const stacks = runStacks("up", model, opts.layers);
  const plan = await buildPlan(model, LAYERS, opts.layers ? { layers: opts.layers } : {});
  const planned = new Map<string, PlannedResource>();
  for (const s of plan.stacks) for (const r of s.resources) planned.set(`${s.stack} ${r.type}::${r.name}`, r);
  const unapplied: string[] = [];
  const perStack = await mapLimited(stacks, opts.parallel, async (stack) => {
    if (!(await engine.state(stack.name))) {
      unapplied.push(stack.name);
      return [];
    }
    const report = await engine.preview(
      stack.name,
      { layer: stack.layer, input: { model, tenants: stack.tenants, part: stack.part } },
      { refresh: true },
    );
    return (report.steps ?? []).map((step): DriftLine => {
      const r = planned.get(`${stack.name} ${urnTypeAndName(step.urn)}`);
      return {
        ...(r?.tenant !== undefined ? { tenant: r.tenant } : {}),
        stack: stack.name,
        op: step.op,
        resource: r ? describeResource(r) : urnTypeAndName(step.urn).replace("::", " "),
      };
    });
  });
  const lines = perStack
    .flat()
    // the stack itself, and providers: a provider's settings (an upsert after a preflight found objects) are not
    // a tenant's drift, and the next up puts them back without touching an object
    .filter(
      (l) => !l.resource.startsWith("pulumi:pulumi:Stack") && !l.resource.startsWith("pulumi:providers:"),
    )
    // by tenant, the shared resources (no tenant) last, each tenant's by stack
    .sort(
      (a, b) =>
        Number(a.tenant === undefined) - Number(b.tenant === undefined) ||
        (a.tenant ?? "").localeCompare(b.tenant ?? "") ||
        a.stack.localeCompare(b.stack),
    );
  return { lines, unapplied: unapplied.sort() };
}
