/**
 * `vault.tenantPaths: per-namespace` (issue 27, item 7): Vault KV paths per namespace as the single-secret
 * installations' document writes them (`secret/data/<namespace>/*`, a listing of `secret/metadata/<namespace>/*`).
 * `can-i` through the real CLI on the seed document (test/fixtures/vault/k8s_users.json, served by the local
 * KV v2 server) answers yes for a user's own namespaces and no across tenants; the policy builder, offboarded
 * namespaces, and namespaces that are platform paths are checked in-process.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { InvalidInputError } from "../../components/core/problems";
import { tenantPolicyRules, type VaultPaths } from "../../components/vault/policy";
import { capabilitiesOn } from "../../components/vault/acl";
import { accessMatrix } from "../../plan/access";
import { canI } from "../../plan/can-i";
import { buildPlan } from "../../plan/plan";
import { LAYERS } from "../../stacks/layers";
import { type CliResult, EXAMPLE_ENV_PATH, ROOT, runCliAsync } from "../helpers/cli";
import { type VaultServer, startVaultServer } from "../helpers/vault-server";
import { exampleEnvironmentData, registryOf } from "../plan/registries";

const TOKEN = "hvs.per-namespace-token-5e21";
const K8S_USERS = readFileSync(join(ROOT, "test", "fixtures", "vault", "k8s_users.json"), "utf8");

const LAYOUT: VaultPaths = {
  kvMount: "secret",
  tenantPaths: "per-namespace",
  tenantPrefix: "tenants",
  kubernetesSecretsMount: "kubernetes",
};

describe("per-namespace Vault paths: the policy", () => {
  it("grants each namespace's data and a listing of its metadata, as the document writes them", () => {
    const rules = tenantPolicyRules(LAYOUT, "alice", ["alice-dev", "alice-prod"]);
    expect(rules.slice(0, 4)).toEqual([
      { path: "secret/data/alice-dev/*", capabilities: ["create", "read", "update", "patch", "delete"] },
      { path: "secret/metadata/alice-dev/*", capabilities: ["list"] },
      { path: "secret/data/alice-prod/*", capabilities: ["create", "read", "update", "patch", "delete"] },
      { path: "secret/metadata/alice-prod/*", capabilities: ["list"] },
    ]);
    // nothing at the tenant's own name, nor beside a namespace sharing its prefix
    expect(capabilitiesOn(rules, "secret/data/alice/db")).toEqual([]);
    expect(capabilitiesOn(rules, "secret/data/alice-dev-x/db")).toEqual([]);
    expect(capabilitiesOn(rules, "secret/metadata/alice-prod/db")).toEqual(["list"]);
  });

  it("an offboarding namespace loses its path; the others keep theirs", async () => {
    const env = exampleEnvironmentData();
    env.vault.tenantPaths = "per-namespace";
    const model = registryOf(
      {
        alice: {
          email: "alice@example.com",
          namespaces: ["alice-dev", { name: "alice-prod", offboarding: true }],
        },
        bob: { email: "bob@example.org", namespaces: ["bob-web"] },
      },
      env,
    );
    const rows = accessMatrix(model, await buildPlan(model, LAYERS));
    const ask = (principal: string, path: string) =>
      canI(rows, { principal, verb: "read", resource: "", path }).allowed;
    expect(ask("user:alice@example.com", "secret/data/alice-dev/db")).toBe(true);
    expect(ask("user:alice@example.com", "secret/data/alice-prod/db")).toBe(false);
    expect(ask("user:alice@example.com", "secret/data/bob-web/db")).toBe(false);
    expect(ask("user:bob@example.org", "secret/data/alice-dev/db")).toBe(false);
  });

  it("a namespace named after a platform path (the registry's own, reserved, the tenant prefix) is refused", () => {
    const env = exampleEnvironmentData();
    env.vault.tenantPaths = "per-namespace";
    let caught: unknown;
    try {
      registryOf(
        {
          alice: { email: "alice@example.com", namespaces: ["alice", "tenants"] },
          platform: { email: "p@example.com" },
        },
        env,
      );
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    const problems = (caught as InvalidInputError).problems.filter((p) =>
      p.message.includes("reserved Vault path"),
    );
    expect(problems.map((p) => [p.source, p.path])).toEqual([
      ["tenants/alice.yaml", ["namespaces", 1]],
      ["tenants/platform.yaml", []],
    ]);
    expect(problems[0]!.message).toContain("would grant secret/data/tenants/*");
    // the same names are harmless with per-tenant paths
    expect(() =>
      registryOf({ alice: { email: "alice@example.com", namespaces: ["alice", "tenants"] } }),
    ).not.toThrow();
  });
});

describe("per-namespace Vault paths: can-i through the CLI on the seed document", () => {
  let server: VaultServer;
  let tmp: string;
  const runs: Record<string, CliResult> = {};

  beforeAll(async () => {
    server = await startVaultServer({
      token: TOKEN,
      secrets: { platform: { k8s_users: K8S_USERS } },
      lifetimeMs: 170_000,
    });
    tmp = mkdtempSync(join(tmpdir(), "tenancy-per-ns-"));
    mkdirSync(join(tmp, "environments"));
    const env = parse(readFileSync(EXAMPLE_ENV_PATH, "utf8")) as { vault: { tenantPaths: string } };
    env.vault.tenantPaths = "per-namespace";
    writeFileSync(join(tmp, "environments", "seed.yaml"), stringify(env));
    const vaultEnv = { VAULT_ADDR: server.url, VAULT_TOKEN: TOKEN, VAULT_NAMESPACE: "" };
    const canI = (who: string, path: string) =>
      runCliAsync(["can-i", who, "read", "--path", path, "--env", "seed", "--source", "vault"], {
        cwd: tmp,
        env: vaultEnv,
      });
    const jobs: Record<string, Promise<CliResult>> = {
      own: canI("alice", "secret/data/alice-prod/db"),
      ownDev: canI("alice", "secret/data/alice-dev/app/config"),
      across: canI("alice", "secret/data/bob-web/db"),
      bobOwn: canI("bob", "secret/data/bob-web/db"),
      bobAcross: canI("bob", "secret/data/alice-prod/db"),
      tenantName: canI("alice", "secret/data/alice/db"),
    };
    for (const [name, job] of Object.entries(jobs)) runs[name] = await job;
  }, 170_000);

  afterAll(async () => {
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("yes for the user's own namespaces' paths, with the deciding rule", () => {
    for (const name of ["own", "ownDev", "bobOwn"]) {
      expect(runs[name]!.stderr, name).toBe("");
      expect(runs[name]!.code, name).toBe(0);
    }
    expect(runs.own!.stdout).toContain("secret/data/alice-prod/*");
  });

  it("no across tenants, and no path at the tenant's own name", () => {
    for (const name of ["across", "bobAcross", "tenantName"]) expect(runs[name]!.code, name).toBe(1);
    expect(runs.across!.stdout + runs.across!.stderr).toContain("secret/data/bob-web/db");
  });
});
