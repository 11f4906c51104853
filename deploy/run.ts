/**
 * The real thing, layer by layer: preview, up (dependency order) and destroy (reverse order), under the
 * environment lease (ARCHITECTURE.md, "Converging"): the safety guard, an interrupted update's pending creates,
 * the preflight, a preview of every layer, and only then the updates. Everything found before the updates
 * (a guard violation, a collision, a delete the engine would refuse) stops the run with nothing changed (exit 3);
 * a stack failing during the updates fails itself and the layers after it, the others finish.
 * The engine is an interface so the orchestration logic is tested without Pulumi's CLI.
 */
import { layoutStackNames, stackName } from "../layers/identity";
import { type LayerStack, layerStacks, stackUpstream } from "../layers/shards";
import {
  type Adoption,
  DEFAULT_PARALLEL,
  type Layer,
  type LayerInput,
  type LayerName,
} from "../layers/names";
import type { RegistryModel } from "../registry/model";
import { ExternalError, SafetyError } from "../components/core/problems";
import { LAYERS } from "../stacks/layers";
import { pulumiProgram } from "../stacks/registrar";
import { buildPlan } from "../plan/plan";
import type { HeldLease } from "./lease";
import { mapLimited } from "./map-limited";
import { describeMove, handoffOrder, movedUrns, renamedUrn, stackMoves } from "./moves";
import { type PreflightClients, type PreflightResult, preflight } from "./preflight";
import {
  type GuardOptions,
  type NamespaceGuardOptions,
  type ShardGuardOptions,
  type ClusterGuardOptions,
  checkRegistryChange,
  mergeApplied,
} from "./guard";

export type Action = "preview" | "up" | "destroy";

export type Program = () => Promise<Record<string, unknown>>;

/**
 * What a stack runs: its layer's program on this input, as data, so an engine can run it in a process of its own
 * (deploy/automation.ts: one stack's failure never fails another's; ARCHITECTURE.md, "Converging").
 */
export interface StackJob {
  layer: LayerName;
  input: LayerInput;
  /** The run's lease holder (deploy/lease.ts), which the program checks still holds the lease. */
  holder?: string;
}

/** A job's program, to run in this process; as the direct path does, it reads what its stack last applied first. */
export function jobProgram(job: StackJob): Program {
  return pulumiProgram(
    LAYERS.find((l) => l.name === job.layer)!,
    job.input,
    { readApplied: true },
  );
}

/** Resources per operation, as the engine counts them (`create`, `update`, `delete`, `same`, `replace`, ...). */
export type Changes = Record<string, number>;

/** An operation an interrupted update left in a stack's state (the checkpoint's `pending_operations`). */
export interface PendingOperation {
  urn: string;
  /** `creating`, `updating`, `deleting`, `reading`, `importing`. */
  op: string;
}

/** A stack as the backend holds it. */
export interface StackState {
  /** Outputs of its last update (`{}` if it was created but never updated). */
  outputs: Record<string, unknown>;
  /** Resources in its state. */
  resources: number;
  /** Their URNs. */
  urns: string[];
  /** Each resource's parent, by URN (those parented to the stack left out): what a state move takes along. */
  parents?: Record<string, string>;
  /** What an interrupted update left unfinished. */
  pending: PendingOperation[];
}

/** What a preview found: the engine's change counts, and what it would refuse or fail on. */
export interface PreviewReport {
  changes: Changes;
  /** URNs of protected resources the update would delete: the engine refuses those. */
  protectedDeletes: string[];
  /** Other errors the preview reported. */
  errors: string[];
  /** Each resource the preview would change, and how (`create`, `update`, `replace`, `delete`, ...). */
  steps?: { urn: string; op: string }[];
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
  preview(stack: string, job: StackJob, opts: RunStepOptions): Promise<PreviewReport>;
  up(stack: string, job: StackJob, opts: RunStepOptions): Promise<Changes>;
  destroy(stack: string, job: StackJob, opts: RunStepOptions): Promise<Changes>;
  /**
   * Drops the creates an interrupted update left pending from the stack's checkpoint (nothing else in it
   * changes): the objects they may have made are found by the preflight that follows.
   */
  clearPendingCreates(stack: string, opts: RunStepOptions): Promise<void>;
  /** `pulumi stack select --create`: the stack, made empty if it does not exist. */
  createStack(stack: string): Promise<void>;
  /** `pulumi state move`: the resources named (their children along) from one existing stack to another. */
  stateMove(source: string, dest: string, urns: string[]): Promise<void>;
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

export interface RunOptions
  extends GuardOptions, NamespaceGuardOptions, ShardGuardOptions, ClusterGuardOptions {
  layers?: LayerName[];
  /** @default false */
  refresh?: boolean;
  /** Adopt an existing installation (`tenancy adopt`): what exists is taken over. @default - a normal run */
  adoption?: Adoption;
  /** Most stacks run at once. @default DEFAULT_PARALLEL */
  parallel?: number;
  /** @default - silent */
  reporter?: RunReporter;
  /**
   * Takes the environment lease (deploy/lease.ts) for an up or a destroy: before the guard reads the applied
   * state, held to the last update. @default - no lease (tests of other things)
   */
  lease?: () => Promise<HeldLease>;
  /** Look up what the run would create (deploy/preflight.ts) with these clients. @default - no preflight */
  preflight?: PreflightClients;
  /** What the preflight found, as soon as it is known. */
  onPreflight?: (result: PreflightResult) => void;
  /** Aborted (Ctrl-C, SIGTERM): no further stack starts; the running ones finish. */
  signal?: AbortSignal;
  /** What the platform layer last applied, as the guard read it under the lease (the events compare with it). */
  onApplied?: (applied: Record<string, unknown> | undefined) => void;
  /** A line worth saying that is not a failure (an interrupted update a preview found). */
  notice?: (line: string) => void;
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
 * Runs `work` for every node (a stack), at most `limit` at once, each after the nodes it waits for (`after`). A
 * node whose upstream failed (or was skipped) is skipped, naming the failed one. Resolves once every node ended.
 */
export async function runGraph<N extends { name: string }>(
  nodes: readonly N[],
  after: (node: N) => string[],
  limit: number,
  work: (node: N) => Promise<void>,
  skip: (node: N, why: string) => void,
  /** Why no further node may start (a stop asked for, the lease lost), or undefined. */
  stop: () => string | undefined = () => undefined,
): Promise<Map<string, "done" | "failed" | "skipped">> {
  type State = "pending" | "running" | "done" | "failed" | "skipped";
  const state = new Map<string, State>(nodes.map((n) => [n.name, "pending"]));
  // the failed node at the root of each skip
  const cause = new Map<string, string>();
  let running = 0;
  return new Promise((resolve) => {
    const pump = () => {
      for (let changed = true; changed;) {
        changed = false;
        for (const node of nodes) {
          if (state.get(node.name) !== "pending") continue;
          // only the nodes of this run count: the others are applied already, or not at all
          const ups = after(node).filter((u) => state.has(u));
          const bad = ups.find((u) => state.get(u) === "failed" || state.get(u) === "skipped");
          const stopped = stop();
          if (stopped !== undefined) {
            state.set(node.name, "skipped");
            skip(node, stopped);
            changed = true;
          } else if (bad) {
            const root = cause.get(bad) ?? bad;
            cause.set(node.name, root);
            state.set(node.name, "skipped");
            skip(node, `upstream ${root} failed`);
            changed = true;
          } else if (ups.every((u) => state.get(u) === "done") && running < limit) {
            running++;
            state.set(node.name, "running");
            work(node).then(
              () => settle(node.name, "done"),
              () => settle(node.name, "failed"),
            );
          }
        }
      }
      if ([...state.values()].every((s) => s !== "pending" && s !== "running"))
        resolve(state as Map<string, "done" | "failed" | "skipped">);
    };
    const settle = (name: string, s: State) => {
      state.set(name, s);
      running--;
      pump();
    };
    pump();
  });
}

/** The stacks an action runs, in its order: per layer (dependency order, reversed for destroy) its stacks. */
export function runStacks(action: Action, model: RegistryModel, names?: LayerName[]): LayerStack[] {
  const stacks = layerOrder("up", names).flatMap((l) => layerStacks(model, l.name));
  return action === "destroy" ? stacks.reverse() : stacks;
}

/**
 * What the platform layer last applied, all its stacks together (its shards, in a sharded environment):
 * the tenants and namespaces the guard and the events compare a registry with. Undefined if none applied any.
 */
export async function appliedPlatform(
  engine: StackEngine,
  model: RegistryModel,
  /** Most stacks read at once: each read is a `pulumi` process (128 shards made 260 at once). */
  parallel: number = DEFAULT_PARALLEL,
  /** States read already (the run's stacks): not read again. */
  known: ReadonlyMap<string, StackState | undefined> = new Map(),
): Promise<Record<string, unknown> | undefined> {
  // the stacks of the layout that was applied, and of the one asked for (a count shrinking after its state
  // moves must not hide the old shards' tenants from the guard and the events)
  const env = model.environment.name;
  const state = async (name: string) => (known.has(name) ? known.get(name) : engine.state(name));
  const shared = await state(stackName({ env, layer: "platform" }));
  const countOf = (s: StackState | undefined) =>
    typeof s?.outputs.shards === "number" ? s.outputs.shards : undefined;
  // no shared stack: a first shard, if any, tells the layout
  const first = shared ? undefined : await state(stackName({ env, layer: "platform", shard: 0 }));
  const applied = countOf(shared) ?? countOf(first) ?? 1;
  const count = Math.max(applied, model.environment.shards.count);
  const shards = layoutStackNames(env, "platform", count).slice(1);
  const states = [shared, ...(await mapLimited(shards, Math.max(1, parallel), state))];
  return mergeApplied(states.map((s) => s?.outputs));
}

export async function runLayers(
  action: Action,
  model: RegistryModel,
  engine: StackEngine,
  opts: RunOptions,
): Promise<StackResult[]> {
  let adoption = opts.adoption;
  const programOf = (stack: LayerStack): StackJob => ({
    layer: stack.layer,
    input: { model, tenants: stack.tenants, part: stack.part, ...(adoption ? { adoption } : {}) },
    ...(lease ? { holder: lease.holder } : {}),
  });
  const reporter = opts.reporter ?? SILENT;
  const limit = Math.max(1, opts.parallel ?? DEFAULT_PARALLEL);
  const stacks = runStacks(action, model, opts.layers);
  let lease: HeldLease | undefined;
  const stop = () =>
    opts.signal?.aborted ? "the run was stopped (the stacks running then finished)" : lease?.lost();

  /** One phase over every stack: the engine step per stack, reported; the results in run order. */
  const phase = async (
    name: Action,
    after: (stack: LayerStack) => string[],
    step: (stack: LayerStack, output: (text: string) => void) => Promise<Changes | undefined>,
  ): Promise<{ results: StackResult[]; errors: Map<string, unknown> }> => {
    const results = new Map<string, StackResult>();
    const errors = new Map<string, unknown>();
    const end = (r: StackResult) => {
      results.set(r.stack, r);
      reporter.finish(r);
    };
    await runGraph(
      stacks,
      after,
      limit,
      async (stack) => {
        const t0 = Date.now();
        reporter.start(stack.name, name);
        const base = { stack: stack.name, layer: stack.layer, phase: name };
        try {
          const changes = await step(stack, (text) => reporter.output(stack.name, text));
          end({ ...base, status: "done", ...(changes ? { changes } : {}), ms: Date.now() - t0 });
        } catch (e) {
          errors.set(stack.name, e);
          end({
            ...base,
            status: "failed",
            ms: Date.now() - t0,
            reason: e instanceof Error ? e.message : String(e),
          });
          throw e;
        }
      },
      (stack, why) =>
        end({
          stack: stack.name,
          layer: stack.layer,
          phase: name,
          status: "skipped",
          ms: 0,
          reason: `not run: ${why}`,
        }),
      stop,
    );
    return { results: stacks.map((s) => results.get(s.name)!), errors };
  };

  /** The first failure, saying what was applied and what was not run because of it. */
  const failure = (ran: { results: StackResult[]; errors: Map<string, unknown> }, step: Action): unknown => {
    const of = (status: StackResult["status"]) =>
      ran.results.filter((r) => r.status === status).map((r) => r.stack);
    const [first] = ran.errors.values();
    // nothing failed, but the run stopped before every stack ran
    if (first === undefined)
      return new SafetyError(
        `${stop() ?? "the run stopped"}: not run: ${of("skipped").join(", ")}${of("done").length > 0 && step !== "preview" ? `; ${step === "up" ? "applied" : "destroyed"}: ${of("done").join(", ")}` : ""}`,
      );
    if (!(first instanceof ExternalError)) return first;
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
  const ended = (ran: { results: StackResult[]; errors: Map<string, unknown> }) =>
    ran.errors.size > 0 || ran.results.some((r) => r.status !== "done");

  if (action !== "preview" && opts.lease) lease = await opts.lease();
  try {
    if (action === "destroy") {
      if (!opts.allowRemovals)
        throw new SafetyError(
          "destroy removes every tenant's resources: pass --allow-removals to confirm (protected namespaces still stay)",
        );
      // a stack goes after every stack that waits for it
      const dependants = (stack: LayerStack) =>
        stacks.filter((s) => stackUpstream(s, stacks).includes(stack.name)).map((s) => s.name);
      const ran = await phase("destroy", dependants, async (stack, output) => {
        const state = await engine.state(stack.name);
        // a stack that was never created, or never updated, holds nothing to destroy
        if (!state || state.resources === 0) return undefined;
        return engine.destroy(stack.name, programOf(stack), { refresh: false, output });
      });
      if (ended(ran)) throw failure(ran, "destroy");
      return ran.results;
    }

    // under the lease: nobody changes the applied state between this check and the updates; each stack's
    // state read once (the run's platform stacks are the guard's too)
    const states = new Map(
      await mapLimited(stacks, limit, async (s) => [s.name, await engine.state(s.name)] as const),
    );
    const last = await appliedPlatform(engine, model, limit, states);
    opts.onApplied?.(last);
    checkRegistryChange(last, model, opts);

    const step = { refresh: opts.refresh === true };
    // resources whose owning stack changes move first (deploy/moves.ts): a preview shows them, an up makes them
    const moved = await moveResources(action, model, stacks, states, last, engine, limit, opts.notice);
    // an interrupted update's pending creates: dropped (an up), their objects found by the preflight below
    const interrupted = stacks.filter((s) => states.get(s.name)?.pending.some((p) => p.op === "creating"));
    if (action === "up")
      await mapLimited(interrupted, limit, async (s) => {
        await engine.clearPendingCreates(s.name, step);
        states.set(s.name, await engine.state(s.name));
      });

    let unresolved: string[] = [];
    if (opts.preflight) {
      const plan = await buildPlan(model, LAYERS, opts.layers ? { layers: opts.layers } : {});
      // the stacks of this run only, and what their state holds (pending creates count as not made)
      const mine = new Set(stacks.map((s) => s.name));
      const found = await preflight(
        model,
        { ...plan, stacks: plan.stacks.filter((s) => mine.has(s.stack)) },
        (stack) => states.get(stack)?.urns,
        { ...opts.preflight, adopt: opts.adoption !== undefined },
      );
      opts.onPreflight?.(found);
      adoption = mergeAdoption(adoption, found.adoption);
      unresolved = found.unresolved.map((f) => `${f.stack}: ${f.resource}: ${f.detail}`);
    }
    if (action === "up" && unresolved.length > 0)
      throw new SafetyError(
        "nothing was changed: the preflight found what the update would fail on:",
        unresolved,
      );

    // previews are independent: each reads its upstream stacks as last applied
    const reports = new Map<string, PreviewReport>();
    const previewed = await phase(
      "preview",
      () => [],
      async (stack, output) => {
        const report = await engine.preview(stack.name, programOf(stack), { ...step, output });
        reports.set(stack.name, report);
        return report.changes;
      },
    );
    if (ended(previewed)) throw failure(previewed, "preview");
    // in run order, whatever order the previews ended in
    // a preview's source stacks delete what an up moves first: not a refusal
    const refused = [
      ...unresolved,
      ...refusals(
        stacks.map(
          (s) => [s.name, withoutMoved(reports.get(s.name)!, moved.moving)] as [string, PreviewReport],
        ),
      ),
    ];
    const pending = interrupted.map(
      (s) =>
        `${s.name}: an interrupted update left ${states.get(s.name)!.pending.length} operation(s) pending; tenancy up resolves them`,
    );
    if (action === "preview") {
      for (const line of pending) opts.notice?.(line);
      if (refused.length > 0) throw new SafetyError("the update would be refused:", [...refused, ...pending]);
      return previewed.results;
    }
    if (refused.length > 0)
      throw new SafetyError("nothing was changed: the preview shows what the update would refuse:", refused);

    const applied = await phase(
      "up",
      (stack) => [...stackUpstream(stack, stacks), ...(moved.after.get(stack.name) ?? [])],
      (stack, output) => engine.up(stack.name, programOf(stack), { ...step, output }),
    );
    if (ended(applied)) throw failure(applied, "up");
    return applied.results;
  } finally {
    await lease?.release();
  }
}

/**
 * The moves of this run's resources between stacks (deploy/moves.ts), from every stack that may hold them: this
 * run's and those of the layout applied before. An up makes them (each destination created first: state move
 * never creates one) and re-reads the states; a preview reports them. Either way the states are shown as the
 * updates will find them (the preflight looks for none of what moves or is handed off). Returns the URNs moving
 * out of their stacks (children included, as the sources hold them: a preview's source deletes them, an up's
 * does not), and the stacks each update waits for besides its upstream ones (the sources of its handoffs).
 */
async function moveResources(
  action: Action,
  model: RegistryModel,
  stacks: readonly LayerStack[],
  states: Map<string, StackState | undefined>,
  applied: Record<string, unknown> | undefined,
  engine: StackEngine,
  limit: number,
  notice: ((line: string) => void) | undefined,
): Promise<{ moving: Set<string>; after: Map<string, string[]> }> {
  const none = { moving: new Set<string>(), after: new Map<string, string[]>() };
  if (action === "destroy") return none;
  const env = model.environment.name;
  const count = Math.max(
    typeof applied?.shards === "number" ? applied.shards : 1,
    model.environment.shards.count,
  );
  // every stack of the layers run, under either layout: a shard count change leaves tenants in the old stacks
  const layers = [...new Set(stacks.map((s) => s.layer))];
  const others = layers
    .flatMap((layer) => layoutStackNames(env, layer, count))
    .filter((name) => !states.has(name));
  const all = new Map(states);
  for (const [name, state] of await mapLimited(
    others,
    limit,
    async (n) => [n, await engine.state(n)] as const,
  ))
    all.set(name, state);
  const moves = stackMoves(model, stacks, all);
  if (moves.length === 0) return none;
  // refused before anything changes
  const after = handoffOrder(moves);
  const moving = new Set<string>();
  for (const m of moves) {
    notice?.(describeMove(m));
    for (const urn of movedUrns(m, all.get(m.source))) moving.add(urn);
  }
  if (action === "up") {
    const moved = moves.filter((m) => m.urns.length > 0);
    for (const dest of new Set(moved.map((m) => m.dest)))
      if (all.get(dest) === undefined) await engine.createStack(dest);
    // one at a time: a stack's checkpoint is written by one command at a time
    for (const m of moved) await engine.stateMove(m.source, m.dest, m.urns);
    // only the moves' stacks changed; each read is a pulumi process
    const touched = [...new Set(moved.flatMap((m) => [m.source, m.dest]))].filter((n) => states.has(n));
    for (const [name, state] of await mapLimited(
      touched,
      limit,
      async (n) => [n, await engine.state(n)] as const,
    ))
      states.set(name, state);
  }
  for (const m of moves) {
    const dest = states.get(m.dest);
    const urns = [...(action === "up" ? [] : movedUrns(m, all.get(m.source))), ...m.handoffs].map((u) =>
      renamedUrn(u, m.source, m.dest),
    );
    states.set(m.dest, {
      ...dest,
      outputs: dest?.outputs ?? {},
      resources: (dest?.resources ?? 0) + urns.length,
      urns: [...(dest?.urns ?? []), ...urns],
      pending: dest?.pending ?? [],
    });
  }
  return { moving: action === "up" ? new Set() : moving, after };
}

/** A preview's report without the protected deletes of resources an up moves to another stack first. */
function withoutMoved(report: PreviewReport, moved: ReadonlySet<string>): PreviewReport {
  if (moved.size === 0) return report;
  return { ...report, protectedDeletes: report.protectedDeletes.filter((u) => !moved.has(u)) };
}

/** What a run takes over: the adoption asked for (`tenancy adopt`) and what the preflight found. */
export function mergeAdoption(asked: Adoption | undefined, found: Adoption): Adoption | undefined {
  const k8s = asked?.kubernetes?.upsert === "all" ? asked.kubernetes : found.kubernetes;
  const merged: Adoption = {
    entities: { ...found.entities, ...asked?.entities },
    aliases: { ...found.aliases, ...asked?.aliases },
    ...(found.dnsRecords || asked?.dnsRecords
      ? { dnsRecords: { ...found.dnsRecords, ...asked?.dnsRecords } }
      : {}),
    ...(k8s ? { kubernetes: k8s } : {}),
  };
  const empty =
    Object.keys(merged.entities).length === 0 &&
    Object.keys(merged.aliases).length === 0 &&
    Object.keys(merged.dnsRecords ?? {}).length === 0 &&
    !merged.kubernetes;
  return empty && !asked ? undefined : merged;
}
