/**
 * The Vault registry end to end (issue 27, item 7): `onboard`, `offboard` and `diff` with `--source vault`
 * through the real CLI against the local KV v2 server, on the seed document (test/fixtures/vault/k8s_users.json
 * in `secret/platform`). Writes carry check-and-set (the version read); a write made by another process between
 * a command's read and its write is refused by the server and nothing is written (exit 3); an invalid record is
 * never written; `diff --base <version>` compares an earlier KV version with the latest. The per-tenant layout
 * writes the tenant's own secret (check-and-set 0 to create).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, ROOT, runCliAsync } from "../helpers/cli";
import { type VaultServer, startVaultServer } from "../helpers/vault-server";

const TOKEN = "hvs.records-vault-token-9b1d";
const K8S_USERS = readFileSync(join(ROOT, "test", "fixtures", "vault", "k8s_users.json"), "utf8");
const ORIGINAL = JSON.parse(K8S_USERS) as Record<string, Record<string, unknown>>;

const servers: VaultServer[] = [];
async function serve(secrets: Record<string, Record<string, unknown>>): Promise<VaultServer> {
  const server = await startVaultServer({ token: TOKEN, secrets, lifetimeMs: 170_000 });
  servers.push(server);
  return server;
}
afterAll(async () => {
  for (const s of servers) await s.close();
});

function cli(server: VaultServer, args: string[]): Promise<CliResult> {
  return runCliAsync([...args, "--source", "vault"], {
    env: { VAULT_ADDR: server.url, VAULT_TOKEN: TOKEN, VAULT_NAMESPACE: "" },
  });
}
const users = (server: VaultServer, version?: number) =>
  JSON.parse(server.secret("platform", version)!.k8s_users as string) as Record<
    string,
    Record<string, unknown>
  >;
const writes = (server: VaultServer) =>
  server.requests
    .filter((r) => r.method === "POST")
    .map((r) => (JSON.parse(r.body!) as { options: { cas: number } }).options.cas);

describe("single-secret: onboard, offboard, diff", () => {
  let server: VaultServer;
  const runs: Record<string, CliResult> = {};

  beforeAll(async () => {
    server = await serve({ platform: { k8s_users: K8S_USERS, cloudflare_account: "0a1b2c" } });
    // one after another: each reads what the one before wrote
    runs.onboard = await cli(server, [
      "onboard",
      "erin",
      "--email",
      "erin@example.com",
      "--namespace",
      "erin-dev",
    ]);
    runs.again = await cli(server, ["onboard", "alice", "--email", "alice2@example.com"]);
    runs.invalid = await cli(server, [
      "onboard",
      "frank",
      "--email",
      "f@example.com",
      "--namespace",
      "bob-web",
    ]);
    runs.offboard = await cli(server, ["offboard", "bob"]);
    runs.offboardNs = await cli(server, ["offboard", "alice", "--namespace", "alice-dev"]);
    runs.offboardTwice = await cli(server, ["offboard", "bob"]);
    runs.diff = await cli(server, ["diff", "--base", "1", "--json"]);
    runs.diffBack = await cli(server, ["diff", "--base", "vault:~1"]);
    runs.diffNoSuch = await cli(server, ["diff", "--base", "99"]);
    runs.diffBad = await cli(server, ["diff", "--base", "origin/main"]);
  }, 170_000);

  it("onboard writes the new user into the one secret, with check-and-set on the version read", () => {
    expect(runs.onboard!.stderr).toBe("");
    expect(runs.onboard!.code).toBe(0);
    expect(runs.onboard!.stdout).toContain("wrote vault:secret/platform#k8s_users.erin (version 2)");
    expect(users(server, 2).erin).toEqual({
      role: "namespace-owner",
      email: "erin@example.com",
      namespaces: ["erin-dev"],
      domains: [],
    });
    // every other user and key as read
    const { erin: _erin, ...rest } = users(server, 2);
    expect(rest).toEqual(ORIGINAL);
    expect(server.secret("platform", 2)!.cloudflare_account).toBe("0a1b2c");
    expect(writes(server)[0]).toBe(1);
  });

  it("a user that exists, or an invalid registry, writes nothing", () => {
    expect(runs.again!.code).toBe(2);
    expect(runs.again!.stderr).toContain('has a user "alice" already');
    expect(runs.invalid!.code).toBe(1);
    expect(runs.invalid!.stderr).toContain("bob-web");
    // the two failures wrote no version: offboard bob wrote version 3
    expect(writes(server)).toEqual([1, 2, 3]);
  });

  it("offboard sets phase one in the user's record, or on one namespace; twice is no write", () => {
    expect(runs.offboard!.code).toBe(0);
    expect(runs.offboard!.stdout).toContain(
      "offboarding: true set in vault:secret/platform#k8s_users.bob (version 3)",
    );
    expect(users(server, 3).bob).toEqual({ ...ORIGINAL.bob, offboarding: true });
    expect(runs.offboardNs!.code).toBe(0);
    expect(users(server, 4).alice!.namespaces).toEqual([
      { name: "alice-dev", offboarding: true },
      "alice-prod",
    ]);
    expect(runs.offboardTwice!.code).toBe(0);
    expect(runs.offboardTwice!.stdout).toContain("is offboarding already");
    expect(server.version("platform")).toBe(4);
  });

  it("diff --base <version>: an earlier KV version against the latest", () => {
    expect(runs.diff!.stderr).not.toContain("internal error");
    const diff = JSON.parse(runs.diff!.stdout) as { base: string };
    expect(diff.base).toBe("1");
    expect(runs.diff!.stdout).toContain("erin-dev");
    // privileges rise (erin's namespace) or not, never a failure of the comparison
    expect([0, 6]).toContain(runs.diff!.code);
    expect(runs.diffBack!.stdout).toContain("vault:secret/platform#k8s_users version 3 -> version 4");
    expect(runs.diffBack!.stdout).toContain("alice-dev");
    expect(runs.diffNoSuch!.code).toBe(4);
    expect(runs.diffNoSuch!.stderr).toContain("no version 99");
    expect(runs.diffBad!.code).toBe(2);
    expect(runs.diffBad!.stderr).toContain("a KV version of the registry's secret");
  });
});

describe("check-and-set: a concurrent write", () => {
  it("is refused, exit 3, and nothing of the refused command is written", async () => {
    const server = await serve({ platform: { k8s_users: K8S_USERS } });
    // hold the first write until another process has read and written
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    server.addFault({ path: "secret/data/platform", method: "POST", times: 1, until: held });
    const onboard = cli(server, ["onboard", "erin", "--email", "erin@example.com"]);
    for (let i = 0; i < 600 && !server.requests.some((r) => r.method === "POST"); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(server.version("platform")).toBe(1);
    // the other process reads version 1 too, and writes version 2
    const other = await cli(server, ["offboard", "carol"]);
    expect(other.code).toBe(0);
    release();
    const refused = await onboard;
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(
      "vault:secret/platform was changed by someone else since it was read (check-and-set version 1; Vault refused the write (Vault says: check-and-set parameter did not match the current version)); nothing was written",
    );
    expect(refused.stderr).not.toContain(TOKEN);
    expect(writes(server)).toEqual([1, 1]);
    expect(server.version("platform")).toBe(2);
    expect(users(server).erin).toBeUndefined();
    expect(users(server).carol!.offboarding).toBe(true);
  }, 120_000);
});

describe("per-tenant layout", () => {
  it("onboard creates the tenant's secret (check-and-set 0), offboard writes its next version", async () => {
    const server = await serve({
      "tenants/alice": { email: "alice@example.com", namespaces: ["alice-dev"] },
    });
    const layout = ["--vault-layout", "per-tenant"];
    const onboard = await cli(server, ["onboard", "erin", "--email", "erin@example.com", ...layout]);
    expect(onboard.stderr).toBe("");
    expect(onboard.code).toBe(0);
    expect(server.secret("tenants/erin")).toEqual({ email: "erin@example.com" });
    const again = await cli(server, ["onboard", "erin", "--email", "erin@example.com", ...layout]);
    expect(again.code).toBe(2);
    const offboard = await cli(server, ["offboard", "alice", ...layout]);
    expect(offboard.code).toBe(0);
    expect(server.version("tenants/alice")).toBe(2);
    expect(server.secret("tenants/alice")).toEqual({
      email: "alice@example.com",
      namespaces: ["alice-dev"],
      offboarding: true,
    });
    expect(writes(server)).toEqual([0, 1]);
    const diff = await cli(server, ["diff", "--base", "1", ...layout]);
    expect(diff.code).toBe(2);
    expect(diff.stderr).toContain("a per-tenant registry has a version per tenant");
  }, 120_000);

  it("offboard --recursive: the tenant and every descendant, each with check-and-set, the deepest first", async () => {
    const server = await serve({
      "tenants/acme": { email: "acme@example.com", tier: "team" },
      "tenants/web": { email: "web@example.com", tier: "team", parent: "acme" },
      "tenants/api": { email: "api@example.com", tier: "team", parent: "web" },
      "tenants/other": { email: "other@example.com" },
    });
    const layout = ["--vault-layout", "per-tenant"];
    const alone = await cli(server, ["offboard", "acme", ...layout]);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain(
      "offboard the children first, or all at once with tenancy offboard acme --recursive",
    );
    expect(writes(server)).toEqual([]);
    const from = server.requests.length;
    const r = await cli(server, ["offboard", "acme", "--recursive", ...layout]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // the prefix is loaded once (another tenant's secret read once), each descendant's secret read on its own
    const reads = (id: string) =>
      server.requests.slice(from).filter((q) => q.method === "GET" && q.path.includes(`/data/tenants/${id}`));
    expect(reads("other")).toHaveLength(1);
    for (const t of ["acme", "web", "api"]) expect(server.secret(`tenants/${t}`)!.offboarding).toBe(true);
    expect(server.version("tenants/other")).toBe(1);
    // api, then web, then acme: a failure half way leaves a valid registry
    const posted = server.requests.filter((q) => q.method === "POST").map((q) => q.path);
    expect(posted.map((p) => p.split("/").at(-1))).toEqual(["api", "web", "acme"]);
    expect(writes(server)).toEqual([1, 1, 1]);
  }, 120_000);

  it("onboard writes the first tenant of an empty prefix; reading an empty prefix as the registry is still refused", async () => {
    const server = await serve({});
    const layout = ["--vault-layout", "per-tenant"];
    const validate = await cli(server, ["validate", ...layout]);
    expect(validate.code).toBe(4);
    expect(validate.stderr).toContain("refusing to load an empty registry");
    const onboard = await cli(server, ["onboard", "erin", "--email", "erin@example.com", ...layout]);
    expect(onboard.stderr).toBe("");
    expect(onboard.code).toBe(0);
    expect(server.secret("tenants/erin")).toEqual({ email: "erin@example.com" });
    expect(writes(server)).toEqual([0]);
    // an invalid first record is never written
    const invalid = await cli(server, ["onboard", "frank", "--email", "not-an-email", ...layout]);
    expect(invalid.code).not.toBe(0);
    expect(server.version("tenants/frank")).toBe(0);
    expect((await cli(server, ["validate", ...layout])).code).toBe(0);
  }, 120_000);
});
