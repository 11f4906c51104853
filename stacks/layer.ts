/**
 * What a layer program gets: the validated model (read once by whoever runs the program), the tenants to
 * generate, and access to upstream layers' outputs through StackReference.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegistryModel, TenantModel } from "../registry/model";

import type { LayerName } from "./names";

export type { LayerName };

export interface LayerInput {
  model: RegistryModel;
  /** The tenants this run generates (all of them, or a subset for a plan or a shard). */
  tenants: TenantModel[];
}

export type LayerProgram = (input: LayerInput) => Promise<Record<string, unknown>>;

export interface Layer {
  name: LayerName;
  /** Layers whose outputs this one reads; the orchestrator runs those first (destroy: in reverse). */
  dependsOn: LayerName[];
  program: LayerProgram;
}

/** Stack names: `<env>-<layer>`. */
export function stackName(env: string, layer: LayerName): string {
  return `${env}-${layer}`;
}

/** Fully qualified name of an upstream layer's stack, as StackReference wants it. */
export function stackReferenceName(env: string, layer: LayerName): string {
  return `${pulumi.getOrganization() || "organization"}/${pulumi.getProject()}/${stackName(env, layer)}`;
}

/** Reads an upstream layer's stack outputs. */
export function upstream(env: string, layer: LayerName): pulumi.StackReference {
  return new pulumi.StackReference(stackReferenceName(env, layer));
}
