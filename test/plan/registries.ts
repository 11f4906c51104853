/**
 * Registries for the plan and component tests: the example registry as `tenancy plan` loads it, the
 * example with a changed environment, and generated registries of any size. Plus small accessors over a plan.
 * "The example" is the tests' own copy (test/fixtures/example), never the repository's `tenants/`, which is
 * the user's registry.
 */
import { LAYERS } from "../../stacks/layers";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import {
  type Plan,
  type PlannedResource,
  type PlannedStack,
  buildPlan,
  describeResource,
} from "../../plan/plan";
import { loadRegistry } from "../../registry/load";
import type { RegistryModel, TenantDocument } from "../../registry/model";
import type { TenantFileInput } from "../../registry/schema";
import { loadYamlDocuments } from "../../registry/source-yaml";
import { buildRegistry } from "../../registry/validate";
import { EXAMPLE, EXAMPLE_ENV_PATH, EXAMPLE_TENANTS } from "../helpers/cli";
import { defaultCluster } from "../../components/clusters/placement";

/** The name problems carry, as the CLI prints it from the registry root. */
const ENV_SOURCE = "environments/example.yaml";

/** The example registry (test/fixtures/example), loaded exactly as `tenancy plan` loads it. */
export function loadExample(): Promise<RegistryModel> {
  return loadRegistry({ env: "example", root: EXAMPLE, source: { kind: "yaml", dir: EXAMPLE_TENANTS } });
}

/** The shared CI identity of existing installations, for the tests of shared mode (the example has none). */
export const SHARED_CI = {
  authMount: "kubernetes",
  role: "woodpecker-deployer",
  serviceAccount: "woodpecker-ci",
  namespace: "woodpecker",
};

/** Environment data with the shared CI identity added. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withSharedCi(env: any): any {
  env.ci.shared = { ...SHARED_CI };
  return env;
}

/** The example registry in its environment plus the shared CI identity of existing installations. */
export function exampleWithSharedCi(): RegistryModel {
  return exampleWithEnvironment(withSharedCi(exampleEnvironmentData()));
}

/** A fresh copy of the example environment's data, for editing. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function exampleEnvironmentData(): any {
  return parse(readFileSync(EXAMPLE_ENV_PATH, "utf8"));
}

/**
 * The example tenants (test/fixtures/example/tenants/*.yaml) validated against an edited example environment; `editDocument`
 * may change a tenant document first.
 */
export function exampleWithEnvironment(
  envData: unknown,
  editDocument: (doc: TenantDocument) => TenantDocument = (doc) => doc,
): RegistryModel {
  return buildRegistry(
    { name: "example", source: ENV_SOURCE, data: envData },
    loadYamlDocuments(EXAMPLE_TENANTS).map(editDocument),
  );
}

/** A registry of the given tenant documents (id -> file content) in the example environment. */
export function registryOf(
  tenants: Record<string, TenantFileInput>,
  envData: unknown = exampleEnvironmentData(),
): RegistryModel {
  return buildRegistry(
    { name: "example", source: ENV_SOURCE, data: envData },
    Object.entries(tenants).map(([id, data]) => ({ id, source: `tenants/${id}.yaml`, data })),
  );
}

export const generatedId = (i: number) => `tenant-${String(i).padStart(2, "0")}`;

/**
 * Tenant i of a generated registry: deterministic in i alone, so `generatedTenants(n + 1)` is
 * `generatedTenants(n)` plus one tenant. Mixes roles, tiers, one or two namespaces, namespace quota
 * overrides and an offboarding tenant. Members only point at lower ids (tenant i invites i-1 as developer
 * in its first namespace, every 5th tenant invites tenant 1 as viewer), so the highest id is invited by no one.
 */
export function generatedTenant(i: number): TenantFileInput {
  const id = generatedId(i);
  const members: NonNullable<TenantFileInput["members"]> = [];
  if (i > 1) members.push({ tenant: generatedId(i - 1), role: "developer", namespaces: [id] });
  if (i % 5 === 0 && i > 2) members.push({ tenant: generatedId(1), role: "viewer" });
  return {
    email: `${id}@example.com`,
    role: i % 11 === 0 ? "admin" : i % 7 === 0 ? "power-user" : "namespace-owner",
    ...(i % 3 === 0 ? { tier: "team" } : {}),
    ...(i % 2 === 0 ? { namespaces: [id, { name: `${id}-dev`, quota: { "requests.cpu": "2" } }] } : {}),
    domains: [`${id}.example.com`],
    members,
    ...(i === 9 ? { offboarding: true } : {}),
  };
}

export function generatedTenants(n: number): Record<string, TenantFileInput> {
  const out: Record<string, TenantFileInput> = {};
  for (let i = 1; i <= n; i++) out[generatedId(i)] = generatedTenant(i);
  return out;
}

/**
 * The platform layer's planned resources on the environment's default cluster (what a single-cluster
 * environment plans): `buildPlan` of that layer alone. test/plan/clusters.test.ts looks at the others.
 */
export async function planPlatform(model: RegistryModel): Promise<PlannedResource[]> {
  return onDefaultCluster(
    model,
    platformStack(await buildPlan(model, LAYERS, { layers: ["platform"] })).resources,
  );
}

/** The resources on the default cluster, and those of no cluster (Vault, DNS). */
export function onDefaultCluster(model: RegistryModel, resources: PlannedResource[]): PlannedResource[] {
  const home = defaultCluster(model.environment.clusters);
  return resources.filter((r) => r.cluster === undefined || r.cluster === home);
}

/** The platform layer's stack of a plan. */
export function platformStack(plan: Plan): PlannedStack {
  const stack = plan.stacks.find((s) => s.layer === "platform");
  if (!stack) throw new Error(`no platform stack in the plan (stacks: ${plan.stacks.map((s) => s.stack)})`);
  return stack;
}

/** Kubernetes objects: resources of the kubernetes provider's types (the provider itself is `pulumi:providers:kubernetes`). */
export function isKubernetesObject(r: { type: string }): boolean {
  return r.type.startsWith("kubernetes:");
}

/** `Kind namespace/name` of each resource, sorted: what a test pins as "exactly these objects". */
export function objectNames(resources: PlannedResource[]): string[] {
  return resources.map(describeResource).sort();
}

/** The one Kubernetes object of a kind and namespace/name; throws unless there is exactly one. */
export function findObject(resources: PlannedResource[], kind: string, name: string): PlannedResource {
  const found = resources.filter((r) => isKubernetesObject(r) && describeResource(r) === `${kind} ${name}`);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0]!;
}
