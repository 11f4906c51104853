/**
 * The layers as data: their names and the layers each depends on, in dependency order. Kept apart from the
 * layer programs (stacks/) so the CLI, the plan and the orchestrator can order layers without loading Pulumi.
 */
import { availableParallelism, freemem } from "node:os";
import type { StackSpecs } from "../components/core/spec";
import type { AppliedNames } from "../policy/names";
import type { RegistryModel, TenantModel } from "../registry/model";

export const LAYER_NAMES = ["platform", "dns", "vault", "ci", "apps"] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/** Layers whose outputs each layer reads; the orchestrator runs those first (destroy: in reverse). */
export const LAYER_DEPENDENCIES: Readonly<Record<LayerName, readonly LayerName[]>> = {
  platform: [],
  dns: [],
  vault: ["platform"],
  ci: ["vault"],
  apps: ["platform"],
};

/**
 * Stacks run (or read) at once unless told otherwise (`--parallel`, or TENANCY_PARALLEL): independent layers
 * (platform and dns; vault and apps) and shards overlap. Each is a `pulumi` process with its language host and
 * providers, so the default is sized to the machine: a core and 512 MiB of free memory each, from 2 to 16.
 */
export const DEFAULT_PARALLEL = Math.max(
  2,
  Math.min(16, availableParallelism(), Math.floor(freemem() / (512 * 1024 * 1024))),
);

/**
 * What exists already and is taken over instead of failing on "already exists": found by `tenancy adopt`
 * (deploy/adopt.ts) or by the preflight of every `up` (deploy/preflight.ts).
 */
export interface Adoption {
  /** tenant id -> the id of the existing entity to adopt as the tenant's */
  entities: Record<string, string>;
  /** tenant id -> the id of the existing entity alias (the email on the OIDC mount) to adopt */
  aliases: Record<string, string>;
  /** `<type> <hostname> <content>` -> the import id (`<zone id>/<record id>`) of an existing DNS record */
  dnsRecords?: Record<string, string>;
  /**
   * Kubernetes objects that exist: on these clusters (or "all") the provider updates an existing object by
   * server-side apply instead of failing (`upsertExistingObjects`). @default - no upsert
   */
  kubernetes?: { upsert: "all" | string[] };
}

/** What one stack of a layer holds (layers/shards.ts). */
export interface StackPart {
  /** The layer's shared resources (made once, from the whole registry). */
  shared: boolean;
  /** Tenants' resources (those of `LayerInput.tenants`). */
  tenants: boolean;
  /** Its shard, in a sharded environment. */
  shard?: number;
}

/** What a layer program gets: the validated model (read once by whoever runs the program) and the tenants to generate. */
export interface LayerInput {
  model: RegistryModel;
  /** The tenants this run generates (all of them, or a subset for a plan or a shard). */
  tenants: TenantModel[];
  /** Adopt an existing installation: what exists is taken over instead of failing. @default - a normal run */
  adoption?: Adoption;
  /** Which part of the layer this stack holds (layers/shards.ts). @default - all of it (unsharded) */
  part?: StackPart;
  /**
   * What this stack last applied (a platform stack's `names` and `namespaces` outputs, read before its program
   * runs: stacks/registrar.ts `readApplied`): the fences a `names` template change renames are registered
   * unprotected for that update, so the engine replaces them (ARCHITECTURE.md, "Safety").
   * @default - nothing known (the planned view; a run that did not read it): no rename released
   */
  applied?: AppliedNames;
  /**
   * Run in the operator's workspace pod (TENANCY_IN_CLUSTER=true: layers/in-cluster.ts): the default cluster's
   * provider uses the pod's service account, every other cluster's the kubeconfig mounted from its Secret.
   * @default false - each cluster's kubeconfig context
   */
  inCluster?: boolean;
}

/**
 * A layer's program: the resource specs of one of its stacks, as plain data (ARCHITECTURE.md, "Resources as
 * data"). The offline commands read them; the registrar (stacks/registrar.ts) makes them SDK resources.
 */
export type LayerProgram = (input: LayerInput) => StackSpecs;

/** A layer bound to its program (stacks/layers.ts builds the list). */
export interface Layer {
  name: LayerName;
  dependsOn: readonly LayerName[];
  program: LayerProgram;
}

/** The named layers plus everything they depend on, in dependency order. */
export function withDependencies(names: readonly LayerName[]): LayerName[] {
  const wanted = new Set<LayerName>();
  const visit = (n: LayerName) => {
    if (wanted.has(n)) return;
    wanted.add(n);
    LAYER_DEPENDENCIES[n].forEach(visit);
  };
  names.forEach(visit);
  return LAYER_NAMES.filter((l) => wanted.has(l));
}
