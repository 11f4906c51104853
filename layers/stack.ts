/**
 * What a concern's part of a layer program gets (ARCHITECTURE.md, "Concerns"): a layer is a list of
 * contributions (stacks/<layer>.ts), each a function of the stack being built. A contribution adds its specs,
 * takes the stack's providers and upstream reads from here, leaves handles for the contributions after it, and
 * sets stack outputs. Types only: the implementation is stacks/layer.ts.
 */
import type { Dependency, Ref, ResourceSpec, Specs, UpstreamCheck } from "../components/core/spec";
import type { StackIdentity } from "./identity";
import type { LayerInput, LayerName } from "./names";

/** The stack's providers, each made once (stacks/providers.ts). */
export interface StackProviders {
  /** A cluster's Kubernetes provider (default: the environment's default cluster). */
  kubernetes(cluster?: string): ResourceSpec;
  vault(): ResourceSpec;
  cloudflare(): ResourceSpec;
  /** The shared TLS secret's data, read on a cluster at run time (secret). */
  sharedTlsData(source: { namespace: string; secretName: string }, cluster?: string): Ref;
}

/** An upstream stack's outputs, as references (ARCHITECTURE.md, "Two views"). */
export interface UpstreamStack {
  readonly stack: string;
  /** `value` once `present` holds for `output` (in a preview: reported if it does not). */
  require(output: string, what: string, present: UpstreamCheck["present"], value: unknown): Ref;
  /** For `dependsOn`: holds once `present` holds (in a preview: reported if it does not). */
  gate(output: string, what: string, present: UpstreamCheck["present"]): Dependency;
}

export interface StackBuilder {
  readonly input: LayerInput;
  readonly specs: Specs;
  readonly providers: StackProviders;
  /** An upstream layer's stack for this stack: the same shard, in a sharded environment. */
  upstream(layer: LayerName): UpstreamStack;
  /** Another stack (the shared CI deployer reads every vault shard). */
  stackOf(id: StackIdentity): UpstreamStack;
  /** The stack's outputs (PENDING where the upstream checks' misses go). */
  readonly outputs: Record<string, unknown>;
  /** What a contribution leaves for those after it (a namespace's component, by `<cluster>/<namespace>`). */
  readonly handles: Map<string, ResourceSpec>;
}

/** A concern's part of a layer program. */
export type Contribution = (stack: StackBuilder) => void;
