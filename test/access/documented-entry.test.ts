/**
 * Existing installations, as their own documentation writes them: a `k8s_users` map in `secret/platform`
 * whose entries have no email and the short quota spelling (`cpu`, `memory`, `storage`, `pods`), or the long
 * one; served by the local KV v2 server and run through the real CLI (`validate`, `plan --json`,
 * `access --json`) with an environment whose identity rule names users without an email. A record mixing the
 * two spellings is refused with the key. Admin entries get no namespace of their own.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { AccessRow } from "../../plan/access";
import type { Plan } from "../../plan/plan";
import { type CliResult, EXAMPLE_ENV_PATH, runCliAsync } from "../helpers/cli";
import { type VaultServer, startVaultServer } from "../helpers/vault-server";

const TOKEN = "hvs.documented-entry-token-7f3a";

/** The entry as the installation's documentation shows it, and an admin without namespaces. */
const DOCUMENTED = {
  alice: {
    role: "namespace-owner",
    namespaces: ["alice-prod", "alice-dev"],
    domains: ["alice.example.com", "app.alice.example.com"],
    quota: { cpu: "4", memory: "8Gi", storage: "20Gi", pods: "20" },
  },
  root: { role: "admin" },
};
/** The other spelling, as the same installations also write it. */
const LONG = {
  bob: {
    role: "namespace-owner",
    namespaces: ["bob-web"],
    quota: { cpu_requests: "2", memory_requests: "4Gi", memory_limits: "8Gi", pods: "10" },
  },
};
const MIXED = { carol: { namespaces: ["carol"], quota: { cpu: "2", memory_limits: "4Gi" } } };

let tmp: string;
const servers: VaultServer[] = [];
const runs: Record<string, CliResult> = {};

async function serve(users: unknown): Promise<VaultServer> {
  const server = await startVaultServer({
    token: TOKEN,
    secrets: { platform: { k8s_users: JSON.stringify(users) } },
    lifetimeMs: 170_000,
  });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  // the example environment with the installation's identity rule: user names are <id>@example.com
  tmp = mkdtempSync(join(tmpdir(), "tenancy-documented-"));
  mkdirSync(join(tmp, "environments"));
  const env = parse(readFileSync(EXAMPLE_ENV_PATH, "utf8")) as {
    oidc: Record<string, string>;
    tiers: { standard: { budget?: unknown } };
  };
  env.oidc.identityFromId = "{id}@example.com";
  delete env.tiers.standard.budget; // the installation sets per-namespace quotas only
  writeFileSync(join(tmp, "environments", "installation.yaml"), stringify(env));
  const [documented, long, mixed] = await Promise.all([serve(DOCUMENTED), serve(LONG), serve(MIXED)]);
  const run = (args: string[], server: VaultServer) =>
    runCliAsync([...args, "--env", "installation", "--source", "vault"], {
      cwd: tmp,
      env: { VAULT_ADDR: server.url, VAULT_TOKEN: TOKEN, VAULT_NAMESPACE: "" },
    });
  const jobs: Record<string, Promise<CliResult>> = {
    validate: run(["validate"], documented),
    plan: run(["plan", "--json"], documented),
    access: run(["access", "--json"], documented),
    long: run(["plan", "--json"], long),
    mixed: run(["validate"], mixed),
  };
  for (const [name, job] of Object.entries(jobs)) runs[name] = await job;
}, 170_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function ok(name: string): string {
  const r = runs[name]!;
  expect(r.stderr, `${name}: stderr`).toBe("");
  expect(r.code, `${name}: exit code`).toBe(0);
  expect(r.stdout).not.toContain(TOKEN);
  return r.stdout;
}
const resources = (name: string) => (JSON.parse(ok(name)) as Plan).stacks.flatMap((s) => s.resources);
const find = (name: string, kind: string, objectName: string) =>
  resources(name).find((r) => {
    const m = r.inputs.metadata as { name?: string; namespace?: string } | undefined;
    return r.inputs.kind === kind && (m?.namespace ? `${m.namespace}/${m.name}` : m?.name) === objectName;
  });

describe("an installation's documented k8s_users entry", () => {
  it("validates as it is", () => {
    expect(ok("validate")).toMatch(/^valid: 2 tenants, 2 namespaces, 2 domains/);
  });

  it("plans alice's namespaces with the short spelling's quota, and no namespace for the admin", () => {
    const quota = find("plan", "ResourceQuota", "alice-prod/tenant-quota")!;
    expect((quota.inputs.spec as { hard: Record<string, string> }).hard).toMatchObject({
      "requests.cpu": "4",
      "requests.memory": "8Gi",
      "requests.storage": "20Gi",
      pods: "20",
    });
    expect(find("plan", "Namespace", "alice-dev")).toBeDefined();
    const namespaces = resources("plan").filter((r) => r.inputs.kind === "Namespace");
    expect(namespaces.map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual([
      "alice-dev",
      "alice-prod",
    ]);
    // the identity rule named both: RBAC subjects and Vault aliases
    expect(find("plan", "RoleBinding", "alice-prod/tenant-owner")!.inputs.subjects).toEqual([
      { kind: "User", name: "oidc:alice@example.com", apiGroup: "rbac.authorization.k8s.io" },
    ]);
    const aliases = resources("plan").filter((r) => r.type === "vault:identity/entityAlias:EntityAlias");
    expect(aliases.map((a) => a.inputs.name).sort()).toEqual(["alice@example.com", "root@example.com"]);
  });

  it("access shows the identity each tenant got, the admin included though it has no namespace", () => {
    const rows = JSON.parse(ok("access")) as AccessRow[];
    expect(rows).toContainEqual(
      expect.objectContaining({
        principal: "user:alice@example.com",
        tenant: "alice",
        scope: "namespace:alice-prod",
        resource: "pods",
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        principal: "user:root@example.com",
        tenant: "root",
        scope: "cluster",
        via: "ClusterRoleBinding tenancy-tenant-root -> ClusterRole cluster-admin",
      }),
    );
    expect(rows.filter((r) => r.tenant === "root" && r.scope.startsWith("namespace:"))).toEqual([]);
  });

  it("the long spelling loads too", () => {
    const quota = find("long", "ResourceQuota", "bob-web/tenant-quota")!;
    expect((quota.inputs.spec as { hard: Record<string, string> }).hard).toMatchObject({
      "requests.cpu": "2",
      "requests.memory": "4Gi",
      "limits.memory": "8Gi",
      pods: "10",
    });
  });

  it("a record mixing the two spellings is refused, naming the key; nothing else is read", () => {
    const r = runs.mixed!;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      'vault:secret/platform#k8s_users.carol: quota.cpu: "cpu" is the short spelling and "memory_limits" the long one',
    );
  });
});
