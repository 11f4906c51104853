/**
 * End to end through the real CLI: the single-secret Vault KV layout (`secret/platform`, key `k8s_users`,
 * served by the local KV v2 server in this process) through `plan --json` and `access --json`, with the
 * example environment (prefixed policy layout) and with the legacy policy layout existing installations
 * use; and `access` on the example registry: ARCHITECTURE.md's row shape, `--tenant` usage errors, the table.
 * The CLI runs in child processes spawned asynchronously: a blocking spawn would freeze the server.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { z } from "zod";
import type { PolicyRule } from "../../components/vault/policy";
import type { AccessRow } from "../../plan/access";
import type { Plan } from "../../plan/plan";
import { capabilitiesOn } from "../../components/vault/acl";
import { type CliResult, EXAMPLE, EXAMPLE_ENV_PATH, ROOT, runCliAsync } from "../helpers/cli";
import { type VaultServer, startVaultServer } from "../helpers/vault-server";

const TOKEN = "hvs.e2e-token-never-printed-41c9";
const K8S_USERS = readFileSync(join(ROOT, "test", "fixtures", "vault", "k8s_users.json"), "utf8");

/** test/fixtures/vault/k8s_users.json, written out. */
const USERS = {
  alice: { email: "alice@example.com", namespaces: ["alice-dev", "alice-prod"], role: "namespace-owner" },
  bob: { email: "bob@example.org", namespaces: ["bob-web"], role: "namespace-owner" },
  carol: { email: "carol@example.com", namespaces: ["carol-a", "carol-b", "carol-c"], role: "power-user" },
  dave: { email: "dave@example.org", namespaces: ["dave"], role: "admin" },
};

function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = EXAMPLE): Promise<CliResult> {
  return runCliAsync(args, { cwd, env: { VAULT_NAMESPACE: "", ...env } });
}

/** ARCHITECTURE.md's `access --json` row: `tenant` absent (not null) for shared principals. */
const Row = z.strictObject({
  principal: z.string().regex(/^(user|group|vault-entity|vault-k8s-auth|vault-jwt):\S+$/),
  tenant: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .optional(),
  system: z.enum(["kubernetes", "vault", "dns"]),
  // the RBAC subject as the API server sees it (issue 27): kind, then the name with its prefix
  subject: z
    .string()
    .regex(/^(User|Group|ServiceAccount) \S+$/)
    .optional(),
  cluster: z.enum(["main", "eu-gpu", "us-east"]).optional(),
  scope: z.string().regex(/^(cluster|path|namespace:[a-z0-9]([-a-z0-9]*[a-z0-9])?|zone:[a-z0-9.-]+)$/),
  resource: z.string().min(1),
  apiGroup: z.string().optional(),
  resourceNames: z.array(z.string().min(1)).min(1).optional(),
  verbs: z.array(z.string().min(1)).min(1),
  via: z.string().min(1),
});

const OWNER_VIA = (ns: string) => `RoleBinding ${ns}/tenant-owner -> ClusterRole tenancy-namespace-owner`;
const KV_WRITE = ["create", "read", "update", "patch", "delete"];
const KV_META = ["list", "read", "delete"];

let server: VaultServer;
let tmp: string;
const vaultEnv = () => ({ VAULT_ADDR: server.url, VAULT_TOKEN: TOKEN });
const runs: Record<string, CliResult> = {};

beforeAll(async () => {
  server = await startVaultServer({
    token: TOKEN,
    secrets: { platform: { k8s_users: K8S_USERS, cloudflare_account: "0a1b2c" } },
    lifetimeMs: 170_000,
  });
  // an installation on the legacy policy layout: the example environment with `vault.tenantPaths: top-level`
  tmp = mkdtempSync(join(tmpdir(), "tenancy-e2e-"));
  mkdirSync(join(tmp, "environments"));
  const env = parse(readFileSync(EXAMPLE_ENV_PATH, "utf8")) as {
    vault: { tenantPaths: string };
  };
  env.vault.tenantPaths = "top-level";
  writeFileSync(join(tmp, "environments", "legacy.yaml"), stringify(env));

  const vault = ["--source", "vault"];
  const jobs: Record<string, Promise<CliResult>> = {
    plan: runCli(["plan", "--json", ...vault], vaultEnv()),
    access: runCli(["access", "--json", ...vault], vaultEnv()),
    legacyAccess: runCli(["access", "--json", "--env", "legacy", ...vault], vaultEnv(), tmp),
    example: runCli(["access", "--json"]),
    table: runCli(["access"]),
    nosuch: runCli(["access", "--tenant", "nosuch"]),
  };
  for (const [name, job] of Object.entries(jobs)) runs[name] = await job;
}, 170_000);

afterAll(async () => {
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function ok(name: string): string {
  const r = runs[name]!;
  expect(r.stderr, `${name}: stderr`).toBe("");
  expect(r.code, `${name}: exit code`).toBe(0);
  expect(r.stdout, `${name}: the token never shows`).not.toContain(TOKEN);
  return r.stdout;
}
const rowsOf = (name: string) => z.array(Row).parse(JSON.parse(ok(name))) as AccessRow[];
const vaultRules = (rows: AccessRow[], principal: string): PolicyRule[] =>
  rows
    .filter((r) => r.principal === principal && r.system === "vault")
    .map((r) => ({ path: r.resource, capabilities: r.verbs as PolicyRule["capabilities"] }));

describe("single-secret Vault registry, end to end", () => {
  it("the source was read from Vault: one read of secret/data/platform per run, with the token", () => {
    ok("plan");
    ok("access");
    ok("legacyAccess");
    expect(server.requests.map((r) => [r.method, r.path, r.token])).toEqual([
      ["GET", "secret/data/platform", TOKEN],
      ["GET", "secret/data/platform", TOKEN],
      ["GET", "secret/data/platform", TOKEN],
    ]);
  });

  it("plan --json: the users' namespaces, policies and deployers", () => {
    const plan = JSON.parse(ok("plan")) as Plan;
    expect(plan.environment).toBe("example");
    expect(plan.tenants).toEqual(["alice", "bob", "carol", "dave"]);
    const resources = plan.stacks.flatMap((s) => s.resources);
    const namespaces = resources
      .filter((r) => r.type === "kubernetes:core/v1:Namespace")
      .map((r) => [r.tenant, (r.inputs.metadata as { name: string }).name, r.protect]);
    expect(namespaces.sort()).toEqual(
      Object.entries(USERS)
        .flatMap(([id, u]) => u.namespaces.map((ns) => [id, ns, true]))
        .sort(),
    );
    const policies = Object.fromEntries(
      resources
        .filter((r) => r.type === "vault:index/policy:Policy")
        .map((r) => [r.inputs.name, JSON.parse(r.inputs.policy as string) as unknown]),
    );
    for (const [id, u] of Object.entries(USERS)) {
      expect(policies[`tenant-${id}`], id).toEqual({
        path: {
          [`secret/data/tenants/${id}/*`]: { capabilities: KV_WRITE },
          [`secret/metadata/tenants/${id}/*`]: { capabilities: KV_META },
          ...Object.fromEntries(
            u.namespaces.map((ns) => [`kubernetes/creds/${ns}-deployer`, { capabilities: ["update"] }]),
          ),
        },
      });
    }
    const aliases = resources
      .filter((r) => r.type === "vault:identity/entityAlias:EntityAlias")
      .map((r) => [r.tenant, r.inputs.name]);
    expect(aliases.sort()).toEqual(Object.entries(USERS).map(([id, u]) => [id, u.email]));
  });

  it("access --json: user:<email> rows for their namespaces and their Vault paths", () => {
    const rows = rowsOf("access");
    for (const [id, u] of Object.entries(USERS)) {
      const principal = `user:${u.email}`;
      const mine = rows.filter((r) => r.principal === principal);
      expect(new Set(mine.map((r) => r.tenant)), id).toEqual(new Set([id]));
      const scopes = new Set(mine.filter((r) => r.system === "kubernetes").map((r) => r.scope));
      for (const ns of u.namespaces) {
        expect(scopes, `${id} in ${ns}`).toContain(`namespace:${ns}`);
        expect(rows).toContainEqual({
          principal,
          tenant: id,
          system: "kubernetes",
          // the API server's username: the environment's oidc.usernamePrefix and the email
          subject: `User oidc:${u.email}`,
          cluster: "main",
          scope: `namespace:${ns}`,
          resource: "pods",
          apiGroup: "",
          verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
          via: OWNER_VIA(ns),
        });
      }
      expect(
        mine.filter((r) => r.system === "vault").map((r) => [r.scope, r.resource, r.verbs.join(), r.via]),
        id,
      ).toEqual([
        ["path", `secret/data/tenants/${id}/*`, KV_WRITE.join(), `entity ${id}: policy tenant-${id}`],
        ["path", `secret/metadata/tenants/${id}/*`, KV_META.join(), `entity ${id}: policy tenant-${id}`],
        ...u.namespaces.map((ns) => [
          "path",
          `kubernetes/creds/${ns}-deployer`,
          "update",
          `entity ${id}: policy tenant-${id}`,
        ]),
      ]);
    }
    // roles at cluster scope: the admin is cluster-admin
    expect(rows).toContainEqual({
      principal: "user:dave@example.org",
      tenant: "dave",
      system: "kubernetes",
      subject: "User oidc:dave@example.org",
      cluster: "main",
      scope: "cluster",
      resource: "*/*",
      apiGroup: "*",
      verbs: ["*"],
      via: "ClusterRoleBinding tenancy-tenant-dave -> ClusterRole cluster-admin",
    });
  });

  it("access --json with the legacy policy layout: secret/data/<user> and below, never the registry secret", () => {
    const rows = rowsOf("legacyAccess");
    for (const [id, u] of Object.entries(USERS)) {
      const principal = `user:${u.email}`;
      const paths = rows
        .filter((r) => r.principal === principal && r.system === "vault")
        .map((r) => r.resource);
      expect(paths, id).toEqual([
        `secret/data/${id}`,
        `secret/data/${id}/*`,
        `secret/metadata/${id}`,
        `secret/metadata/${id}/*`,
        ...u.namespaces.map((ns) => `kubernetes/creds/${ns}-deployer`),
      ]);
      const rules = vaultRules(rows, principal);
      expect(capabilitiesOn(rules, `secret/data/${id}/x`)).toEqual([...KV_WRITE].sort());
      for (const other of Object.keys(USERS).filter((o) => o !== id))
        expect(capabilitiesOn(rules, `secret/data/${other}`), `${id} on ${other}`).toEqual([]);
      expect(capabilitiesOn(rules, "secret/data/platform"), id).toEqual([]);
      expect(new Set(rows.filter((r) => r.principal === principal).map((r) => r.tenant))).toEqual(
        new Set([id]),
      );
    }
  });
});

describe("tenancy access on the example registry", () => {
  it("--json: rows of ARCHITECTURE.md's shape; tenant absent for shared principals", () => {
    const rows = rowsOf("example");
    expect(rows).toContainEqual({
      principal: "user:alice@example.com",
      tenant: "alice",
      system: "kubernetes",
      subject: "User oidc:alice@example.com",
      cluster: "eu-gpu",
      scope: "namespace:alice-dev",
      resource: "pods",
      apiGroup: "",
      verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
      via: "RoleBinding alice-dev/tenant-owner -> ClusterRole tenancy-namespace-owner",
    });
    // every key in ARCHITECTURE.md's order, `tenant` only where there is one; Kubernetes rows add their
    // cluster and API group (and the names a rule is limited to)
    for (const r of rows)
      expect(Object.keys(r)).toEqual([
        "principal",
        ...(r.tenant !== undefined ? ["tenant"] : []),
        "system",
        ...(r.system === "kubernetes" ? ["subject", "cluster"] : []),
        "scope",
        "resource",
        ...(r.system === "kubernetes" && !r.resource.startsWith("(") ? ["apiGroup"] : []),
        ...(r.resourceNames !== undefined ? ["resourceNames"] : []),
        "verbs",
        "via",
      ]);
    // the example has per-tenant CI only: no shared principal
    const shared = rows.filter((r) => r.tenant === undefined);
    expect(new Set(shared.map((r) => r.principal))).toEqual(new Set());
    for (const r of shared) expect(Object.keys(r)).not.toContain("tenant");
    expect(rows.some((r) => r.principal === "user:dave@example.com")).toBe(false);
  });

  it("--tenant nosuch is a usage error: exit 2, nothing on stdout", () => {
    const r = runs.nosuch!;
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("tenancy: no such tenant: nosuch\n");
  });

  it("the table: admin-rbac's header and a summary counting the same grants as --json", () => {
    const lines = ok("table").trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^CLUSTER\s+ADMIN\s+SUBJECT\s+TENANT\s+NAMESPACE\s+API GROUPS\s+RESOURCES\s+RESOURCE NAMES\s+VERBS\s+VIA$/,
    );
    const rows = rowsOf("example");
    expect(lines.at(-1)).toBe(
      `${rows.length} grants, ${new Set(rows.map((r) => r.principal)).size} principals`,
    );
    expect(
      lines.some((l) =>
        /^eu-gpu\s+user:alice@example\.com\s+User oidc:alice@example\.com\s+alice\s+alice-dev\s/.test(l),
      ),
    ).toBe(true);
  });

  it("the table's columns hold what their headers say", () => {
    const lines = ok("table").split("\n");
    const header = lines[0]!;
    // column starts from the header, whatever order the columns come in (two-word headers are one column)
    const starts = [...header.matchAll(/\S+( [A-Z]+)?/g)].map((m) => m.index);
    const line = lines.find(
      (l) =>
        l.startsWith("main ") &&
        l.includes("RoleBinding alice-dev/tenant-owner") &&
        l.includes(" rbac.authorization.k8s.io ") &&
        l.includes("deletecollection "),
    )!;
    expect(line).toBeDefined();
    const cell = (name: string) => {
      const start = header.indexOf(name);
      return line
        .slice(
          start,
          starts.find((s) => s > start),
        )
        .trim();
    };
    expect(cell("VERBS")).toBe("get,list,watch,create,update,patch,delete,deletecollection");
    expect(cell("VIA")).toBe("RoleBinding alice-dev/tenant-owner -> ClusterRole tenancy-namespace-owner");
    expect(cell("RESOURCES")).toBe("rolebindings, roles");
    expect(cell("API GROUPS")).toBe("rbac.authorization.k8s.io");
    expect(cell("NAMESPACE")).toBe("alice-dev");
    expect(cell("ADMIN")).toBe("user:alice@example.com");
    expect(cell("RESOURCE NAMES")).toBe("*");
  });
});
