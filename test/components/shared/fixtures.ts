/**
 * Registries with shared objects for the shared objects tests (docs/shared-objects.md): the example environment
 * (three clusters: main, the default, eu-gpu and us-east) whose tier `team` declares a registry pull secret read
 * from Vault KV, and tenants of their own: two of tier team (one placed on two clusters, one with a namespace on a
 * third) and one of tier standard, which gets nothing.
 */
import type { RegistryModel } from "../../../registry/model";
import type { TenantFileInput } from "../../../registry/schema";
import { exampleEnvironmentData, registryOf } from "../../plan/registries";

/** What the fake Vault serves at the pull secret's path: a value no plan, diff or page may ever show. */
export const MARKER = "MARKER-7f3c-do-not-print";
export const PULL_SECRET_VALUE = JSON.stringify({ auths: { "registry.example.com": { auth: MARKER } } });
export const PULL_PATH = "platform/registry";

export const PULL_SECRET = {
  kind: "Secret",
  name: "regcred",
  type: "kubernetes.io/dockerconfigjson",
  vault: { path: PULL_PATH, keys: { ".dockerconfigjson": "dockerconfigjson" } },
};

export const TENANTS: Record<string, TenantFileInput> = {
  ann: {
    email: "ann@example.com",
    tier: "team",
    namespaces: ["ann-web", "ann-api"],
    clusterSelector: { matchLabels: { region: "eu-west" } },
  },
  ben: {
    email: "ben@example.com",
    tier: "team",
    namespaces: ["ben", { name: "ben-us", clusterSelector: { matchLabels: { region: "us-east" } } }],
  },
  cy: { email: "cy@example.com", namespaces: ["cy"] },
};

/** The example environment's data (YAML, untyped) with `edit` applied. */
/* eslint-disable @typescript-eslint/no-explicit-any -- environment data as parsed YAML */
export function environment(edit: (env: any) => void = () => {}): any {
  const env = exampleEnvironmentData();
  edit(env);
  return env;
}

/** The tier team declaring `objects` (default: the pull secret). */
export function withTierObjects(objects: unknown[] = [PULL_SECRET]): any {
  return environment((env) => {
    env.tiers.team.sharedObjects = objects;
  });
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function registry(
  envData: unknown = withTierObjects(),
  tenants: Record<string, TenantFileInput> = TENANTS,
): RegistryModel {
  return registryOf(tenants, envData);
}
