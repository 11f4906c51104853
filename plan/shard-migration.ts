/**
 * Changing the shard count (`tenancy shards --to M`): which tenants move from which stack to which, and the
 * `pulumi state move` commands that move their resources, per layer, so that after the moves and the new
 * count a preview creates and deletes nothing. Every tenant's top-level resources (its components; the engine
 * moves their children along) are found in each layer's specs for the moving tenants, read as the plan reads
 * them, under the source stack's name.
 */
import { stackName, topLevelUrn } from "../layers/identity";
import { type Layer, LAYER_NAMES, type StackPart } from "../layers/names";
import { shardCount, shardOf } from "../layers/shards";
import type { RegistryModel, TenantModel } from "../registry/model";
import { UsageError } from "../components/core/problems";
import { resolveStack } from "./data";

export interface ShardMove {
  tenant: string;
  /** Shards before and after; undefined: the layer's one stack (an unsharded environment). */
  from?: number;
  to?: number;
}

export interface StateMove {
  layer: string;
  source: string;
  dest: string;
  tenants: string[];
  urns: string[];
}

export interface Migration {
  from: number;
  to: number;
  moves: ShardMove[];
  commands: StateMove[];
}

const shardIn = (t: TenantModel, count: number) => (count === 1 ? undefined : shardOf(t, count));
const partOf = (shard: number | undefined): StackPart =>
  shard === undefined ? { shared: false, tenants: true } : { shared: false, tenants: true, shard };

export async function shardMigration(
  model: RegistryModel,
  to: number,
  layers: readonly Layer[],
): Promise<Migration> {
  const env = model.environment.name;
  const from = shardCount(model.environment);
  if (!Number.isInteger(to) || to < 1 || to > 256)
    throw new UsageError(`--to must be a shard count from 1 to 256, got ${to}`);
  const pinned = model.tenants.filter((t) => t.shard !== undefined && t.shard >= to);
  if (pinned.length > 0)
    throw new UsageError(
      `records pin tenants to shards that ${to} shards do not have: ${pinned.map((t) => `${t.id} (shard ${t.shard})`).join(", ")}; change their shard first`,
    );
  const moving = model.tenants.filter((t) => shardIn(t, from) !== shardIn(t, to));
  const moves = moving.map((t) => ({
    tenant: t.id,
    ...(shardIn(t, from) !== undefined ? { from: shardIn(t, from) } : {}),
    ...(shardIn(t, to) !== undefined ? { to: shardIn(t, to) } : {}),
  }));
  const commands: StateMove[] = [];
  // the source stacks' outputs as the moving tenants' resources left them, for the layers downstream
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const name of LAYER_NAMES) {
    const layer = layers.find((l) => l.name === name);
    if (!layer) throw new Error(`no program for layer ${name}`);
    // one run per source stack (its outputs are what the next layer's run of that shard reads)
    const sources = new Map<number | undefined, TenantModel[]>();
    for (const t of moving) sources.set(shardIn(t, from), [...(sources.get(shardIn(t, from)) ?? []), t]);
    for (const [shard, tenants] of sources) {
      const sourceId = { env, layer: name, ...(shard !== undefined ? { shard } : {}) };
      const source = stackName(sourceId);
      const run = resolveStack(layer.program({ model, tenants, part: partOf(shard) }), {
        outputs,
        dryRun: false,
      });
      outputs[source] = run.outputs;
      // the tenant's resources at the top of the stack: the engine moves their children with them
      const top = run.resources
        .filter((r) => r.tenant !== undefined && r.spec.parent === undefined)
        .map((r) => ({ type: r.spec.type, name: r.spec.name, tenant: r.tenant }));
      const dests = new Map<number | undefined, TenantModel[]>();
      for (const t of tenants) dests.set(shardIn(t, to), [...(dests.get(shardIn(t, to)) ?? []), t]);
      for (const [dest, group] of dests) {
        const ids = new Set(group.map((t) => t.id));
        const urns = top.filter((r) => ids.has(r.tenant!)).map((r) => topLevelUrn(source, r.type, r.name));
        if (urns.length === 0) continue;
        commands.push({
          layer: name,
          source,
          dest: stackName({ env, layer: name, ...(dest !== undefined ? { shard: dest } : {}) }),
          tenants: [...ids].filter((id) => top.some((r) => r.tenant === id)).sort(),
          urns: urns.sort(),
        });
      }
    }
  }
  return { from, to, moves, commands };
}

/** The commands as a shell script: the moves, then what to change and check. */
export function migrationScript(m: Migration, envFile: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [
    `# shards ${m.from} -> ${m.to}: ${m.moves.length} tenant(s) move; run with the stacks at rest (no up in between)`,
    "set -euo pipefail",
  ];
  // `pulumi state move` needs its destination to exist (it loads it, never creates it: state_move.go)
  const dests = [...new Set(m.commands.map((c) => c.dest))];
  if (dests.length > 0)
    lines.push(
      "",
      "# the destination stacks, created where they do not exist yet (this selects each in turn)",
    );
  for (const d of dests) lines.push(`pulumi stack select --create ${d}`);
  for (const c of m.commands)
    lines.push(
      "",
      `# ${c.layer}: ${c.tenants.join(", ")}`,
      `pulumi state move --yes --source ${c.source} --dest ${c.dest} \\`,
      ...c.urns.map((u, i) => `  ${q(u)}${i === c.urns.length - 1 ? "" : " \\"}`),
    );
  lines.push(
    "",
    `# then set shards.count: ${m.to} in ${envFile}, commit, and check that no resource is created or deleted`,
    "# (the guard refuses a count other than the applied one until an up with the new count has run):",
    "#   npx tenancy preview --allow-shard-change",
    "#   npx tenancy up --allow-shard-change",
  );
  return lines.join("\n") + "\n";
}
