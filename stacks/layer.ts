/** What every layer program shares: reading an upstream layer's outputs through a StackReference. */
import * as pulumi from "@pulumi/pulumi";
import { type StackIdentity, stackReferenceName } from "../layers/identity";

export type { LayerInput, LayerProgram } from "../layers/names";

/** Reads an upstream layer's stack outputs. */
export function upstream(id: StackIdentity): pulumi.StackReference {
  return new pulumi.StackReference(stackReferenceName(id, pulumi.getOrganization() || "organization"));
}
