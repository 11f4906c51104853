/**
 * Pulumi.yaml's program, for running one layer with the Pulumi CLI directly:
 *   pulumi stack select example-platform && pulumi up
 * The stack name `<env>-<layer>` (sharded: `<env>-<layer>-<k>`, the layer's shared resources in `<env>-<layer>`)
 * picks the environment, the layer and the shard. The registry is read as `npx tenancy`
 * reads it, from the stack's config (all optional; ARCHITECTURE.md, "The direct path"):
 *   tenancy:source        yaml (default) | vault   (vault: VAULT_ADDR, VAULT_TOKEN as for the CLI)
 *   tenancy:registry      registry directory (yaml; default "tenants")
 *   tenancy:vaultLayout   single-secret (default) | per-tenant
 *   tenancy:vaultMount, tenancy:vaultPath, tenancy:vaultKey
 *   tenancy:allowRemovals, tenancy:allowHandover, tenancy:allowShardChange,
 *   tenancy:allowDefaultClusterChange (booleans), tenancy:maxRemovals (number)
 * Every stack, of every layer and shard, applies the same guard as `npx tenancy up` (removals, handovers,
 * namespaces leaving a cluster, the shard count, the default cluster) to the whole registry, against what the
 * whole platform layer last applied (its shared stack and every shard, read through StackReferences): a dns,
 * vault, ci or apps stack run alone (by hand, or by the operator) cannot remove what the guard would refuse.
 * The platform layer must have been applied first. What this path cannot do is preview every layer before
 * changing any: `npx tenancy up` does.
 * An update takes the environment lease first (deploy/lease.ts), as `tenancy up` does, and refuses while another
 * run holds it. Under `tenancy up` (deploy/run-file.ts: TENANCY_RUN names the job's file) it uses the registry
 * that run validated and guarded, and checks that run still holds the lease.
 * In the operator's workspace (TENANCY_IN_CLUSTER=true; layers/in-cluster.ts) the providers use the pod's own
 * credentials, and the stack exports the commit it applied and refuses a prerequisite applied from another.
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_MAX_REMOVALS, checkRegistryChange, mergeApplied } from "../deploy/guard";
import { layoutStackNames, parseStackName, stackName } from "../layers/identity";
import { LAYER_NAMES } from "../layers/names";
import { type LayerStack, layerStacks, shardCount } from "../layers/shards";
import { runsInCluster } from "../layers/in-cluster";
import { operatorUpstream } from "../deploy/operator";
import { checkoutCommit } from "../deploy/checkout";
import { SafetyError } from "../components/core/problems";
import { loadRegistry } from "../registry/load";
import { DEFAULT_SOURCE_SETTINGS, type SourceSettings, sourceOptions } from "../registry/settings";
import { LAYERS } from "./layers";
import { defaultCluster } from "../components/clusters/placement";
import type { RegistryModel } from "../registry/model";
import * as lease from "../deploy/lease";
import { kubeConfigs } from "../deploy/kube";
import { RUN_FILE_ENV, readRunFile } from "../deploy/run-file";
import { StackReaders, checkUpstream, readApplied, registerStack } from "./registrar";

/** The platform stack's outputs the guard compares a registry change against (stacks/platform.ts). */
const GUARDED_OUTPUTS = ["tenants", "namespaces", "shards", "defaultCluster"] as const;

/** The source settings from stack config, defaulting as the CLI's options do. */
export function sourceSettings(config: pulumi.Config): SourceSettings {
  const d = DEFAULT_SOURCE_SETTINGS;
  const vaultPath = config.get("vaultPath");
  return {
    source: config.get("source", { allowedValues: ["yaml", "vault"] }) ?? d.source,
    registry: config.get("registry") ?? d.registry,
    vaultLayout:
      config.get("vaultLayout", { allowedValues: ["single-secret", "per-tenant"] }) ?? d.vaultLayout,
    vaultMount: config.get("vaultMount") ?? d.vaultMount,
    ...(vaultPath !== undefined ? { vaultPath } : {}),
    vaultKey: config.get("vaultKey") ?? d.vaultKey,
  };
}

/**
 * What the whole platform layer last applied (deploy/guard.ts mergeApplied): its shared stack's outputs, then,
 * when it was applied sharded, each of its shards'. A StackReference reads the stored checkpoint, also in a
 * preview, and a stack being updated reads its own as it was before this update ({} on its first).
 */
export async function appliedEnvironment(
  readers: StackReaders,
  env: string,
  /** The stack being run, for the message when the platform layer was never applied. */
  running: string,
): Promise<Record<string, unknown> | undefined> {
  const read = async (name: string, count = 1) => {
    const outputs = readers.get(name);
    try {
      return Object.fromEntries(
        await Promise.all(GUARDED_OUTPUTS.map(async (o) => [o, await outputs.value(o)] as const)),
      );
    } catch (e) {
      throw new Error(
        `stack ${running}: the guard compares the registry with what the platform layer applied, and stack ${name} cannot be read (${e instanceof Error ? e.message : String(e)}); ` +
          (count > 1
            ? `the platform layer was applied with ${count} shards: create each of its stacks before the first update of any (pulumi stack init ${stackName({ env, layer: "platform", shard: 0 })}, ...)`
            : `apply the platform layer first (pulumi up -s ${stackName({ env, layer: "platform" })})`),
      );
    }
  };
  const defined = (o: Record<string, unknown>) =>
    Object.values(o).some((v) => v !== undefined) ? o : undefined;
  const shared = await read(stackName({ env, layer: "platform" }));
  // the layout it was applied with: the shards that exist (a count growing later has not made its new ones)
  const count = typeof shared.shards === "number" ? shared.shards : 1;
  const shards = await Promise.all(
    layoutStackNames(env, "platform", count)
      .slice(1)
      .map((name) => read(name, count)),
  );
  return mergeApplied([shared, ...shards].map(defined));
}

/** The lease an update of `stack` runs under (deploy/lease.ts), taken or checked; none in a preview. */
export async function stackLease(
  model: RegistryModel,
  stack: string,
  /** The lease holder of the `tenancy up` this program runs under, if it does. */
  under?: string,
): Promise<lease.HeldLease | undefined> {
  if (pulumi.runtime.isDryRun()) return undefined;
  const env = model.environment;
  const kc = kubeConfigs(env)(defaultCluster(env.clusters));
  const opts = { env: env.name, namespace: env.lease.namespace, durationSeconds: env.lease.durationSeconds };
  if (under) {
    await lease.checkLeaseHeld(kc, { ...opts, holder: under });
    return undefined;
  }
  const held = await lease.acquireLease(kc, {
    ...opts,
    holder: lease.holderIdentity(`pulumi up -s ${stack}`),
  });
  // renewed while the program's process lives; when it ends, the engine still runs the update's deletes (a
  // namespace's can take minutes): the lease is kept for DIRECT_TAIL_SECONDS more, then runs out on its own
  process.once(
    "beforeExit",
    () => void held.keepFor(Math.max(DIRECT_TAIL_SECONDS, env.lease.durationSeconds)),
  );
  return held;
}

/** How long the direct path keeps the lease after its program ends, for the engine's deletes. */
export const DIRECT_TAIL_SECONDS = 600;

export interface DirectOptions {
  /** @default stackLease */
  lease?: (model: RegistryModel, stack: string, under?: string) => Promise<lease.HeldLease | undefined>;
}

/** The program of the stack being run: its layer's, after the guard. */
export async function main(): Promise<Record<string, unknown>> {
  return program();
}

export async function program(opts: DirectOptions = {}): Promise<Record<string, unknown>> {
  const stack = pulumi.getStack();
  const id = parseStackName(stack);
  const layer = id && LAYERS.find((l) => l.name === id.layer);
  if (!id || !layer)
    throw new Error(`stack ${stack}: expected <env>-<layer> with layer one of ${LAYER_NAMES.join(", ")}`);
  const config = new pulumi.Config("tenancy");
  // under `tenancy up`: the registry it validated and guarded under its lease, what it adopts, its lease holder
  const job = process.env[RUN_FILE_ENV] ? readRunFile(process.env[RUN_FILE_ENV]) : undefined;
  if (job && job.model.environment.name !== id.env)
    throw new Error(`stack ${stack}: the run file is environment ${job.model.environment.name}'s`);
  const model =
    job?.model ?? (await loadRegistry({ env: id.env, source: sourceOptions(sourceSettings(config)) }));
  // this stack among the layer's: the whole layer, its shared stack, or one shard with its tenants
  const mine = layerStacks(model, id.layer).find((s) => s.name === stack);
  if (!mine)
    throw new Error(
      `stack ${stack}: environment ${id.env} has ${shardCount(model.environment)} shard(s) (shards.count): its ${id.layer} stacks are ${layerStacks(
        model,
        id.layer,
      )
        .map((s) => s.name)
        .join(", ")}`,
    );
  await (opts.lease ?? stackLease)(model, stack, job?.holder);
  const readers = new StackReaders();
  if (!job) {
    const shardChange = config.getBoolean("allowShardChange") ?? false;
    checkRegistryChange(await appliedEnvironment(readers, id.env, stack), model, {
      allowRemovals: config.getBoolean("allowRemovals") ?? false,
      allowHandover: config.getBoolean("allowHandover") ?? false,
      maxRemovals: config.getNumber("maxRemovals", { min: 0 }) ?? DEFAULT_MAX_REMOVALS,
      allowShardChange: shardChange,
      allowDefaultClusterChange: config.getBoolean("allowDefaultClusterChange") ?? false,
      // this path's overrides are the stack's config, not up's flags
      override: (o) =>
        `set the stack's tenancy:${o} (pulumi config set tenancy:${o} ${o === "maxRemovals" ? "<n>" : "true"}) and re-run`,
    });
  }
  // in the operator's workspace: the commit this run applies, which each prerequisite must have applied too
  const inCluster = runsInCluster();
  const commit = inCluster && !job ? checkoutCommit() : undefined;
  if (commit) await checkPrerequisiteCommits(readers, model, mine, commit);
  // what this stack last applied: the fences a `names` template change renames (ARCHITECTURE.md, "Safety")
  const applied = await readApplied(readers, id.layer, stack);
  const specs = layer.program({
    model,
    tenants: mine.tenants,
    part: mine.part,
    ...(job?.adoption ? { adoption: job.adoption } : {}),
    ...(applied ? { applied } : {}),
    ...(inCluster ? { inCluster } : {}),
  });
  await checkUpstream(specs, readers);
  const outputs = registerStack(specs, readers);
  return commit ? { ...outputs, [COMMIT_OUTPUT]: commit } : outputs;
}

/** The output holding the commit a stack was applied from in the operator's workspace. */
export const COMMIT_OUTPUT = "commit";

/**
 * The operator's prerequisites (deploy/operator.ts `operatorUpstream`) require only that a prerequisite's last
 * update succeeded, not that it ran the same commit (stack_controller.go isRequirementSatisfied: state and age
 * only). So every stack run in the cluster exports the commit it applied, and refuses to run while a
 * prerequisite's differs: a dns stack at a new commit waits for the platform stack to apply it (the operator
 * retries a failed update), never guards against, or reads, what an older commit applied.
 */
export async function checkPrerequisiteCommits(
  readers: StackReaders,
  model: RegistryModel,
  mine: LayerStack,
  commit: string,
): Promise<void> {
  const stacks = LAYER_NAMES.flatMap((l) => layerStacks(model, l));
  const found = await Promise.all(
    operatorUpstream(mine, stacks).map(
      async (name) => [name, await readers.get(name).value(COMMIT_OUTPUT)] as const,
    ),
  );
  const behind = found.filter(([, c]) => c !== commit);
  if (behind.length === 0) return;
  throw new SafetyError(
    `stack ${mine.name} runs commit ${commit.slice(0, 12)}, but ${behind.length === 1 ? "its prerequisite was" : "its prerequisites were"} last applied from another; not run: it runs once they have applied this commit (the operator retries). A stack last applied outside the operator (pulumi up by hand, tenancy up) exports no commit: have the operator run it again (kubectl annotate stack <name> pulumi.com/reconciliation-request=$(date +%s) --overwrite)`,
    behind.map(
      ([name, c]) =>
        `${name}: ${typeof c === "string" ? c.slice(0, 12) : "no commit (not applied by the operator)"}`,
    ),
  );
}
