/**
 * The real thing, layer by layer: preview, up (dependency order) and destroy (reverse order), with the
 * safety guard first. `up` previews every layer before it changes anything, and stops (exit 3) on a guard
 * violation or a delete the engine would refuse (a protected resource), so it never half-applies.
 * The engine is an interface so the orchestration logic is tested without Pulumi's CLI.
 */
import { stackName } from "../layers/identity";
import type { Adoption, Layer, LayerName } from "../layers/names";
import type { RegistryModel } from "../registry/model";
import { ExternalError, SafetyError } from "../registry/problems";
import { LAYERS } from "../stacks/layers";
import { type GuardOptions, type NamespaceGuardOptions, checkRegistryChange } from "./guard";

export type Action = "preview" | "up" | "destroy";

export type Program = () => Promise<Record<string, unknown>>;

/** A stack as the backend holds it. */
export interface StackState {
  /** Outputs of its last update (`{}` if it was created but never updated). */
  outputs: Record<string, unknown>;
  /** Resources in its state. */
  resources: number;
}

/** What a preview found: the engine's change summary, and what it would refuse or fail on. */
export interface PreviewReport {
  summary: string;
  /** URNs of protected resources the update would delete: the engine refuses those. */
  protectedDeletes: string[];
  /** Other errors the preview reported. */
  errors: string[];
}

export interface RunStepOptions {
  /** Refresh the stack's state from the real systems first (drift). */
  refresh: boolean;
}

export interface StackEngine {
  /** The stack's state, or undefined when the stack does not exist (never created). */
  state(stack: string): Promise<StackState | undefined>;
  preview(stack: string, program: Program, opts: RunStepOptions): Promise<PreviewReport>;
  up(stack: string, program: Program, opts: RunStepOptions): Promise<string>;
  destroy(stack: string, program: Program): Promise<string>;
}

export interface RunOptions extends GuardOptions, NamespaceGuardOptions {
  layers?: LayerName[];
  /** @default false */
  refresh?: boolean;
  /** Adopt an existing installation (`tenancy adopt`): what exists is taken over. @default - a normal run */
  adoption?: Adoption;
}

/** Layers in the order an action runs them. */
export function layerOrder(action: Action, names?: LayerName[]): Layer[] {
  // LAYERS is in dependency order; only the named layers run (their upstream stacks must be applied)
  const layers = names ? LAYERS.filter((l) => names.includes(l.name)) : LAYERS;
  return action === "destroy" ? [...layers].reverse() : layers;
}

/** One line per refusal the previews found, or none. */
function refusals(reports: [string, PreviewReport][]): string[] {
  return reports.flatMap(([stack, r]) => [
    ...r.protectedDeletes.map(
      (urn) => `${stack}: would delete protected ${urn} (offboard it first: set offboarding: true and apply)`,
    ),
    ...r.errors.map((e) => `${stack}: ${e}`),
  ]);
}

export async function runLayers(
  action: Action,
  model: RegistryModel,
  engine: StackEngine,
  opts: RunOptions,
): Promise<string[]> {
  const env = model.environment.name;
  const stackOf = (layer: Layer) => stackName({ env, layer: layer.name });
  const adoption = opts.adoption;
  const programOf =
    (layer: Layer): Program =>
    () =>
      layer.program({ model, tenants: model.tenants, ...(adoption ? { adoption } : {}) });
  const step = { refresh: opts.refresh === true };
  const layers = layerOrder(action, opts.layers);

  if (action === "destroy") {
    if (!opts.allowRemovals)
      throw new SafetyError(
        "destroy removes every tenant's resources: pass --allow-removals to confirm (protected namespaces still stay)",
      );
    const out: string[] = [];
    for (const layer of layers) {
      const stack = stackOf(layer);
      const state = await engine.state(stack);
      // a stack that was never created, or never updated, holds nothing to destroy
      if (!state || state.resources === 0) out.push(`${stack}: nothing to destroy`);
      else out.push(`${stack}: ${await engine.destroy(stack, programOf(layer))}`);
    }
    return out;
  }

  const platform = await engine.state(stackName({ env, layer: "platform" }));
  checkRegistryChange(platform?.outputs, model, opts);

  const reports: [string, PreviewReport][] = [];
  for (const layer of layers) {
    const stack = stackOf(layer);
    reports.push([stack, await engine.preview(stack, programOf(layer), step)]);
  }
  const refused = refusals(reports);
  if (action === "preview") {
    if (refused.length > 0) throw new SafetyError(`the update would be refused:\n${refused.join("\n")}`);
    return reports.map(([stack, r]) => `${stack}: ${r.summary}`);
  }
  if (refused.length > 0)
    throw new SafetyError(
      `nothing was changed: the preview shows what the update would refuse:\n${refused.join("\n")}`,
    );

  const out: string[] = [];
  for (const layer of layers) {
    const stack = stackOf(layer);
    try {
      out.push(`${stack}: ${await engine.up(stack, programOf(layer), step)}`);
    } catch (e) {
      // say what was applied before the failure: the layers before it are, the rest are not
      if (e instanceof ExternalError && out.length > 0)
        throw new ExternalError(
          `${e.message} (applied before it: ${out.map((l) => l.split(":")[0]).join(", ")})`,
        );
      throw e;
    }
  }
  return out;
}
