/**
 * Pulumi.yaml's program, for running one layer with the Pulumi CLI directly:
 *   pulumi stack select example-platform && pulumi up
 * The stack name `<env>-<layer>` picks the environment and the layer. Config (all optional):
 *   tenancy:registry  registry directory (default "tenants")
 * `npx tenancy up` runs the same layer programs through the Automation API, with the safety guards.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackName } from "../layers/identity";
import { LAYER_NAMES } from "../layers/names";
import { loadRegistry } from "../registry/load";
import { LAYERS } from "./layers";

async function main(): Promise<Record<string, unknown>> {
  const stack = pulumi.getStack();
  const id = parseStackName(stack);
  const layer = id && LAYERS.find((l) => l.name === id.layer);
  if (!id || !layer)
    throw new Error(`stack ${stack}: expected <env>-<layer> with layer one of ${LAYER_NAMES.join(", ")}`);
  const config = new pulumi.Config("tenancy");
  const model = await loadRegistry({
    env: id.env,
    source: { kind: "yaml", dir: config.get("registry") ?? "tenants" },
  });
  return layer.program({ model, tenants: model.tenants });
}

export = main();
