/**
 * Everything inside a protected namespace is protected or deleted with it (ARCHITECTURE.md, "Safety"), checked
 * over every registration the engine receives: every stack of every layer registered through the registrar
 * under the mock runtime, for the example and for generated registries. A namespaced object in a protected
 * namespace that is neither protected nor `deletedWith` that Namespace (the same stack, the same cluster) would be
 * deleted one by one before the namespace's own delete is refused, when a namespace removal gets past the guard:
 * a RoleBinding so deleted takes the tenant's access to a namespace that stays.
 *
 * The few objects that may go alone are listed below (`GOES_ALONE`), each with why.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROJECT } from "../../layers/identity";
import { layerStacks } from "../../layers/shards";
import { MOCK_ORGANIZATION, type RecordedResource, runProgram } from "../../plan/harness";
import type { RegistryModel } from "../../registry/model";
import { LAYERS } from "../../stacks/layers";
import { pulumiProgram } from "../../stacks/registrar";
import { kvAnswersFor } from "../helpers/vault-kv";
import { generatedRegistries } from "../helpers/generated-registries";
import { withoutProviderDefaults } from "../helpers/registered-plan";
import { exampleEnvironmentData, exampleWithEnvironment, loadExample, registryOf } from "../plan/registries";

/**
 * Components whose objects may stand in a protected namespace and go without it, each with why: an app
 * instance's objects (a tenant's own app, in its namespace or the app's shared one, going when its record says so;
 * its volume is protected unless the tenant is offboarding, when it goes with the record), and the deployer Role
 * of the vault layer (in another stack: `deletedWith` names a resource of the same program; removing it revokes
 * the deployer, it neither fences the namespace in nor grants the tenant access), and shared objects (the vault
 * layer too, docs/shared-objects.md: the platform's own fences stay protected; removing a shared NetworkPolicy only
 * closes the namespace further, a shared LimitRange leaves the platform's own, a Secret or ConfigMap is a copy).
 */
const GOES_ALONE: Record<string, readonly string[]> = {
  "tenancy:apps:AppInstance": ["Deployment", "Service", "Ingress", "Certificate", "PersistentVolumeClaim"],
  "tenancy:vault:TenantVault": ["Role"],
  "tenancy:shared:TenantSharedObjects": ["Secret", "ConfigMap", "NetworkPolicy", "LimitRange"],
};

interface Registration {
  stack: string;
  layer: string;
  resource: RecordedResource;
}

/** Every stack of every layer of `model`, registered in dependency order (the planned view). */
async function registrations(model: RegistryModel): Promise<Registration[]> {
  const outputs: Record<string, Record<string, unknown>> = {};
  const out: Registration[] = [];
  for (const layer of LAYERS)
    for (const part of layerStacks(model, layer.name, model.tenants)) {
      const run = await withoutProviderDefaults(() =>
        runProgram(
          { stack: part.name, stackOutputs: outputs, invoke: kvAnswersFor(model) },
          pulumiProgram(layer, { model, tenants: part.tenants, part: part.part }),
        ),
      );
      outputs[`${MOCK_ORGANIZATION}/${PROJECT}/${part.name}`] = run.outputs;
      for (const resource of run.resources) out.push({ stack: part.name, layer: layer.name, resource });
    }
  return out;
}

/** The name of a resource's provider (`cluster-<name>`): the same cluster in every stack. */
const providerName = (r: RecordedResource) =>
  r.provider?.slice(0, r.provider.lastIndexOf("::")).split("::").pop();
const metadata = (r: RecordedResource) =>
  r.inputs.metadata as { name?: string; namespace?: string } | undefined;
const kind = (r: RecordedResource) => String(r.inputs.kind);
const show = (reg: Registration) =>
  `${reg.stack}: ${kind(reg.resource)} ${metadata(reg.resource)!.namespace}/${metadata(reg.resource)!.name} (${reg.resource.name})`;

/** What breaks the rule, one line each. */
function unfenced(regs: Registration[]): string[] {
  // protected namespaces by cluster (its provider's name) and name: where each is registered
  const namespaces = new Map<string, Registration>();
  const at = (r: RecordedResource, ns: string) => `${providerName(r)} ${ns}`;
  for (const reg of regs) {
    const r = reg.resource;
    if (r.type === "kubernetes:core/v1:Namespace" && r.protect)
      namespaces.set(at(r, metadata(r)!.name!), reg);
  }
  const problems: string[] = [];
  for (const reg of regs) {
    const r = reg.resource;
    const ns = r.type.startsWith("kubernetes:") ? metadata(r)?.namespace : undefined;
    const home = ns === undefined ? undefined : namespaces.get(at(r, ns));
    if (!home || r.protect) continue;
    if ((GOES_ALONE[r.parentType ?? ""] ?? []).includes(kind(r))) continue;
    if (home.stack !== reg.stack)
      problems.push(`${show(reg)} is in ${home.stack}'s protected namespace, and not protected`);
    else if (r.deletedWith !== home.resource.urn)
      problems.push(`${show(reg)} is neither protected nor deleted with its namespace`);
  }
  return problems;
}

/**
 * With AdminNetworkPolicies on (components/network/layer.ts): every tenant Namespace depends on its tenant's
 * AdminNetworkPolicy on its cluster, in the same stack (made before it, deleted after it), which is protected
 * whenever the Namespace is, unless the environment releases them; with them off, there are none.
 */
function unfencedByAdminPolicy(model: RegistryModel, regs: Registration[]): string[] {
  const settings = model.environment.network.adminNetworkPolicy;
  const showPolicy = (p: Registration) =>
    `${p.stack}: AdminNetworkPolicy ${metadata(p.resource)!.name} (${p.resource.name})`;
  const policies = new Map<string, Registration>();
  for (const reg of regs)
    if (reg.resource.type.endsWith(":AdminNetworkPolicy"))
      policies.set(`${providerName(reg.resource)} ${metadata(reg.resource)!.name}`, reg);
  if (!settings.enabled) return [...policies.values()].map((p) => `${showPolicy(p)}: the switch is off`);
  const problems: string[] = [];
  for (const reg of regs) {
    const r = reg.resource;
    const tenant = (r.inputs.metadata as { labels?: Record<string, string> } | undefined)?.labels?.[
      "tenancy.io/tenant"
    ];
    if (r.type !== "kubernetes:core/v1:Namespace" || tenant === undefined) continue;
    const policy = policies.get(`${providerName(r)} tenancy-tenant-${tenant}`);
    if (!policy) problems.push(`${reg.stack}: Namespace ${metadata(r)!.name} has no AdminNetworkPolicy`);
    else if (policy.stack !== reg.stack || !r.dependsOn.includes(policy.resource.urn))
      problems.push(`${reg.stack}: Namespace ${metadata(r)!.name} does not depend on ${showPolicy(policy)}`);
    else if (r.protect && !settings.release && !policy.resource.protect)
      problems.push(
        `${reg.stack}: Namespace ${metadata(r)!.name} is protected, ${showPolicy(policy)} is not`,
      );
    else if (settings.release && policy.resource.protect)
      problems.push(`${showPolicy(policy)} is not released`);
  }
  return problems;
}

describe("everything in a protected namespace is protected or deleted with it", () => {
  it("holds for every registration of the example, RoleBindings included", async () => {
    const regs = await registrations(await loadExample());
    // the example has bindings in protected namespaces to check: owners', members' and a grant's
    const bindings = regs.filter(
      (g) => g.resource.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    );
    expect(bindings.map((b) => metadata(b.resource)!.name)).toEqual(
      expect.arrayContaining([
        "tenant-owner",
        expect.stringMatching(/^tenant-member-/),
        expect.stringMatching(/^tenancy-grant\./),
      ]),
    );
    expect(unfenced(regs)).toEqual([]);
  });

  it("holds for a tenant's automation identities: each ServiceAccount and its bindings go with their namespace", async () => {
    const model = registryOf({
      alice: {
        email: "alice@example.com",
        namespaces: ["alice", { name: "alice-ci", clusterSelector: { matchLabels: { region: "eu-west" } } }],
        grants: [{ bundle: "gpu-jobs", clusterSelector: { matchLabels: { purpose: "batch" } } }],
        serviceAccounts: [{ name: "bot", namespace: "alice-ci", bundles: ["gpu-jobs"] }],
      },
    });
    const regs = await registrations(model);
    const mine = regs.filter((g) => g.resource.parentType === "tenancy:k8s:TenantServiceAccounts");
    // main: the account and two role bindings; eu-gpu: the account, a role binding and a bundle's
    expect(mine.map((g) => kind(g.resource)).sort()).toEqual([
      "RoleBinding",
      "RoleBinding",
      "RoleBinding",
      "RoleBinding",
      "ServiceAccount",
      "ServiceAccount",
    ]);
    expect(unfenced(regs)).toEqual([]);
    // control: one left without deletedWith is reported
    mine.find((g) => g.resource.name === "alice-sa-binding/alice-ci/bot")!.resource.deletedWith = undefined;
    expect(unfenced(regs)).toEqual([
      "example-platform: RoleBinding alice/tenancy-sa.alice-ci.bot (alice-sa-binding/alice-ci/bot) is neither protected nor deleted with its namespace",
    ]);
  });

  it("with AdminNetworkPolicies on, every tenant namespace waits for its tenant's, protected with it", async () => {
    const env = exampleEnvironmentData();
    env.network.adminNetworkPolicy = { enabled: true };
    const model = exampleWithEnvironment(env);
    const regs = await registrations(model);
    expect(regs.filter((g) => g.resource.type.endsWith(":AdminNetworkPolicy"))).toHaveLength(6);
    expect(unfencedByAdminPolicy(model, regs)).toEqual([]);
    // control: a namespace that does not wait for it, and a policy left unprotected, are reported
    const ns = regs.find((g) => g.resource.name === "alice-namespace")!.resource;
    const waited = ns.dependsOn;
    ns.dependsOn = [];
    expect(unfencedByAdminPolicy(model, regs)).toEqual([
      expect.stringMatching(/^example-platform: Namespace alice does not depend on .*tenancy-tenant-alice/),
    ]);
    ns.dependsOn = waited;
    regs.find((g) => g.resource.name === "bob-admin-network-policy")!.resource.protect = false;
    expect(unfencedByAdminPolicy(model, regs)).toEqual([
      "example-platform: Namespace bob-prod is protected, example-platform: AdminNetworkPolicy tenancy-tenant-bob (bob-admin-network-policy) is not",
      "example-platform: Namespace bob-staging is protected, example-platform: AdminNetworkPolicy tenancy-tenant-bob (bob-admin-network-policy) is not",
    ]);
  });

  it("holds for every registration of generated registries", async () => {
    await fc.assert(
      fc.asyncProperty(generatedRegistries(), async ({ model }) => {
        const regs = await registrations(model);
        expect(unfenced(regs)).toEqual([]);
        expect(unfencedByAdminPolicy(model, regs)).toEqual([]);
      }),
      { numRuns: 15 },
    );
  }, 240_000);
});
