/**
 * The real thing, layer by layer: preview, up (dependency order) and destroy (reverse order), with the
 * safety guard first. The engine is an interface so the orchestration logic is tested without Pulumi's CLI.
 */
import type { RegistryModel } from "../registry/model";
import { SafetyError } from "../registry/problems";
import { stackName } from "../layers/identity";
import type { Layer, LayerName } from "../layers/names";
import { LAYERS } from "../stacks/layers";
import { type AppliedTenant, type GuardOptions, checkRemovals } from "./guard";

export type Action = "preview" | "up" | "destroy";

export interface StackEngine {
  /** The platform stack's last applied tenants (its `tenants` output); undefined if never applied. */
  appliedTenants(stack: string): Promise<AppliedTenant[] | undefined>;
  run(action: Action, stack: string, program: () => Promise<Record<string, unknown>>): Promise<string>;
}

export interface RunOptions extends GuardOptions {
  layers?: LayerName[];
}

/** Layers in the order an action runs them. */
export function layerOrder(action: Action, names?: LayerName[]): Layer[] {
  // LAYERS is in dependency order; only the named layers run (their upstream stacks must be applied)
  const layers = names ? LAYERS.filter((l) => names.includes(l.name)) : LAYERS;
  return action === "destroy" ? [...layers].reverse() : layers;
}

export async function runLayers(
  action: Action,
  model: RegistryModel,
  engine: StackEngine,
  opts: RunOptions,
): Promise<string[]> {
  const env = model.environment.name;
  if (action === "destroy" && !opts.allowRemovals)
    throw new SafetyError(
      "destroy removes every tenant's resources: pass --allow-removals to confirm (protected namespaces still stay)",
    );
  if (action !== "destroy") {
    const applied = await engine.appliedTenants(stackName({ env, layer: "platform" }));
    checkRemovals(
      applied,
      model.tenants.map((t) => t.id),
      opts,
    );
  }
  const summaries: string[] = [];
  for (const layer of layerOrder(action, opts.layers)) {
    const stack = stackName({ env, layer: layer.name });
    summaries.push(
      `${stack}: ${await engine.run(action, stack, () => layer.program({ model, tenants: model.tenants }))}`,
    );
  }
  return summaries;
}
