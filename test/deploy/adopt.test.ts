/**
 * Adopting an existing installation: every resource kind's import id, pinned; the Vault identities that exist
 * found by name (against a local server speaking Vault's identity API); the adoption run taking them over.
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adoptionReport, importId } from "../../deploy/adopt";
import { runLayers } from "../../deploy/run";
import { lookupRecords } from "../../deploy/cloudflare-lookup";
import { lookupIdentities } from "../../deploy/vault-identity";
import { tenantDnsRecords } from "../../components/dns/policy";
import { type Plan, buildPlan, describeResource } from "../../plan/plan";
import type { RegistryModel } from "../../registry/model";
import { SafetyError } from "../../components/core/problems";
import { LAYERS } from "../../stacks/layers";
import { FakeEngine } from "../helpers/engine";
import { exampleWithSharedCi } from "../plan/registries";

let model: RegistryModel;
let plan: Plan;
beforeAll(async () => {
  model = exampleWithSharedCi(); // with the shared CI identity of existing installations
  plan = await buildPlan(model, LAYERS);
});

// the default cluster's (another cluster's objects carry the same names)
const resources = () =>
  plan.stacks.flatMap((s) => s.resources).filter((r) => (r.cluster ?? "main") === "main");
const one = (type: string, describedAs: string) => {
  const found = resources().filter((r) => r.type === type && describeResource(r) === describedAs);
  expect(found.length, `${type} ${describedAs}`).toBe(1);
  return found[0]!;
};

describe("import ids", () => {
  it.each([
    ["kubernetes:core/v1:Namespace", "Namespace alice-dev", "alice-dev"],
    ["kubernetes:core/v1:ResourceQuota", "ResourceQuota alice-dev/tenant-quota", "alice-dev/tenant-quota"],
    ["kubernetes:core/v1:LimitRange", "LimitRange alice-dev/tenant-limits", "alice-dev/tenant-limits"],
    [
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "NetworkPolicy alice-dev/tenancy-default-deny",
      "alice-dev/tenancy-default-deny",
    ],
    [
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
      "RoleBinding bob-prod/tenant-owner",
      "bob-prod/tenant-owner",
    ],
    [
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
      "ClusterRoleBinding tenancy-tenant-bob",
      "tenancy-tenant-bob",
    ],
    [
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
      "ClusterRole tenancy-power-user",
      "tenancy-power-user",
    ],
    [
      "kubernetes:rbac.authorization.k8s.io/v1:Role",
      "Role bob-prod/bob-prod-deployer",
      "bob-prod/bob-prod-deployer",
    ],
    [
      "kubernetes:core/v1:ConfigMap",
      "ConfigMap woodpecker/woodpecker-admins",
      "woodpecker/woodpecker-admins",
    ],
    ["vault:index/policy:Policy", "Policy tenant-bob", "tenant-bob"],
    [
      "vault:kubernetes/secretBackendRole:SecretBackendRole",
      "SecretBackendRole kubernetes/bob-prod-deployer",
      "kubernetes/roles/bob-prod-deployer",
    ],
    [
      "vault:kubernetes/authBackendRole:AuthBackendRole",
      "AuthBackendRole kubernetes/woodpecker-deployer",
      "auth/kubernetes/role/woodpecker-deployer",
    ],
    ["vault:jwt/authBackendRole:AuthBackendRole", "AuthBackendRole jwt/ci-bob", "auth/jwt/role/ci-bob"],
  ])("%s: %s is imported as %s", (type, describedAs, id) => {
    expect(importId(one(type, describedAs))).toBe(id);
  });

  it("covers every kind the plan creates; identities are looked up instead", () => {
    const kinds = new Set(
      resources()
        .filter((r) => !r.type.startsWith("pulumi:providers:"))
        .map((r) => r.type),
    );
    const derived = [...kinds].filter((t) => importId(resources().find((r) => r.type === t)!) !== undefined);
    // identities and DNS records have ids their systems gave them: looked up (below), not derived
    expect([...kinds].filter((t) => !derived.includes(t)).sort()).toEqual([
      "cloudflare:index/dnsRecord:DnsRecord",
      "vault:identity/entity:Entity",
      "vault:identity/entityAlias:EntityAlias",
    ]);
    expect(derived.length).toBe(20);
  });
});

/** A local Vault speaking the identity API: entities by name, entity lookup by alias. */
function identityServer() {
  const token = "s.adopt-token-never-printed";
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      requests.push(
        `${req.method} ${req.url} ${req.headers["x-vault-token"] === token ? "token" : "no-token"}`,
      );
      const send = (status: number, data?: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(data === undefined ? "" : JSON.stringify({ data }));
      };
      if (req.headers["x-vault-token"] !== token) return send(403);
      if (req.url === "/v1/identity/entity/name/alice") return send(200, { id: "ent-alice", name: "alice" });
      if (req.url?.startsWith("/v1/identity/entity/name/carol")) return send(403);
      if (req.url?.startsWith("/v1/identity/entity/name/")) return send(404);
      if (req.url === "/v1/identity/lookup/entity" && req.method === "POST") {
        const q = JSON.parse(body) as { alias_name: string; alias_mount_accessor: string };
        if (q.alias_name === "bob@example.com")
          // bob logged in before: Vault made him an entity of its own, with the alias
          return send(200, {
            id: "ent-auto-bob",
            name: "entity_1234",
            aliases: [
              { id: "alias-other", name: "bob@example.com", mount_accessor: "auth_userpass_9" },
              { id: "alias-bob", name: "bob@example.com", mount_accessor: q.alias_mount_accessor },
            ],
          });
        return send(204);
      }
      send(404);
    });
  });
  return { server, token, requests };
}

describe("looking up the identities that exist", () => {
  const vault = identityServer();
  let env: RegistryModel["environment"];
  beforeAll(async () => {
    await new Promise<void>((resolve) => vault.server.listen(0, "127.0.0.1", resolve));
    const port = (vault.server.address() as AddressInfo).port;
    env = {
      ...model.environment,
      vault: { ...model.environment.vault, address: `http://127.0.0.1:${port}` },
    };
  });
  afterAll(() => new Promise<void>((resolve) => vault.server.close(() => resolve())));

  it("finds entities by name, aliases by email on the OIDC mount, and says what it could not look up", async () => {
    const found = await lookupIdentities(env, model.tenants, { token: vault.token });
    expect(found.adoption).toEqual({
      entities: { alice: "ent-alice", bob: "ent-auto-bob" },
      aliases: { bob: "alias-bob" },
    });
    expect(Object.keys(found.failures)).toEqual(["vault:identity/entity:Entity:carol"]);
    expect(found.failures["vault:identity/entity:Entity:carol"]).toMatch(
      /^entity lookup at http:\/\/127\.0\.0\.1:\d+\/v1\/identity\/entity\/name\/carol failed: HTTP 403$/,
    );
    // every request carried the token to the environment's Vault, which it never printed; dave is offboarding
    expect(vault.requests.every((r) => r.endsWith(" token"))).toBe(true);
    expect(vault.requests.some((r) => r.includes("dave"))).toBe(false);
    expect(JSON.stringify(found)).not.toContain(vault.token);
  });

  it("the report says how each planned resource is taken over", async () => {
    const found = await lookupIdentities(env, model.tenants, { token: vault.token });
    const report = adoptionReport(plan.stacks, found.adoption, describeResource, found.failures);
    const line = (resource: string) => report.find((l) => l.resource === resource);
    expect(line("Entity alice")).toMatchObject({ how: "import", detail: "ent-alice" });
    expect(line("EntityAlias bob@example.com")).toMatchObject({ how: "import", detail: "alias-bob" });
    expect(line("EntityAlias alice@example.com")).toMatchObject({ how: "create" });
    expect(line("Entity carol")).toMatchObject({ how: "cannot" });
    expect(line("Namespace alice-dev")).toMatchObject({ how: "in place", detail: "id alice-dev" });
    expect(report.filter((l) => l.how === "cannot").length).toBe(1);
  });

  it("refuses to adopt one entity for two tenants", async () => {
    const twice = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { id: "ent-shared", aliases: [] } }));
    });
    await new Promise<void>((resolve) => twice.listen(0, "127.0.0.1", resolve));
    const address = `http://127.0.0.1:${(twice.address() as AddressInfo).port}`;
    await expect(
      lookupIdentities({ ...env, vault: { ...env.vault, address } }, model.tenants, { token: "t" }),
    ).rejects.toThrow(SafetyError);
    await new Promise<void>((resolve) => twice.close(() => resolve()));
  });
});

describe("looking up the DNS records that exist", () => {
  it("finds a record by zone, name, type and content, and imports it as <zone id>/<record id>", async () => {
    const token = "cf-token-never-printed";
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization === `Bearer ${token}` ? "token" : "no-token"}`);
      // the zone's records, one page of them; the broken zone cannot be listed
      const url = new URL(req.url!, "http://x");
      res.writeHead(url.pathname.includes("/zones/broken/") ? 500 : 200, {
        "content-type": "application/json",
      });
      const result = [
        { id: "rec-other", name: "www.example.com", type: "CNAME", content: "elsewhere.example.net" },
        {
          id: "rec-alice",
          name: "alice.example.com",
          type: "CNAME",
          content: "6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com",
        },
      ];
      res.end(JSON.stringify({ success: true, result, result_info: { page: 1, total_pages: 1 } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4/`;
    const records = model.tenants.flatMap((t) => tenantDnsRecords(model.environment, t));
    const broken = { ...records[0]!, hostname: "broken.example.com", zoneId: "broken" };
    const found = await lookupRecords([...records, broken], { token, api });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(found.ids).toEqual({
      "CNAME alice.example.com 6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com":
        "0123456789abcdef0123456789abcdef/rec-alice",
    });
    expect(Object.values(found.failures)).toEqual([
      expect.stringMatching(
        /^record lookup at http:\/\/127\.0\.0\.1:\d+ for CNAME broken\.example\.com failed: listing zone broken answered HTTP 500$/,
      ),
    ]);
    expect(seen.every((s) => s.startsWith("/client/v4/zones/") && s.endsWith(" token"))).toBe(true);
    expect(JSON.stringify(found)).not.toContain(token);
    // the report and the run take the found record over
    const report = adoptionReport(
      plan.stacks,
      { entities: {}, aliases: {}, dnsRecords: found.ids },
      describeResource,
    );
    expect(report.find((l) => l.resource.startsWith("DnsRecord CNAME alice.example.com"))).toMatchObject({
      how: "import",
      detail: "0123456789abcdef0123456789abcdef/rec-alice",
    });
    expect(report.find((l) => l.resource.startsWith("DnsRecord CNAME bob.example.com"))).toMatchObject({
      how: "create",
    });
  });
});

describe("the adoption run", () => {
  it("imports the found identities by id and lets Kubernetes objects that exist be taken over", async () => {
    const engine = new FakeEngine();
    const adoption = {
      entities: { alice: "ent-alice", bob: "ent-auto-bob" },
      aliases: { bob: "alias-bob" },
      dnsRecords: {
        "CNAME alice.example.com 6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com":
          "0123456789abcdef0123456789abcdef/rec-alice",
      },
      kubernetes: { upsert: "all" as const },
    };
    await runLayers("up", model, engine, { allowRemovals: false, allowHandover: false, adoption });
    const vault = engine.stacks.get("example-vault")!.resources;
    const imported = Object.fromEntries(vault.filter((r) => r.importId).map((r) => [r.name, r.importId]));
    expect(imported).toEqual({
      "alice-entity": "ent-alice",
      "bob-entity": "ent-auto-bob",
      "bob-alias": "alias-bob",
    });
    const dns = engine.stacks.get("example-dns")!.resources.filter((r) => r.importId);
    expect(dns.map((r) => [r.name, r.importId])).toEqual([
      ["alice.example.com-record", "0123456789abcdef0123456789abcdef/rec-alice"],
    ]);
    for (const stack of ["example-platform", "example-vault", "example-ci", "example-apps"]) {
      const providers = engine.stacks
        .get(stack)!
        .resources.filter((r) => r.type === "pulumi:providers:kubernetes");
      // one per cluster in the platform stack, the default cluster's elsewhere
      expect(providers.length, stack).toBe(stack === "example-platform" ? 3 : 1);
      for (const p of providers) expect(String(p.inputs.upsertExistingObjects), stack).toBe("true");
    }
    // and a normal run takes nothing over
    const normal = new FakeEngine();
    await runLayers("up", model, normal, { allowRemovals: false, allowHandover: false });
    expect(normal.stacks.get("example-vault")!.resources.filter((r) => r.importId)).toEqual([]);
    const provider = normal.stacks
      .get("example-platform")!
      .resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(provider.inputs.upsertExistingObjects).toBeUndefined();
  });
});
