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

/** Runs `fn` in a copy of the example whose environment has shards.count 2, as `pulumi up` runs where it is. */
async function inShardedExample(fn: () => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tenancy-direct-sharded-"));
  copyExample(dir);
  const env = parse(readFileSync(EXAMPLE_ENV_PATH, "utf8")) as Record<string, unknown>;
  env.shards = { count: 2 };
  writeFileSync(join(dir, "environments", "example.yaml"), stringify(env));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await fn();
  } finally {
    process.chdir(cwd);
  }
}

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
    // applied with four shards, the guard reads each: they must exist
    await expect(again(fourShards)).rejects.toThrow(
      /stack example-platform-0 cannot be read .*the platform layer was applied with 4 shards: create each of its stacks/,
    );
    const shards = Object.fromEntries(
      [0, 1, 2, 3].map((k) => [`organization/tenancy/example-platform-${k}`, {}] as const),
    );
    const againSharded = (config: Record<string, string> = {}) =>
      runProgram(
        { stack: "example-platform", config, stackOutputs: { ...shards, [SELF]: fourShards } },
        main,
      );
    await expect(againSharded()).rejects.toThrow(SafetyError);
    await expect(againSharded()).rejects.toThrow(
      /shards.count is 1 but the platform layer was applied with 4: tenants would change stacks/,
    );
    await expect(againSharded({ "tenancy:allowShardChange": "true" })).resolves.toBeDefined();

    const otherDefault = { ...first.outputs, defaultCluster: "eu-gpu" };
    await expect(again(otherDefault)).rejects.toThrow(
      /the default cluster is main but the platform layer was applied with eu-gpu/,
    );
    await expect(again(otherDefault, { "tenancy:allowDefaultClusterChange": "true" })).resolves.toBeDefined();
  });

  it("with tenancy:allowShardChange, tenants that moved to another shard are not removals", async () => {
    // the example registry as applied in one stack per layer, then with shards.count 2 (state moved)
    const whole = await runProgram({ stack: "example-platform", stackOutputs: { [SELF]: {} } }, main);
    await inShardedExample(async () => {
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
          stackOutputs: {
            "organization/tenancy/example-platform-0": {},
            // what the guard reads: the layer as applied before the move, in one stack
            [SELF]: whole.outputs,
          },
        },
        main,
      );
      expect(Object.keys(shard.outputs.tenants as object).length).toBeGreaterThan(0);
    });
  });

  it("every layer's stack guards the whole registry against the whole platform layer: a dns stack run alone refuses an abrupt removal", async () => {
    // every layer applied in order, each stack reading those before it
    const applied: Record<string, Record<string, unknown>> = {};
    for (const layer of ["platform", "dns", "vault", "ci", "apps"]) {
      const ref = `organization/tenancy/example-${layer}`;
      const run = await runProgram(
        { stack: `example-${layer}`, stackOutputs: { ...applied, [ref]: {} } },
        main,
      );
      applied[ref] = run.outputs;
    }
    const platform = applied[SELF]!;
    const ghost = {
      ...applied,
      [SELF]: {
        ...platform,
        tenants: { ...(platform.tenants as object), ghost: { namespaces: ["ghost"], offboarding: false } },
      },
    };
    for (const stack of ["example-dns", "example-vault", "example-ci", "example-apps"]) {
      const run = (config: Record<string, string> = {}) =>
        runProgram({ stack, config, stackOutputs: ghost }, main);
      // the refusal names this path's override, the stack's config (up's --allow-removals is no flag here)
      await expect(run(), stack).rejects.toThrow(
        /tenants removed without offboarding first: ghost\..*set the stack's tenancy:allowRemovals \(pulumi config set tenancy:allowRemovals true\) and re-run if this is intended/s,
      );
      await expect(run({ "tenancy:allowRemovals": "true" }), stack).resolves.toBeDefined();
      // as applied: nothing to refuse
      await expect(runProgram({ stack, stackOutputs: applied }, main), stack).resolves.toBeDefined();
    }
    // with the platform layer never applied, the guard cannot read it and says what to do
    await expect(runProgram({ stack: "example-dns" }, main)).rejects.toThrow(
      /stack example-dns: the guard compares the registry with what the platform layer applied, and stack example-platform cannot be read \(.*unknown stack.*apply the platform layer first \(pulumi up -s example-platform\)/,
    );
  });

  it("in a sharded environment, reads every shard the layer was applied with: a tenant of another shard is guarded too", async () => {
    await inShardedExample(async () => {
      const shardRef = (k: number) => `organization/tenancy/example-platform-${k}`;
      const layout = { shards: 2, defaultCluster: "main" };
      // each platform stack as applied: the shared one with no tenants, each shard with its own
      const applied: Record<string, Record<string, unknown>> = {
        [SELF]: { ...layout, tenants: {}, namespaces: {} },
      };
      // both shard stacks created (pulumi stack init) before the first update of either
      Object.assign(applied, { [shardRef(0)]: {}, [shardRef(1)]: {} });
      for (const k of [0, 1]) {
        const run = await runProgram({ stack: `example-platform-${k}`, stackOutputs: applied }, main);
        applied[shardRef(k)] = run.outputs;
      }
      // the stacks as applied: nothing refused anywhere
      for (const stack of ["example-dns", "example-platform-1"])
        await expect(runProgram({ stack, stackOutputs: applied }, main), stack).resolves.toBeDefined();
      // a tenant shard 1 applied, gone from the registry without offboarding: refused by every stack, shard 0's too
      const ghost = structuredClone(applied);
      (ghost[shardRef(1)]!.tenants as Record<string, unknown>).ghost = {
        namespaces: ["ghost"],
        offboarding: false,
      };
      for (const stack of ["example-dns", "example-platform-0"])
        await expect(runProgram({ stack, stackOutputs: ghost }, main), stack).rejects.toThrow(
          /tenants removed without offboarding first: ghost/,
        );
    });
  });

  it("refuses a stack name that is not <env>-<layer>", async () => {
    await expect(runProgram({ stack: "example-edge" }, main)).rejects.toThrow(
      /stack example-edge: expected <env>-<layer> with layer one of platform, dns, vault, ci, apps/,
    );
  });
});
