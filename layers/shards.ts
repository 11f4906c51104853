/**
 * Shards (ARCHITECTURE.md, "Shards"): with `shards.count` N > 1 every layer is N tenant stacks
 * `<env>-<layer>-<k>` plus one stack `<env>-<layer>` holding the layer's shared resources; with N = 1, one
 * stack `<env>-<layer>` holds both. A tenant's shard comes from its id by rendezvous hashing (the shard
 * whose hash with the id is highest), or from its record's `shard`: it depends on nothing but the id and N,
 * so a tenant never moves when others come or go, and when N grows only the tenants whose new highest
 * shard is a new one move. A tenant has the same shard in every layer: its downstream stacks read its own
 * upstream shard.
 */
import { createHash } from "node:crypto";
import type { EnvironmentModel, RegistryModel, TenantModel } from "../registry/model";
import { type StackIdentity, stackName } from "./identity";
import { LAYER_DEPENDENCIES, type LayerName, type StackPart } from "./names";

export type { StackPart };

/** The one stack of an unsharded layer: everything. */
export const WHOLE: StackPart = { shared: true, tenants: true };

/** A stack of a layer, with the tenants it holds. */
export interface LayerStack {
  id: StackIdentity;
  name: string;
  layer: LayerName;
  part: StackPart;
  tenants: TenantModel[];
}

export function shardCount(env: Pick<EnvironmentModel, "shards">): number {
  return env.shards.count;
}

function score(id: string, shard: number): bigint {
  return createHash("sha256").update(`${id}\0${shard}`).digest().readBigUInt64BE(0);
}

/** The shard of a tenant: its record's, or the highest-scoring of `count` for its id. */
export function shardOf(tenant: Pick<TenantModel, "id" | "shard">, count: number): number {
  if (tenant.shard !== undefined) return tenant.shard;
  let best = 0;
  let top = -1n;
  for (let k = 0; k < count; k++) {
    const s = score(tenant.id, k);
    if (s > top) [best, top] = [k, s];
  }
  return best;
}

/**
 * The stacks of a layer, in order (the shared stack first), with their tenants: those of `tenants` (default:
 * every tenant) in each shard. With `shards`, only those shard stacks (and the shared one).
 */
export function layerStacks(
  model: RegistryModel,
  layer: LayerName,
  tenants: readonly TenantModel[] = model.tenants,
  shards?: ReadonlySet<number>,
): LayerStack[] {
  const env = model.environment.name;
  const count = shardCount(model.environment);
  const make = (id: StackIdentity, part: StackPart, ts: TenantModel[]): LayerStack => ({
    id,
    name: stackName(id),
    layer,
    part,
    tenants: ts,
  });
  if (count === 1) return [make({ env, layer }, WHOLE, [...tenants])];
  const byShard = Array.from({ length: count }, () => [] as TenantModel[]);
  for (const t of tenants) byShard[shardOf(t, count)]!.push(t);
  return [
    make({ env, layer }, { shared: true, tenants: false }, []),
    ...byShard.flatMap((ts, shard) =>
      shards && !shards.has(shard)
        ? []
        : [make({ env, layer, shard }, { shared: false, tenants: true, shard }, ts)],
    ),
  ];
}

/**
 * The stacks a stack waits for (`up`; `destroy` the other way round), among `stacks`: a shard waits for its
 * own shard of each upstream layer and for its layer's shared stack; a shared stack for every stack of its
 * upstream layers (a shared resource may span every tenant, as the shared CI deployer does).
 */
export function stackUpstream(stack: LayerStack, stacks: readonly LayerStack[]): string[] {
  const upstream = LAYER_DEPENDENCIES[stack.layer];
  return stacks
    .filter((s) =>
      stack.part.shared
        ? upstream.includes(s.layer)
        : (upstream.includes(s.layer) && s.part.shard === stack.part.shard) ||
          (s.layer === stack.layer && s.part.shared),
    )
    .map((s) => s.name);
}
