/**
 * Providers: every Vault resource is managed through the environment's explicit Vault provider (its address
 * from the environment file, never a stale VAULT_ADDR), every Kubernetes object through the cluster's provider,
 * which carries a stable cluster identifier.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runLayers } from "../../deploy/run";
import type { RecordedResource } from "../../plan/harness";
import { FakeEngine } from "../helpers/engine";
import { exampleEnvironmentData, exampleWithEnvironment } from "../plan/registries";

let all: RecordedResource[];
beforeAll(async () => {
  const env = exampleEnvironmentData();
  env.vault.namespace = "platform-team";
  const engine = new FakeEngine();
  process.env.VAULT_ADDR = "https://stale.vault.invalid:8200";
  try {
    await runLayers("up", exampleWithEnvironment(env), engine, {
      allowRemovals: false,
      allowHandover: false,
    });
  } finally {
    delete process.env.VAULT_ADDR;
  }
  all = [...engine.stacks.values()].flatMap((s) => s.resources);
});

describe("providers", () => {
  it("every Vault resource has the environment's Vault provider", () => {
    const vaultResources = all.filter((r) => r.custom && r.type.startsWith("vault:"));
    expect(vaultResources.length).toBeGreaterThan(10);
    for (const r of vaultResources)
      expect(r.provider, `${r.type} ${r.name}`).toMatch(/\$pulumi:providers:vault::vault-example::/);
    const providers = all.filter((r) => r.type === "pulumi:providers:vault");
    expect(providers.length).toBe(2); // one per stack that manages Vault resources: vault and ci
    for (const p of providers)
      expect(p.inputs).toMatchObject({
        address: "https://vault.example.com:8200",
        namespace: "platform-team",
        skipChildToken: "false",
        maxLeaseTtlSeconds: "1200",
        tokenName: "tenancy-example",
      });
  });

  it("every Kubernetes object has its cluster's provider, identified by environment and cluster", () => {
    const objects = all.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    // another cluster's objects are named <cluster>:<name>; the default cluster's keep their bare names
    for (const r of objects) {
      const cluster = /^([a-z0-9-]+):/.exec(r.name)?.[1] ?? "main";
      expect(r.provider, `${r.type} ${r.name}`).toMatch(
        new RegExp(`\\$pulumi:providers:kubernetes::cluster-${cluster}::`),
      );
    }
    const contexts = { main: "example-admin", "eu-gpu": "example-gpu-admin", "us-east": "example-us-admin" };
    for (const [cluster, context] of Object.entries(contexts)) {
      const providers = all.filter(
        (r) => r.type === "pulumi:providers:kubernetes" && r.name === `cluster-${cluster}`,
      );
      expect(providers.length, cluster).toBeGreaterThan(0);
      for (const p of providers)
        expect(p.inputs).toMatchObject({ context, clusterIdentifier: `example/${cluster}` });
    }
  });
});
