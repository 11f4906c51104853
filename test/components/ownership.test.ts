/**
 * Explicit ownership (ARCHITECTURE.md, "Ownership"): every resource under a tenant's component carries that
 * component's tenant, whatever the depth; shared components own nothing; and every object labelled with a
 * tenant is attributed to that tenant. Checked on every layer of the example registry and a generated one,
 * and on a component that does not declare its tenant, which must be caught.
 */
import { describe, expect, it } from "vitest";
import type { ResourceSpec, Specs } from "../../components/core/spec";
import { type RecordedResource, runProgram } from "../../plan/harness";
import { TENANT_LABEL, tenantLabels } from "../../components/core/labels";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { MOCK_ORGANIZATION } from "../../plan/harness";
import { stackName, stackReferenceName } from "../../layers/identity";
import { pulumiProgram } from "../../stacks/registrar";
import { runSpecs, testProvider } from "../helpers/specs";
import { generatedTenants, loadExample, registryOf } from "../plan/registries";

/** Every layer's recorded resources (components included), planned in order as `tenancy plan` does. */
async function recordAll(model: RegistryModel): Promise<RecordedResource[]> {
  const stackOutputs: Record<string, Record<string, unknown>> = {};
  const all: RecordedResource[] = [];
  for (const layer of LAYERS) {
    const id = { env: model.environment.name, layer: layer.name };
    const run = await runProgram(
      { stack: stackName(id), stackOutputs },
      pulumiProgram(layer, { model, tenants: model.tenants }),
    );
    stackOutputs[stackReferenceName(id, MOCK_ORGANIZATION)] = run.outputs;
    all.push(...run.resources);
  }
  return all;
}

/** Why the recorded resources break the ownership rule: one line per offence. */
function ownershipViolations(resources: RecordedResource[], tenantComponentTypes: Set<string>): string[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const out: string[] = [];
  for (const r of resources) {
    // the nearest tenant component above (or at) the resource
    let owner: RecordedResource | undefined;
    for (let x: RecordedResource | undefined = r; x; x = x.parentUrn ? byUrn.get(x.parentUrn) : undefined)
      if (tenantComponentTypes.has(x.type)) {
        owner = x;
        break;
      }
    if (owner && r.tenant !== owner.tenant)
      out.push(
        `${r.type} ${r.name}: tenant ${r.tenant} under ${owner.type} ${owner.name} of ${owner.tenant}`,
      );
    if (!owner && r.tenant !== undefined)
      out.push(`${r.type} ${r.name}: tenant ${r.tenant} outside any tenant component`);
    const label = (r.inputs.metadata as { labels?: Record<string, string> } | undefined)?.labels?.[
      TENANT_LABEL
    ];
    if (label !== undefined && r.tenant !== label)
      out.push(`${r.type} ${r.name}: labelled for ${label}, attributed to ${r.tenant}`);
  }
  return out;
}

/** The component types that declare a tenant, as registered in a plan. */
function tenantComponentTypes(resources: RecordedResource[]): Set<string> {
  return new Set(resources.filter((r) => !r.custom && r.tenant !== undefined).map((r) => r.type));
}

describe("every resource under a tenant component carries its tenant", () => {
  it.each([
    ["example", loadExample],
    ["generated-40", async () => registryOf(generatedTenants(40))],
  ])("%s registry, every layer", async (_name, load) => {
    const resources = await recordAll(await load());
    const types = tenantComponentTypes(resources);
    expect([...types]).toEqual(
      expect.arrayContaining(["tenancy:k8s:TenantNamespace", "tenancy:k8s:TenantAccess"]),
    );
    for (const t of types)
      expect([
        "tenancy:apps:AppInstance",
        "tenancy:ci:TenantCiDeployer",
        "tenancy:dns:TenantDns",
        "tenancy:k8s:TenantAccess",
        "tenancy:k8s:TenantGrants",
        "tenancy:k8s:TenantNamespace",
        "tenancy:vault:TenantVault",
      ]).toContain(t);
    expect(ownershipViolations(resources, types)).toEqual([]);
    // and every tenant resource of the plan has one
    const custom = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    expect(custom.filter((r) => r.tenant !== undefined).length).toBeGreaterThan(custom.length / 2);
  });

  it("catches a component that does not declare its tenant, and one nested under another tenant's", async () => {
    /** A component with a ConfigMap labelled for `tenant`; it declares its tenant only when told. */
    const component = (
      specs: Specs,
      type: string,
      name: string,
      tenant: string,
      declare: boolean,
      parent?: ResourceSpec,
    ) => {
      const provider = specs.list.find((s) => s.custom && s.type.startsWith("pulumi:providers:"))!;
      const c = specs.component(
        type,
        name,
        { ...(parent ? { parent } : {}), providers: [provider] },
        {
          ...(declare ? { tenant } : {}),
        },
      );
      specs.kubernetes(
        `${name}-cm`,
        { apiVersion: "v1", kind: "ConfigMap", metadata: { labels: tenantLabels(tenant) } },
        { parent: c, provider },
      );
      return c;
    };
    const run = await runSpecs("test-ownership", (specs) => {
      testProvider(specs);
      component(specs, "test:Declared", "a", "alice", true);
      component(specs, "test:Undeclared", "b", "bob", false);
      const outer = component(specs, "test:Declared", "c", "carol", true);
      component(specs, "test:Declared", "d", "dave", true, outer);
    });
    const types = new Set(["test:Declared"]);
    expect(ownershipViolations(run.resources, types)).toEqual([
      "kubernetes:core/v1:ConfigMap b-cm: labelled for bob, attributed to undefined",
    ]);
    // nesting: the nearest tenant component wins
    expect(run.resources.find((r) => r.name === "d-cm")!.tenant).toBe("dave");
    expect(run.resources.find((r) => r.name === "c-cm")!.tenant).toBe("carol");
  });
});
