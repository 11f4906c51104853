/**
 * The plan as the registrar registers it: every stack's specs registered through the registrar under Pulumi's
 * mock runtime (plan/harness.ts), in dependency order, each stack reading its upstream stacks' registered
 * outputs through StackReferences, and what the SDK received written in the plan's own shape. The plan
 * fingerprints pin this side as well as the plan read as data (test/plan/fingerprint.test.ts).
 */
import { PROJECT, clusterOfIdentifier, providerUrn } from "../../layers/identity";
import { layerStacks } from "../../layers/shards";
import { MOCK_ORGANIZATION, type RecordedResource, runProgram } from "../../plan/harness";
import { type Plan, type PlannedResource, type PlannedStack, byTenantTypeName } from "../../plan/plan";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { pulumiProgram } from "../../stacks/registrar";

/**
 * Runs `fn` without the environment variables the provider SDKs read defaults from (KUBECONFIG, PULUMI_K8S_*,
 * VAULT_*): the plan leaves the machine's settings out, so a registration compared with it must too.
 */
export async function withoutProviderDefaults<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const v of Object.keys(process.env))
    if (
      v === "KUBECONFIG" ||
      v === "TERRAFORM_VAULT_MAX_TTL" ||
      v.startsWith("PULUMI_K8S_") ||
      v.startsWith("VAULT_")
    )
      delete process.env[v];
  try {
    return await fn();
  } finally {
    Object.assign(process.env, saved);
  }
}

/** Recorded resources in the plan's shape: the custom ones, each with the cluster of its Kubernetes provider. */
function planned(resources: RecordedResource[]): PlannedResource[] {
  const cluster = new Map<string, string>();
  for (const r of resources) {
    const c =
      r.type === "pulumi:providers:kubernetes" ? clusterOfIdentifier(r.inputs.clusterIdentifier) : undefined;
    if (c !== undefined) cluster.set(r.urn, c);
  }
  return resources
    .filter((r) => r.custom && r.type !== "pulumi:pulumi:StackReference")
    .map((r): PlannedResource => {
      const provider =
        r.type === "pulumi:providers:kubernetes" ? r.urn : r.provider ? providerUrn(r.provider) : undefined;
      const c = provider === undefined ? undefined : cluster.get(provider);
      return {
        type: r.type,
        name: r.name,
        ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
        ...(c !== undefined ? { cluster: c } : {}),
        ...(r.parentType !== undefined ? { parentType: r.parentType } : {}),
        protect: r.protect,
        inputs: r.inputs,
      };
    })
    .sort(byTenantTypeName);
}

/** The whole registry's plan, every layer, in the planned view, as the registrar registers it. */
export async function registeredPlan(model: RegistryModel): Promise<Plan> {
  const outputs: Record<string, Record<string, unknown>> = {};
  const stacks: PlannedStack[] = [];
  for (const layer of LAYERS)
    for (const part of layerStacks(model, layer.name, model.tenants)) {
      const run = await runProgram(
        { stack: part.name, stackOutputs: outputs },
        pulumiProgram(layer, { model, tenants: part.tenants, part: part.part }),
      );
      outputs[`${MOCK_ORGANIZATION}/${PROJECT}/${part.name}`] = run.outputs;
      stacks.push({
        stack: part.name,
        layer: layer.name,
        ...(part.part.shard !== undefined ? { shard: part.part.shard } : {}),
        dependsOn: layer.dependsOn,
        resources: planned(run.resources),
        outputs: run.outputs,
      });
    }
  return { environment: model.environment.name, tenants: model.tenants.map((t) => t.id), stacks };
}
