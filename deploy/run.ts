/**
 * The real thing, layer by layer: preview, up (dependency order) and destroy (reverse order), with the
 * safety guard first. `up` previews every layer before it changes anything, and stops (exit 3) on a guard
 * violation or a delete the engine would refuse (a protected resource), so it never half-applies.
 * The engine is an interface so the orchestration logic is tested without Pulumi's CLI.
 */
import { stackName } from "../layers/identity";
import { type Adoption, DEFAULT_PARALLEL, type Layer, type LayerName } from "../layers/names";
import type { RegistryModel } from "../registry/model";
import { ExternalError, SafetyError } from "../registry/problems";
import { LAYERS } from "../stacks/layers";
import { type GuardOptions, type NamespaceGuardOptions, checkRegistryChange } from "./guard";

export type Action = "preview" | "up" | "destroy";

export type Program = () => Promise<Record<string, unknown>>;

/** Resources per operation, as the engine counts them (`create`, `update`, `delete`, `same`, `replace`, ...). */
export type Changes = Record<string, number>;

/** A stack as the backend holds it. */
export interface StackState {
  /** Outputs of its last update (`{}` if it was created but never updated). */
  outputs: Record<string, unknown>;
  /** Resources in its state. */
  resources: number;
}

/** What a preview found: the engine's change counts, and what it would refuse or fail on. */
export interface PreviewReport {
  changes: Changes;
  /** URNs of protected resources the update would delete: the engine refuses those. */
  protectedDeletes: string[];
  /** Other errors the preview reported. */
  errors: string[];
}

export interface RunStepOptions {
  /** Refresh the stack's state from the real systems first (drift). */
  refresh: boolean;
  /** Where the engine's own output goes, a chunk at a time. @default - dropped */
  output?: (text: string) => void;
}

export interface StackEngine {
  /** The stack's state, or undefined when the stack does not exist (never created). */
  state(stack: string): Promise<StackState | undefined>;
  preview(stack: string, program: Program, opts: RunStepOptions): Promise<PreviewReport>;
  up(stack: string, program: Program, opts: RunStepOptions): Promise<Changes>;
  destroy(stack: string, program: Program, opts: RunStepOptions): Promise<Changes>;
}

/** How one stack's step ended. */
export interface StackResult {
  stack: string;
  layer: LayerName;
  phase: Action;
  status: "done" | "failed" | "skipped";
  /** Resources per operation (done). */
  changes?: Changes;
  ms: number;
  /** Why it failed, or why it was skipped (the upstream stack that failed). */
  reason?: string;
}

/** Follows a run: each stack's step as it starts and ends, and the engine's output. */
export interface RunReporter {
  start(stack: string, phase: Action): void;
  output(stack: string, text: string): void;
  finish(result: StackResult): void;
}

const SILENT: RunReporter = { start: () => {}, output: () => {}, finish: () => {} };

export interface RunOptions extends GuardOptions, NamespaceGuardOptions {
  layers?: LayerName[];
  /** @default false */
  refresh?: boolean;
  /** Adopt an existing installation (`tenancy adopt`): what exists is taken over. @default - a normal run */
  adoption?: Adoption;
  /** Most stacks run at once. @default DEFAULT_PARALLEL */
  parallel?: number;
  /** @default - silent */
  reporter?: RunReporter;
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

/**
 * Runs `work` for every layer, at most `limit` at once, each after the layers it waits for (`after`). A layer
 * whose upstream failed (or was skipped) is skipped, naming the failed one. Resolves once every layer ended.
 */
export async function runGraph(
  layers: readonly Layer[],
  after: (layer: Layer) => LayerName[],
  limit: number,
  work: (layer: Layer) => Promise<void>,
  skip: (layer: Layer, failed: LayerName) => void,
): Promise<Map<LayerName, "done" | "failed" | "skipped">> {
  type State = "pending" | "running" | "done" | "failed" | "skipped";
  const state = new Map<LayerName, State>(layers.map((l) => [l.name, "pending"]));
  // the failed layer at the root of each skip
  const cause = new Map<LayerName, LayerName>();
  let running = 0;
  return new Promise((resolve) => {
    const pump = () => {
      for (let changed = true; changed;) {
        changed = false;
        for (const layer of layers) {
          if (state.get(layer.name) !== "pending") continue;
          // only the layers of this run count: the others are applied already, or not at all
          const ups = after(layer).filter((u) => state.has(u));
          const bad = ups.find((u) => state.get(u) === "failed" || state.get(u) === "skipped");
          if (bad) {
            const root = cause.get(bad) ?? bad;
            cause.set(layer.name, root);
            state.set(layer.name, "skipped");
            skip(layer, root);
            changed = true;
          } else if (ups.every((u) => state.get(u) === "done") && running < limit) {
            running++;
            state.set(layer.name, "running");
            work(layer).then(
              () => settle(layer.name, "done"),
              () => settle(layer.name, "failed"),
            );
          }
        }
      }
      if ([...state.values()].every((s) => s !== "pending" && s !== "running"))
        resolve(state as Map<LayerName, "done" | "failed" | "skipped">);
    };
    const settle = (name: LayerName, s: State) => {
      state.set(name, s);
      running--;
      pump();
    };
    pump();
  });
}

export async function runLayers(
  action: Action,
  model: RegistryModel,
  engine: StackEngine,
  opts: RunOptions,
): Promise<StackResult[]> {
  const env = model.environment.name;
  const stackOf = (layer: Layer | LayerName) =>
    stackName({ env, layer: typeof layer === "string" ? layer : layer.name });
  const adoption = opts.adoption;
  const programOf =
    (layer: Layer): Program =>
    () =>
      layer.program({ model, tenants: model.tenants, ...(adoption ? { adoption } : {}) });
  const reporter = opts.reporter ?? SILENT;
  const limit = Math.max(1, opts.parallel ?? DEFAULT_PARALLEL);
  const layers = layerOrder(action, opts.layers);
  const inRun = new Set(layers.map((l) => l.name));

  /** One phase over every layer: the engine step per stack, reported; the results in layer order. */
  const phase = async (
    name: Action,
    after: (layer: Layer) => LayerName[],
    step: (layer: Layer, stack: string, output: (text: string) => void) => Promise<Changes | undefined>,
  ): Promise<{ results: StackResult[]; errors: Map<string, unknown> }> => {
    const results = new Map<LayerName, StackResult>();
    const errors = new Map<string, unknown>();
    await runGraph(
      layers,
      after,
      limit,
      async (layer) => {
        const stack = stackOf(layer);
        const t0 = Date.now();
        reporter.start(stack, name);
        try {
          const changes = await step(layer, stack, (text) => reporter.output(stack, text));
          const result: StackResult = {
            stack,
            layer: layer.name,
            phase: name,
            status: "done",
            ...(changes ? { changes } : {}),
            ms: Date.now() - t0,
          };
          results.set(layer.name, result);
          reporter.finish(result);
        } catch (e) {
          errors.set(stack, e);
          const result: StackResult = {
            stack,
            layer: layer.name,
            phase: name,
            status: "failed",
            ms: Date.now() - t0,
            reason: e instanceof Error ? e.message : String(e),
          };
          results.set(layer.name, result);
          reporter.finish(result);
          throw e;
        }
      },
      (layer, failed) => {
        const result: StackResult = {
          stack: stackOf(layer),
          layer: layer.name,
          phase: name,
          status: "skipped",
          ms: 0,
          reason: `not run: upstream ${stackOf(failed)} failed`,
        };
        results.set(layer.name, result);
        reporter.finish(result);
      },
    );
    return { results: layers.map((l) => results.get(l.name)!), errors };
  };

  /** The first failure, saying what was applied and what was not run because of it. */
  const failure = (ran: { results: StackResult[]; errors: Map<string, unknown> }, step: Action): unknown => {
    const [first] = ran.errors.values();
    if (!(first instanceof ExternalError)) return first;
    const of = (status: StackResult["status"]) =>
      ran.results.filter((r) => r.status === status).map((r) => r.stack);
    const others = [...ran.errors.keys()].slice(1);
    const notes = [
      of("done").length > 0 && step !== "preview"
        ? `${step === "up" ? "applied" : "destroyed"}: ${of("done").join(", ")}`
        : "",
      others.length > 0 ? `also failed: ${others.join(", ")}` : "",
      of("skipped").length > 0 ? `not run, upstream failed: ${of("skipped").join(", ")}` : "",
    ].filter(Boolean);
    return notes.length > 0 ? new ExternalError(`${first.message} (${notes.join("; ")})`) : first;
  };
  const upstream = (layer: Layer) => layer.dependsOn.filter((d) => inRun.has(d));

  if (action === "destroy") {
    if (!opts.allowRemovals)
      throw new SafetyError(
        "destroy removes every tenant's resources: pass --allow-removals to confirm (protected namespaces still stay)",
      );
    // a layer goes after every layer that depends on it
    const dependants = (layer: Layer) =>
      layers.filter((l) => l.dependsOn.includes(layer.name)).map((l) => l.name);
    const ran = await phase("destroy", dependants, async (layer, stack, output) => {
      const state = await engine.state(stack);
      // a stack that was never created, or never updated, holds nothing to destroy
      if (!state || state.resources === 0) return undefined;
      return engine.destroy(stack, programOf(layer), { refresh: false, output });
    });
    if (ran.errors.size > 0) throw failure(ran, "destroy");
    return ran.results;
  }

  const platform = await engine.state(stackName({ env, layer: "platform" }));
  checkRegistryChange(platform?.outputs, model, opts);

  // previews are independent: each reads its upstream stacks as last applied
  const reports: [string, PreviewReport][] = [];
  const step = { refresh: opts.refresh === true };
  const previewed = await phase(
    "preview",
    () => [],
    async (layer, stack, output) => {
      const report = await engine.preview(stack, programOf(layer), { ...step, output });
      reports.push([stack, report]);
      return report.changes;
    },
  );
  if (previewed.errors.size > 0) throw failure(previewed, "preview");
  // in layer order, whatever order the previews ended in
  reports.sort(
    ([a], [b]) => layers.findIndex((l) => stackOf(l) === a) - layers.findIndex((l) => stackOf(l) === b),
  );
  const refused = refusals(reports);
  if (action === "preview") {
    if (refused.length > 0) throw new SafetyError(`the update would be refused:\n${refused.join("\n")}`);
    return previewed.results;
  }
  if (refused.length > 0)
    throw new SafetyError(
      `nothing was changed: the preview shows what the update would refuse:\n${refused.join("\n")}`,
    );

  const applied = await phase("up", upstream, (layer, stack, output) =>
    engine.up(stack, programOf(layer), { ...step, output }),
  );
  if (applied.errors.size > 0) throw failure(applied, "up");
  return applied.results;
}
