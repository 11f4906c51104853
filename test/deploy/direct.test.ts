/**
 * The direct path (`pulumi up -s <env>-<layer>`, Pulumi.yaml's program): reads the registry from the source the
 * stack config names, as the CLI would (Vault KV included), and the platform layer applies the same guard
 * against its own last applied outputs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProgram } from "../../plan/harness";
import { SafetyError } from "../../components/core/problems";
import { program } from "../../stacks/direct";
import { EXAMPLE, EXAMPLE_ENV_PATH, ROOT, copyExample } from "../helpers/cli";
import { type VaultServer, startVaultServer } from "../helpers/vault-server";

const TOKEN = "s.direct-path-token";
const K8S_USERS = readFileSync(join(ROOT, "test", "fixtures", "vault", "k8s_users.json"), "utf8");
const SELF = "organization/tenancy/example-platform";

let server: VaultServer;
let startDir: string;
beforeAll(async () => {
  server = await startVaultServer({ token: TOKEN, secrets: { platform: { k8s_users: K8S_USERS } } });
  process.env.VAULT_ADDR = server.url;
  process.env.VAULT_TOKEN = TOKEN;
  // the program reads environments/ and tenants/ where it runs, as `pulumi up` would: the example's root
  startDir = process.cwd();
  process.chdir(EXAMPLE);
});
afterAll(async () => {
  process.chdir(startDir);
  delete process.env.VAULT_ADDR;
  delete process.env.VAULT_TOKEN;
  await server.close();
});

/** The program with no lease (the lease itself: ./lease.test.ts). */
const main = () => program({ lease: async () => undefined });

const VAULT_CONFIG = { "tenancy:source": "vault", "tenancy:vaultLayout": "single-secret" };

describe("the direct Pulumi path", () => {
  it("reads the registry from Vault when the stack config says so", async () => {
    const run = await runProgram(
      { stack: "example-platform", config: VAULT_CONFIG, stackOutputs: { [SELF]: {} } },
      main,
    );
    const users = Object.keys(JSON.parse(K8S_USERS) as Record<string, unknown>).sort();
    expect(Object.keys(run.outputs.tenants as Record<string, unknown>).sort()).toEqual(users);
    expect(server.requests.some((r) => r.path === "secret/data/platform")).toBe(true);
  });

  it("reads the YAML registry by default", async () => {
    const run = await runProgram({ stack: "example-platform", stackOutputs: { [SELF]: {} } }, main);
    expect(Object.keys(run.outputs.tenants as Record<string, unknown>)).toEqual([
      "alice",
      "bob",
      "carol",
      "dave",
    ]);
  });

  it("applies the guard against the stack's own last outputs: a vanished tenant is refused", async () => {
    const applied = {
      tenants: { ghost: { namespaces: ["ghost"], offboarding: false } },
    };
    const run = runProgram(
      { stack: "example-platform", config: VAULT_CONFIG, stackOutputs: { [SELF]: applied } },
      main,
    );
    await expect(run).rejects.toThrow(SafetyError);
    await expect(run).rejects.toThrow(/tenants removed without offboarding first: ghost/);
    // and told so, it proceeds
    const allowed = await runProgram(
      {
        stack: "example-platform",
        config: { ...VAULT_CONFIG, "tenancy:allowRemovals": "true" },
        stackOutputs: { [SELF]: applied },
      },
      main,
    );
    expect(allowed.outputs.tenants).toBeDefined();
  });

  it("guards the shard count and the default cluster it was applied with, unless the stack config allows it", async () => {
    // the stack as applied: its own outputs, then each changed as if applied with another layout
    const first = await runProgram({ stack: "example-platform", stackOutputs: { [SELF]: {} } }, main);
    expect(first.outputs).toMatchObject({ shards: 1, defaultCluster: "main" });
    const again = (outputs: Record<string, unknown>, config: Record<string, string> = {}) =>
      runProgram({ stack: "example-platform", config, stackOutputs: { [SELF]: outputs } }, main);
    await expect(again(first.outputs)).resolves.toBeDefined();

    const fourShards = { ...first.outputs, shards: 4 };
    await expect(again(fourShards)).rejects.toThrow(SafetyError);
    await expect(again(fourShards)).rejects.toThrow(
      /shards.count is 1 but the platform layer was applied with 4: tenants would change stacks/,
    );
    await expect(again(fourShards, { "tenancy:allowShardChange": "true" })).resolves.toBeDefined();

    const otherDefault = { ...first.outputs, defaultCluster: "eu-gpu" };
    await expect(again(otherDefault)).rejects.toThrow(
      /the default cluster is main but the platform layer was applied with eu-gpu/,
    );
    await expect(again(otherDefault, { "tenancy:allowDefaultClusterChange": "true" })).resolves.toBeDefined();
  });

  it("with tenancy:allowShardChange, tenants that moved to another shard are not removals", async () => {
    // the example registry as applied in one stack per layer, then with shards.count 2 (state moved)
    const whole = await runProgram({ stack: "example-platform", stackOutputs: { [SELF]: {} } }, main);
    const dir = mkdtempSync(join(tmpdir(), "tenancy-direct-shards-"));
    copyExample(dir);
    const env = parse(readFileSync(EXAMPLE_ENV_PATH, "utf8")) as Record<string, unknown>;
    env.shards = { count: 2 };
    writeFileSync(join(dir, "environments", "example.yaml"), stringify(env));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const shared = (config: Record<string, string> = {}) =>
        runProgram({ stack: "example-platform", config, stackOutputs: { [SELF]: whole.outputs } }, main);
      await expect(shared()).rejects.toThrow(/shards.count is 2 but the platform layer was applied with 1/);
      const run = await shared({ "tenancy:allowShardChange": "true" });
      // the shared stack keeps no tenant now; the shards have them
      expect(run.outputs.tenants).toEqual({});
      // a shard stack whose state was moved in, never updated yet: nothing to compare
      const shard = await runProgram(
        {
          stack: "example-platform-0",
          config: { "tenancy:allowShardChange": "true" },
          stackOutputs: { "organization/tenancy/example-platform-0": {} },
        },
        main,
      );
      expect(Object.keys(shard.outputs.tenants as object).length).toBeGreaterThan(0);
    } finally {
      process.chdir(cwd);
    }
  });

  it("refuses a stack name that is not <env>-<layer>", async () => {
    await expect(runProgram({ stack: "example-edge" }, main)).rejects.toThrow(
      /stack example-edge: expected <env>-<layer> with layer one of platform, dns, vault, ci, apps/,
    );
  });
});
