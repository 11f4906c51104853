/**
 * Ownership moves (ARCHITECTURE.md, "Moves"): a resource whose owning stack changes (a namespace handed to a
 * tenant of another shard, a record's `shard:` pin, a shard count change) is moved between the stacks' states
 * with `pulumi state move` before any update, never deleted from one stack and created in the other: the
 * engine would refuse a protected delete, the create would collide with the object that exists, and an
 * unprotected namespace would go with its volumes.
 *
 * What moves is found from the states themselves: each stack's program registers its resources under URNs that
 * differ between stacks only in the stack's name (a URN holds its parents' types, never their names). A
 * top-level one (a component, or a resource of no parent) that another stack of the same layer holds moves from
 * there, its children with it (state_move.go moves a resource's children and copies the providers they use). A
 * child whose parent stays (a binding of a handed namespace under the giving tenant's component) cannot move
 * without its parent (state_move.go re-parents it to the stack, which changes its URN): it is a handoff, deleted
 * by its old stack's update and made by its new stack's, which runs after it, never before (the new one would
 * find the object there, and the old one's delete would then take it away).
 */
import { parseStackName } from "../layers/identity";
import type { LayerStack } from "../layers/shards";
import type { LayerName } from "../layers/names";
import type { RegistryModel } from "../registry/model";
import { LAYERS } from "../stacks/layers";
import { SafetyError } from "../components/core/problems";

export interface StackMove {
  layer: LayerName;
  source: string;
  dest: string;
  /** The top-level URNs to move, as the source stack holds them. */
  urns: string[];
  /** URNs the source deletes and the destination makes again, after it (children whose parent stays). */
  handoffs: string[];
}

/** What a move needs of a stack's state (deploy/run.ts StackState): its URNs and their parents. */
export interface HeldState {
  urns: string[];
  parents?: Record<string, string>;
}

/** The mock runtime writes the root stack resource's type into its children's URNs; the engine does not. */
const ROOT_TYPE = "pulumi:pulumi:Stack$";

/** A URN's `<qualified type>::<name>` within its stack (the mock runtime's root type left out), or undefined. */
export function urnKey(urn: string, stack: string): string | undefined {
  const prefix = `urn:pulumi:${stack}::`;
  if (!urn.startsWith(prefix)) return undefined;
  const [, qualified = "", ...name] = urn.slice(prefix.length).split("::");
  const type = qualified.startsWith(ROOT_TYPE) ? qualified.slice(ROOT_TYPE.length) : qualified;
  return type.startsWith("pulumi:") ? undefined : `${type}::${name.join("::")}`;
}

/**
 * The resources a stack's program registers, as `<qualified type>::<name>` (the types of its parents and its own,
 * joined by `$`), top-level ones marked (providers left out: state move copies them).
 */
function plannedKeys(model: RegistryModel, stack: LayerStack): { key: string; top: boolean }[] {
  const layer = LAYERS.find((l) => l.name === stack.layer)!;
  const specs = layer.program({ model, tenants: stack.tenants, part: stack.part });
  const byKey = new Map(specs.resources.map((r) => [r.key, r]));
  const qualified = new Map<string, string>();
  const typeOf = (key: string): string => {
    let q = qualified.get(key);
    if (q === undefined) {
      const r = byKey.get(key)!;
      q = r.parent === undefined ? r.type : `${typeOf(r.parent)}$${r.type}`;
      qualified.set(key, q);
    }
    return q;
  };
  return specs.resources
    .filter((r) => !r.type.startsWith("pulumi:"))
    .map((r) => ({ key: `${typeOf(r.key)}::${r.name}`, top: r.parent === undefined }));
}

/**
 * The moves that put each planned top-level resource in the stack that will own it, from whichever other stack
 * of its layer holds it now. `states` holds every stack that may hold something: the stacks of this run and
 * those of the layout applied before (a shard count shrinking leaves shards that still hold tenants).
 */
export function stackMoves(
  model: RegistryModel,
  stacks: readonly LayerStack[],
  states: ReadonlyMap<string, HeldState | undefined>,
): StackMove[] {
  const held = new Map<string, { stack: string; urn: string }>();
  for (const [name, state] of states) {
    const layer = parseStackName(name)?.layer;
    for (const urn of state?.urns ?? []) {
      const key = urnKey(urn, name);
      if (layer && key) held.set(`${layer}\0${key}`, { stack: name, urn });
    }
  }
  const moves = new Map<string, StackMove>();
  const moveOf = (layer: LayerName, source: string, dest: string) => {
    const id = `${source}\0${dest}`;
    let move = moves.get(id);
    if (!move) moves.set(id, (move = { layer, source, dest, urns: [], handoffs: [] }));
    return move;
  };
  for (const stack of stacks) {
    const planned = plannedKeys(model, stack);
    for (const { key, top } of planned) {
      const from = held.get(`${stack.layer}\0${key}`);
      if (!top || !from || from.stack === stack.name) continue;
      moveOf(stack.layer, from.stack, stack.name).urns.push(from.urn);
    }
    // children held elsewhere whose top-level ancestor does not move with them
    for (const { key, top } of planned) {
      const from = held.get(`${stack.layer}\0${key}`);
      if (top || !from || from.stack === stack.name) continue;
      const source = states.get(from.stack);
      if (topAncestorMoves(from.urn, source, moves.get(`${from.stack}\0${stack.name}`))) continue;
      moveOf(stack.layer, from.stack, stack.name).handoffs.push(from.urn);
    }
  }
  return [...moves.values()]
    .map((m) => ({ ...m, urns: m.urns.sort(), handoffs: m.handoffs.sort() }))
    .sort((a, b) => a.source.localeCompare(b.source) || a.dest.localeCompare(b.dest));
}

/** Whether a URN's top-level ancestor (through the source's parents) is among the move's. */
function topAncestorMoves(urn: string, source: HeldState | undefined, move: StackMove | undefined): boolean {
  if (!move) return false;
  const named = new Set(move.urns);
  for (let u: string | undefined = urn; u !== undefined; u = source?.parents?.[u])
    if (named.has(u)) return true;
  return false;
}

/** The URNs a move takes from its source: those named and, through the source's parents, all their children. */
export function movedUrns(move: StackMove, source: HeldState | undefined): string[] {
  const moving = new Set(move.urns);
  const parents = Object.entries(source?.parents ?? {});
  for (let grew = true; grew;) {
    grew = false;
    for (const [urn, parent] of parents)
      if (!moving.has(urn) && moving.has(parent)) {
        moving.add(urn);
        grew = true;
      }
  }
  return [...moving];
}

/** A URN as it reads once moved to another stack. */
export function renamedUrn(urn: string, source: string, dest: string): string {
  return urn.replace(`urn:pulumi:${source}::`, `urn:pulumi:${dest}::`);
}

/** What a move says on the terminal: the layer, the stacks, how many resources. */
export function describeMove(m: StackMove): string {
  const moved =
    m.urns.length > 0
      ? `${m.urns.length} resource(s) move from ${m.source} to ${m.dest} (pulumi state move, with their children), never deleted and created`
      : "";
  const handed =
    m.handoffs.length > 0
      ? `${m.handoffs.length} pass from ${m.source} to ${m.dest} (deleted by ${m.source}'s update, made again by ${m.dest}'s after it)`
      : "";
  return `${m.layer}: ${[moved, handed].filter(Boolean).join("; ")}`;
}

/**
 * The stacks each stack's update waits for besides its upstream ones: the sources of its handoffs. A pair of
 * stacks handing each other resources in one run cannot be ordered: refused, as two runs can.
 */
export function handoffOrder(moves: readonly StackMove[]): Map<string, string[]> {
  const after = new Map<string, string[]>();
  for (const m of moves.filter((x) => x.handoffs.length > 0))
    after.set(m.dest, [...(after.get(m.dest) ?? []), m.source]);
  for (const [dest, sources] of after)
    for (const source of sources)
      if (after.get(source)?.includes(dest))
        throw new SafetyError(
          `stacks ${source} and ${dest} would hand resources to each other in one run (namespaces passing both ways between their tenants): hand them over in two runs, one direction each`,
        );
  return after;
}
