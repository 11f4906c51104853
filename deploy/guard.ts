/**
 * The safety guard before a real run: an empty or shrunken registry (Vault unreachable, a wrong path, a bad
 * merge) must never delete a tenant or a namespace, and a namespace never passes to another tenant unnoticed.
 * Compared against the tenants and namespaces the platform stack last applied (its outputs).
 */
import { defaultCluster } from "../components/clusters/placement";
import { namespaceOwners } from "../components/members/rbac";
import type { RegistryModel } from "../registry/model";
import { SafetyError } from "../components/core/problems";

export interface AppliedTenant {
  id: string;
  offboarding: boolean;
}

/** Removals of offboarded tenants accepted at once without --allow-removals, unless told otherwise. */
export const DEFAULT_MAX_REMOVALS = 3;

/** A setting that overrides one of the guard's refusals. */
export type Override =
  "allowRemovals" | "allowHandover" | "allowShardChange" | "allowDefaultClusterChange" | "maxRemovals";

/**
 * How a refusal says to override it, which depends on who runs the guard: `tenancy up`'s flags (the default),
 * the direct path's stack config (stacks/direct.ts), `tenancy diff`'s pointer to `up`.
 */
export type OverrideHint = (o: Override) => string;

/** `tenancy up`'s flag for an override: `--allow-removals`, `--max-removals <n>`. */
export const upFlag = (o: Override): string =>
  `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}${o === "maxRemovals" ? " <n>" : ""}`;

const rerunUp: OverrideHint = (o) => `re-run with ${upFlag(o)}`;

interface Hinted {
  /** @default - re-run with `tenancy up`'s flag */
  override?: OverrideHint;
}

export interface GuardOptions extends Hinted {
  /** Proceed despite removals. */
  allowRemovals: boolean;
  /** Removals accepted without --allow-removals, if each was offboarded first. @default DEFAULT_MAX_REMOVALS */
  maxRemovals?: number;
}

/** Throws SafetyError (exit 3) when the new registry would remove tenants it should not. */
export function checkRemovals(
  applied: AppliedTenant[] | undefined,
  next: string[],
  opts: GuardOptions,
): void {
  if (!applied || opts.allowRemovals) return;
  const keep = new Set(next);
  const removed = applied.filter((t) => !keep.has(t.id));
  if (removed.length === 0) return;
  const override = opts.override ?? rerunUp;
  const hint = `${override("allowRemovals")} if this is intended`;
  if (next.length === 0)
    throw new SafetyError(
      `the registry is empty but ${applied.length} tenants are applied; refusing to remove them all (is the source right?); ${hint}`,
    );
  const abrupt = removed.filter((t) => !t.offboarding).map((t) => t.id);
  if (abrupt.length > 0)
    throw new SafetyError(
      `tenants removed without offboarding first: ${abrupt.join(", ")}. Removal is two-phase: set offboarding: true and apply, then delete the file; ${hint}`,
    );
  const max = opts.maxRemovals ?? DEFAULT_MAX_REMOVALS;
  if (removed.length > max)
    throw new SafetyError(
      `${removed.length} tenants would be removed (${removed.map((t) => t.id).join(", ")}), more than the ${max} allowed at once (${override("maxRemovals")} to allow more); ${hint}`,
    );
}

/**
 * What the platform layer last applied, from the outputs of each of its stacks (the shared one first, then its
 * shards; undefined where a stack holds none): their tenants and namespaces together, with the shard count and
 * default cluster the layout was applied with (every platform stack exports both; the first that has them).
 * Undefined if none applied any tenants.
 */
export function mergeApplied(
  stacks: readonly (Record<string, unknown> | undefined)[],
): Record<string, unknown> | undefined {
  const outputs = stacks.flatMap((o) => (o?.tenants ? [o] : []));
  if (outputs.length === 0) return undefined;
  const layout = stacks.find((o) => typeof o?.shards === "number");
  const home = layout?.defaultCluster;
  return {
    tenants: Object.assign({}, ...outputs.map((o) => o.tenants)),
    namespaces: Object.assign({}, ...outputs.map((o) => o.namespaces ?? {})),
    ...(layout ? { shards: layout.shards } : {}),
    ...(typeof home === "string" ? { defaultCluster: home } : {}),
  };
}

/** A namespace as the platform stack last applied it: its owner, and whether it was on its way out. */
export interface AppliedNamespace {
  tenant: string;
  offboarding: boolean;
  /** The clusters it was applied on (absent: applied before several clusters, on the default one). */
  clusters?: string[];
}

/** What the guard compares a registry against: the platform stack's last applied outputs. */
export interface AppliedState {
  tenants: AppliedTenant[];
  namespaces: Record<string, AppliedNamespace>;
}

/**
 * The applied state from the platform stack's outputs, or undefined if it never applied any. Stacks applied
 * before the `namespaces` output existed have their namespaces derived from `tenants`.
 */
export function appliedState(outputs: Record<string, unknown> | undefined): AppliedState | undefined {
  const tenants = outputs?.tenants as
    Record<string, { namespaces?: string[]; offboarding?: boolean }> | undefined;
  if (!tenants) return undefined;
  let namespaces = outputs?.namespaces as Record<string, AppliedNamespace> | undefined;
  if (!namespaces) {
    namespaces = {};
    for (const [id, t] of Object.entries(tenants))
      for (const ns of t.namespaces ?? [])
        namespaces[ns] = { tenant: id, offboarding: t.offboarding === true };
  }
  return {
    tenants: Object.entries(tenants).map(([id, t]) => ({ id, offboarding: t.offboarding === true })),
    namespaces,
  };
}

export interface NamespaceGuardOptions extends Hinted {
  allowRemovals: boolean;
  /** Proceed although namespaces pass from one tenant to another. */
  allowHandover: boolean;
}

/**
 * Throws SafetyError (exit 3) when a namespace would vanish without having been offboarded (its own or its
 * tenant's `offboarding`), or would pass to another tenant: a namespace's data (volumes, secrets) goes with it.
 * `next` is the registry's namespaces with their owners.
 */
export function checkNamespaces(
  applied: Record<string, AppliedNamespace>,
  next: ReadonlyMap<string, string>,
  opts: NamespaceGuardOptions,
  /** The clusters each namespace of `next` will be on; a namespace leaving one is a removal there. */
  nextClusters?: ReadonlyMap<string, readonly string[]>,
): void {
  const problems: string[] = [];
  const override = opts.override ?? rerunUp;
  if (!opts.allowRemovals) {
    const abrupt = Object.entries(applied)
      .filter(([ns, a]) => !next.has(ns) && !a.offboarding)
      .map(([ns, a]) => `${ns} (tenant ${a.tenant})`);
    if (abrupt.length > 0)
      problems.push(
        `namespaces removed without offboarding first: ${abrupt.join(", ")}. Removal is two-phase: set offboarding: true on the namespace (or its tenant) and apply, then remove it; ${override("allowRemovals")} if this is intended`,
      );
    const left = Object.entries(applied).flatMap(([ns, a]) => {
      const now = nextClusters?.get(ns);
      if (a.offboarding || !now || !a.clusters) return [];
      const gone = a.clusters.filter((c) => !now.includes(c));
      return gone.length > 0 ? [`${ns} (tenant ${a.tenant}) on ${gone.join(", ")}`] : [];
    });
    if (left.length > 0)
      problems.push(
        `namespaces leaving a cluster without offboarding first: ${left.join("; ")}. Its objects there would be deleted with their data: set offboarding: true on the namespace and apply, then change its clusters; ${override("allowRemovals")} if this is intended`,
      );
  }
  if (!opts.allowHandover) {
    const handed = Object.entries(applied)
      .filter(([ns, a]) => next.has(ns) && next.get(ns) !== a.tenant)
      .map(([ns, a]) => `${ns} (${a.tenant} -> ${next.get(ns)})`);
    if (handed.length > 0)
      problems.push(
        `namespaces would pass to another tenant, with their data (volumes, secrets): ${handed.join(", ")}; ${override("allowHandover")} if this is intended`,
      );
  }
  if (problems.length > 0) throw new SafetyError(problems.join("\n"));
}

export interface ShardGuardOptions extends Hinted {
  /** Proceed although the shard count differs from the one applied: the state was moved (tenancy shards --to). */
  allowShardChange?: boolean;
}

/**
 * Throws SafetyError (exit 3) when the shard count differs from the one the platform layer was applied with:
 * every moved tenant's stacks would be created anew beside (or deleted from) the stacks holding them, unless
 * their state was moved first. `applied` undefined: never applied, or applied before the count was exported.
 */
export function checkShards(applied: number | undefined, count: number, opts: ShardGuardOptions): void {
  if (applied === undefined || applied === count || opts.allowShardChange) return;
  throw new SafetyError(
    `shards.count is ${count} but the platform layer was applied with ${applied}: tenants would change stacks. ` +
      `Move their state first (tenancy shards --to ${count}, run with the count still ${applied}, prints the commands), ` +
      `then ${(opts.override ?? rerunUp)("allowShardChange")}`,
  );
}

export interface ClusterGuardOptions extends Hinted {
  /** Proceed although the default cluster differs from the applied one (its objects and the new one's are renamed). */
  allowDefaultClusterChange?: boolean;
}

/**
 * Throws SafetyError (exit 3) when the default cluster differs from the one the platform layer was applied with:
 * the default cluster's objects keep bare Pulumi names and every other cluster's are `<cluster>:<name>`
 * (ARCHITECTURE.md, "Clusters"), so both clusters' objects would be replaced, protected namespaces included.
 * `applied` undefined: never applied, or applied before the default was exported.
 */
export function checkDefaultCluster(
  applied: string | undefined,
  current: string,
  opts: ClusterGuardOptions,
): void {
  if (applied === undefined || applied === current || opts.allowDefaultClusterChange) return;
  throw new SafetyError(
    `the default cluster is ${current} but the platform layer was applied with ${applied}: every object on both ` +
      `clusters would be renamed, so replaced (deleted and created again, namespaces with their data). Keep ` +
      `default: true on ${applied} and place tenants with clusterSelector instead; ` +
      `${(opts.override ?? rerunUp)("allowDefaultClusterChange")} only if both clusters hold nothing worth keeping`,
  );
}

/** The whole guard: tenants, then namespaces, against the platform stack's last applied outputs. */
export function checkRegistryChange(
  platformOutputs: Record<string, unknown> | undefined,
  model: RegistryModel,
  opts: GuardOptions & NamespaceGuardOptions & ShardGuardOptions & ClusterGuardOptions,
): void {
  const shards = platformOutputs?.shards;
  checkShards(typeof shards === "number" ? shards : undefined, model.environment.shards.count, opts);
  const home = platformOutputs?.defaultCluster;
  checkDefaultCluster(
    typeof home === "string" ? home : undefined,
    defaultCluster(model.environment.clusters),
    opts,
  );
  checkAgainst(appliedState(platformOutputs), model, opts);
}

/** What the platform stack holds once `model` is applied (as its outputs say): for `diff`, the base's state. */
export function stateOf(model: RegistryModel): AppliedState {
  return {
    tenants: model.tenants.map((t) => ({ id: t.id, offboarding: t.offboarding })),
    namespaces: namespaceOwners(model.tenants),
  };
}

/** The guard against an applied state (none: nothing was ever applied, nothing to guard). */
export function checkAgainst(
  applied: AppliedState | undefined,
  model: RegistryModel,
  opts: GuardOptions & NamespaceGuardOptions,
): void {
  if (!applied) return;
  checkRemovals(
    applied.tenants,
    model.tenants.map((t) => t.id),
    opts,
  );
  // the registry's namespaces as the platform stack will export them
  const next = Object.entries(namespaceOwners(model.tenants));
  checkNamespaces(
    applied.namespaces,
    new Map(next.map(([ns, n]) => [ns, n.tenant])),
    opts,
    new Map(next.map(([ns, n]) => [ns, n.clusters])),
  );
}
