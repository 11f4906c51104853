/**
 * Stack identity (ARCHITECTURE.md, "Stacks"): the one place where a layer's stack name, its StackReference
 * name and the project are made: `<env>-<layer>`, sharded `<env>-<layer>-<k>` (several clusters share a layer's
 * stacks: a provider per cluster, ARCHITECTURE.md "Clusters"). Environment names are lowercase RFC 1123 labels,
 * so the name parses back unambiguously. Also the names that identify a cluster's provider.
 */
import { LAYER_NAMES, type LayerName } from "./names";

/** The one Pulumi project every layer's stack belongs to (Pulumi.yaml's `name`). */
export const PROJECT = "tenancy";

export interface StackIdentity {
  env: string;
  layer: LayerName;
  /** Shard number, for a sharded layer. */
  shard?: number;
}

export function stackName(id: StackIdentity): string {
  const shard = id.shard === undefined ? "" : `-${id.shard}`;
  return `${id.env}-${id.layer}${shard}`;
}

/**
 * Every stack of a layer under a layout of `count` shards: the shared stack, then (sharded) each shard's. The
 * readers of a layout (the guard, the moves, the direct path) list them here only.
 */
export function layoutStackNames(env: string, layer: LayerName, count: number): string[] {
  return [
    stackName({ env, layer }),
    ...(count > 1 ? Array.from({ length: count }, (_, shard) => stackName({ env, layer, shard })) : []),
  ];
}

/** Fully qualified name of a stack, as StackReference wants it: `<organization>/<project>/<stack>`. */
export function stackReferenceName(id: StackIdentity, organization: string): string {
  return `${organization}/${PROJECT}/${stackName(id)}`;
}

/** The identity a stack name stands for, or undefined when it is not one of tenancy's. */
export function parseStackName(stack: string): StackIdentity | undefined {
  const m = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)-([a-z]+)(?:-(\d+))?$/.exec(stack);
  // the environment may itself contain "-<layer>": the regex is greedy, so the last layer name wins
  if (!m || !(LAYER_NAMES as readonly string[]).includes(m[2]!)) return undefined;
  return {
    env: m[1]!,
    layer: m[2] as LayerName,
    ...(m[3] !== undefined ? { shard: Number(m[3]) } : {}),
  };
}

/**
 * The URN the engine gives a resource at the top of a stack (its parent the stack itself):
 * `urn:pulumi:<stack>::<project>::<type>::<name>`. What `pulumi state move` takes; it moves the children along.
 */
export function topLevelUrn(stack: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${PROJECT}::${type}::${name}`;
}

/**
 * A URN's resource type and name: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, the qualified type
 * its parents' types and its own joined by `$`, the name whatever follows (it may hold `::`).
 */
export function urnTypeAndName(urn: string): `${string}::${string}` {
  const parts = urn.split("::");
  return `${parts[2]!.split("$").pop()!}::${parts.slice(3).join("::")}`;
}

/** A provider reference's URN (`<urn>::<id>`, as the engine writes a resource's provider). */
export function providerUrn(ref: string): string {
  return ref.slice(0, ref.lastIndexOf("::"));
}

/** The Kubernetes provider of a cluster: its Pulumi resource name. */
export function clusterProviderName(cluster: string): string {
  return `cluster-${cluster}`;
}

/**
 * A cluster's stable identifier, the provider's `clusterIdentifier` (`<env>/<cluster>`): an edited kubeconfig or
 * context does not replace the provider (and with it every object it manages); only a change of this does.
 */
export function clusterIdentifier(env: string, cluster: string): string {
  return `${env}/${cluster}`;
}

/** The cluster name in a clusterIdentifier, or undefined. */
export function clusterOfIdentifier(identifier: unknown): string | undefined {
  if (typeof identifier !== "string") return undefined;
  const slash = identifier.lastIndexOf("/");
  return slash > 0 ? identifier.slice(slash + 1) : undefined;
}
