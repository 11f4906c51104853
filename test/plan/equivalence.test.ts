/**
 * The harness as the oracle (ARCHITECTURE.md, "Resources as data"): over generated registries (every concern,
 * three clusters, 1-3 shards, shared objects (a Secret read from Vault KV), offboarding tenants and namespaces, both Vault layouts, apps, TLS modes, shared and
 * per-tenant CI), every stack's specs are registered by the registrar under Pulumi's mock runtime, and what the
 * SDK registered must be exactly what the specs say, as plan/data.ts reads them: the same URNs, types, inputs,
 * protect, parents, providers, aliases, dependencies (as the SDK expands them), deletedWith, import ids, owners
 * and stack outputs. In the planned view (programs run as updates, upstream outputs as planned) and in the
 * applied view (a preview reading what an earlier, smaller registry applied, and day one: every upstream `{}`).
 * A control shows the comparison fails when the registrar drops an option.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ResourceSpec, type StackSpecs, isRef } from "../../components/core/spec";
import { PROJECT } from "../../layers/identity";
import { layerStacks } from "../../layers/shards";
import { type ResolvedStack, resolveStack } from "../../plan/data";
import { buildPlan } from "../../plan/plan";
import { MOCK_ORGANIZATION, type ProgramRun, type RecordedResource, runProgram } from "../../plan/harness";
import type { RegistryModel } from "../../registry/model";
import { recordKey, tenantDnsRecords } from "../../components/dns/policy";
import type { Adoption } from "../../layers/names";
import { LAYERS } from "../../stacks/layers";
import { registerStack } from "../../stacks/registrar";
import { generatedRegistries } from "../helpers/generated-registries";
import { withoutProviderDefaults } from "../helpers/registered-plan";
import { kvAnswersOf } from "../helpers/vault-kv";

/** The URN the mock monitor gives a resource (its parent's type only, as plan/harness.ts records it). */
function mockUrn(stack: string, type: string, name: string, parentType = "pulumi:pulumi:Stack"): string {
  return `urn:pulumi:${stack}::${PROJECT}::${parentType}$${type}::${name}`;
}

/** What the SDK should have registered for a stack's specs, resolved as the plan reads them. */
function expected(stack: string, specs: StackSpecs, resolved: ResolvedStack) {
  const byKey = new Map(specs.resources.map((s) => [s.key, s]));
  const urnOf = (s: ResourceSpec) =>
    mockUrn(stack, s.type, s.name, s.parent ? byKey.get(s.parent)!.type : undefined);
  const children = new Map<string, ResourceSpec[]>();
  for (const s of specs.resources)
    if (s.parent) children.set(s.parent, [...(children.get(s.parent) ?? []), s]);
  // the SDK's dependsOn expansion (runtime/dependsOn.ts): a component stands for the custom resources below it,
  // through components, not into custom resources' children
  const expand = (s: ResourceSpec): ResourceSpec[] =>
    s.custom ? [s] : (children.get(s.key) ?? []).flatMap(expand);
  const referenceUrn = (upstream: string) =>
    mockUrn(stack, "pulumi:pulumi:StackReference", `${MOCK_ORGANIZATION}/${PROJECT}/${upstream}`);
  // the resources and stacks whose outputs a spec's inputs read
  const reads = (value: unknown, out: Set<string>): Set<string> => {
    if (isRef(value)) {
      if (value.$ref === "output") expand(byKey.get(value.spec)!).forEach((r) => out.add(urnOf(r)));
      if (value.$ref === "upstream") out.add(referenceUrn(value.check.stack));
      if (value.$ref === "sharedTls") out.add(mockUrn(stack, "kubernetes:core/v1:Secret", value.name));
      if (value.$ref === "upstream" || value.$ref === "secret") reads(value.value, out);
    } else if (Array.isArray(value)) value.forEach((v) => reads(v, out));
    else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => reads(v, out));
    return out;
  };
  return resolved.resources.map(({ spec: s, inputs, tenant }) => {
    const deps = reads(s.inputs, new Set());
    for (const d of s.dependsOn ?? [])
      if (typeof d === "string") expand(byKey.get(d)!).forEach((r) => deps.add(urnOf(r)));
      else deps.add(referenceUrn(d.$gate.stack));
    deps.delete(urnOf(s));
    return {
      urn: urnOf(s),
      parent: s.parent ? urnOf(byKey.get(s.parent)!) : undefined,
      custom: s.custom,
      protect: s.protect ?? false,
      deleteBeforeReplace: s.deleteBeforeReplace ?? false,
      provider: s.provider ? urnOf(byKey.get(s.provider)!) : undefined,
      aliases: [...(s.aliases ?? [])].sort(),
      dependsOn: [...deps].sort(),
      deletedWith: s.deletedWith ? urnOf(byKey.get(s.deletedWith)!) : undefined,
      importId: s.importId,
      tenant,
      inputs: s.custom ? inputs : {},
      outputs: s.custom
        ? undefined
        : { ...s.outputs, ...(s.tenant !== undefined ? { tenant: s.tenant } : {}) },
    };
  });
}

/**
 * The mock runtime cannot read an object that exists (the shared TLS secret `Secret.get` reads): the data it
 * returns is unknown, where the real engine reads the secret's data and the plan shows "[secret]".
 */
function readUnknown(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(readUnknown);
  if (value === null || typeof value !== "object") return value;
  if ((value as Record<string, unknown>).__pulumiUnknown === true) return "[secret]";
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readUnknown(v)]));
}

/** What the SDK did register, in the same shape. */
function registered(run: ProgramRun, specs: StackSpecs) {
  const reading = new Set(
    specs.resources.filter((s) => JSON.stringify(s.inputs).includes('"sharedTls"')).map((s) => s.name),
  );
  return run.resources
    .filter((r) => r.type !== "pulumi:pulumi:StackReference")
    .map((r: RecordedResource) => ({
      urn: r.urn,
      parent: r.parentUrn?.includes("::pulumi:pulumi:Stack::") ? undefined : r.parentUrn,
      custom: r.custom,
      protect: r.protect,
      deleteBeforeReplace: r.deleteBeforeReplace,
      // `<provider urn>::<id>`: the id is unknown in a preview
      provider: r.provider?.slice(0, r.provider.lastIndexOf("::")),
      aliases: [...r.aliases].sort(),
      dependsOn: [...new Set(r.dependsOn)].sort(),
      deletedWith: r.deletedWith,
      importId: r.importId,
      tenant: r.tenant,
      inputs: !r.custom ? {} : reading.has(r.name) ? readUnknown(r.inputs) : r.inputs,
      outputs: r.custom ? undefined : r.outputs,
    }));
}

const byUrn = <T extends { urn: string }>(xs: T[]) => [...xs].sort((a, b) => (a.urn < b.urn ? -1 : 1));

/** Every stack of a model, planned in order: its specs, resolved, registered and compared. */
async function compareAll(
  model: RegistryModel,
  view: { dryRun: boolean; applied?: Record<string, Record<string, unknown>>; adoption?: Adoption },
  tamper: (specs: StackSpecs) => StackSpecs = (s) => s,
): Promise<void> {
  const adopting = view.adoption ? { adoption: view.adoption } : {};
  const dataOutputs: Record<string, Record<string, unknown>> = { ...view.applied };
  const mockOutputs: Record<string, Record<string, unknown>> = {};
  for (const [stack, outputs] of Object.entries(view.applied ?? {}))
    mockOutputs[`${MOCK_ORGANIZATION}/${PROJECT}/${stack}`] = outputs;
  for (const layer of LAYERS)
    for (const part of layerStacks(model, layer.name, model.tenants)) {
      const specs = layer.program({ model, tenants: part.tenants, part: part.part, ...adopting });
      const resolved = resolveStack(specs, { outputs: dataOutputs, dryRun: view.dryRun });
      const run = await runProgram(
        { stack: part.name, stackOutputs: mockOutputs, dryRun: view.dryRun, invoke: kvAnswersOf(specs) },
        async () => registerStack(tamper(specs)),
      );
      expect(byUrn(registered(run, specs)), part.name).toEqual(byUrn(expected(part.name, specs, resolved)));
      expect(run.outputs, `${part.name} outputs`).toEqual(resolved.outputs);
      if (!view.dryRun) {
        dataOutputs[part.name] = resolved.outputs;
        mockOutputs[`${MOCK_ORGANIZATION}/${PROJECT}/${part.name}`] = run.outputs;
      }
    }
}

/** The applied outputs of every stack of a registry: what an earlier `up` left (its plan's outputs). */
async function appliedOutputs(model: RegistryModel): Promise<Record<string, Record<string, unknown>>> {
  return Object.fromEntries((await buildPlan(model, LAYERS)).stacks.map((s) => [s.stack, s.outputs]));
}

/** Day one: every stack of the registry created, never updated. */
function dayOne(model: RegistryModel): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    LAYERS.flatMap((l) => layerStacks(model, l.name, model.tenants).map((s) => [s.name, {}])),
  );
}

/** What `tenancy adopt` found for the first active tenant: its entity, its alias and its first DNS record. */
function adoptionOf(model: RegistryModel): Adoption | undefined {
  const t = model.tenants.find((x) => !x.offboarding);
  if (!t) return undefined;
  const record = tenantDnsRecords(model.environment, t)[0];
  return {
    entities: { [t.id]: `entity-${t.id}` },
    aliases: { [t.id]: `alias-${t.id}` },
    ...(record ? { dnsRecords: { [recordKey(record)]: `${record.zoneId}/record-1` } } : {}),
  };
}

const RUNS = 200;

describe("the registrar registers exactly the specs", () => {
  it(`${RUNS} generated registries, planned and applied views`, async () => {
    await fc.assert(
      fc.asyncProperty(generatedRegistries(), fc.nat(), async ({ model }, seed) => {
        // every other registry as `tenancy adopt` runs it: import ids on what it found
        const adoption = seed % 2 === 1 ? adoptionOf(model) : undefined;
        await withoutProviderDefaults(() =>
          compareAll(model, { dryRun: false, ...(adoption ? { adoption } : {}) }),
        );
        // a preview reading what a registry without one of the tenants applied, or day one
        const earlier = {
          ...model,
          tenants: model.tenants.filter((_, i) => i !== seed % model.tenants.length),
        };
        const applied = seed % 3 === 0 ? dayOne(model) : await appliedOutputs(earlier);
        await withoutProviderDefaults(() => compareAll(model, { dryRun: true, applied }));
      }),
      { numRuns: RUNS },
    );
  }, 600_000);

  it("control: a registrar that drops an option, an input or a dependency is caught", async () => {
    const [{ model }] = fc.sample(
      generatedRegistries().filter(({ model }) => model.tenants.some((t) => !t.offboarding)),
      { numRuns: 1, seed: 7 },
    ) as unknown as [{ model: RegistryModel }];
    const drop =
      (what: (s: ResourceSpec) => ResourceSpec | undefined) =>
      (specs: StackSpecs): StackSpecs => {
        let done = false;
        return {
          ...specs,
          resources: specs.resources.map((s) => {
            if (done) return s;
            const changed = what(s);
            if (!changed) return s;
            done = true;
            return changed;
          }),
        };
      };
    const without = (key: keyof ResourceSpec) =>
      drop((s) => {
        if (s[key] === undefined || s[key] === false) return undefined;
        const { [key]: _, ...rest } = s;
        return rest as ResourceSpec;
      });
    const adoption = adoptionOf(model)!;
    for (const tamper of [
      without("protect"),
      without("deleteBeforeReplace"),
      without("importId"),
      without("parent"),
      without("deletedWith"),
      without("dependsOn"),
      without("aliases"),
      drop((s) =>
        s.custom && "metadata" in s.inputs ? { ...s, inputs: { ...s.inputs, metadata: {} } } : undefined,
      ),
    ])
      await expect(
        withoutProviderDefaults(() => compareAll(model, { dryRun: false, adoption }, tamper)),
      ).rejects.toThrow(/to deeply equal/);
  });
});
