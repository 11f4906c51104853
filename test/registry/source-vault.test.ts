/**
 * The Vault KV v2 source against a local server speaking the KV v2 API (test/helpers/vault-server.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  SINGLE_SECRET_QUOTA_KEYS,
  singleSecretDocuments,
  singleSecretTenantFile,
} from "../../registry/single-secret";
import type { RegistryModel, TenantDocument } from "../../registry/model";
import { ExternalError, InvalidInputError, UsageError } from "../../components/core/problems";
import { type VaultSourceOptions, loadVaultDocuments } from "../../registry/source-vault";
import { loadYamlDocuments } from "../../registry/source-yaml";
import { buildRegistry } from "../../registry/validate";
import { type CliResult, EXAMPLE_ENV_PATH, ROOT, runCliAsync } from "../helpers/cli";
import {
  type VaultServer,
  type VaultServerOptions,
  closedPort,
  envelope,
  startVaultServer,
} from "../helpers/vault-server";

const TOKEN = "hvs.TEST-token-must-never-be-printed-7f3a";
const FIXTURES = join(ROOT, "test", "fixtures", "vault");
const K8S_USERS = readFileSync(join(FIXTURES, "k8s_users.json"), "utf8");
const ENV_SOURCE = "environments/example.yaml";
const ENV_DOC = {
  name: "example",
  source: ENV_SOURCE,
  data: parse(readFileSync(EXAMPLE_ENV_PATH, "utf8")) as unknown,
};
const EXPECTED_ALL =
  'a JSON object mapping each user to their record, e.g. {"alice": {"role": "namespace-owner", "email": "alice@example.com", "namespaces": ["alice"], "domains": [], "quota": {"cpu_requests": "2"}}}';

const servers: VaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function vault(opts: Partial<VaultServerOptions> = {}): Promise<VaultServer> {
  const server = await startVaultServer({
    token: TOKEN,
    secrets: { platform: { k8s_users: K8S_USERS, cloudflare_account: "0a1b2c" } },
    ...opts,
  });
  servers.push(server);
  return server;
}

function options(server: VaultServer | string, over: Partial<VaultSourceOptions> = {}): VaultSourceOptions {
  return {
    addr: typeof server === "string" ? server : server.url,
    token: TOKEN,
    mount: "secret",
    layout: "single-secret",
    path: "platform",
    key: "k8s_users",
    timeoutMs: 2000,
    retries: 3,
    backoffMs: 5,
    ...over,
  };
}

/** The error a load fails with; whatever it is, it never carries the token. */
async function failure(opts: VaultSourceOptions): Promise<Error> {
  let error: unknown;
  try {
    await loadVaultDocuments(opts);
  } catch (e) {
    error = e;
  }
  expect(error, "expected the load to fail").toBeInstanceOf(Error);
  expect((error as Error).message).not.toContain(opts.token);
  expect((error as Error).stack).not.toContain(opts.token);
  return error as Error;
}

function withoutSource(model: RegistryModel) {
  return model.tenants.map(({ source: _source, ...rest }) => rest);
}

/** `count` tenants t01, t02, ... one secret each under `tenants/`, plus a folder that must be ignored. */
function perTenantSecrets(count: number): Record<string, Record<string, unknown>> {
  const secrets: Record<string, Record<string, unknown>> = {
    "tenants/archive/old-tenant": { email: "old@example.com" },
  };
  for (let i = 1; i <= count; i++) {
    const id = `t${String(i).padStart(2, "0")}`;
    secrets[`tenants/${id}`] = {
      email: `${id}@example.com`,
      namespaces: [id, `${id}-dev`],
      domains: [`${id}.example.org`],
      quota: { "requests.cpu": "2", pods: 30 },
    };
  }
  return secrets;
}

describe("Vault source, single-secret layout (existing installations)", () => {
  it("loads k8s_users into the same model as the equivalent YAML files", async () => {
    const server = await vault();
    const docs = await loadVaultDocuments(options(server));
    expect(docs.map((d) => [d.id, d.source])).toEqual([
      ["alice", "vault:secret/platform#k8s_users.alice"],
      ["bob", "vault:secret/platform#k8s_users.bob"],
      ["carol", "vault:secret/platform#k8s_users.carol"],
      ["dave", "vault:secret/platform#k8s_users.dave"],
    ]);
    const fromVault = buildRegistry(ENV_DOC, docs);
    const fromYaml = buildRegistry(ENV_DOC, loadYamlDocuments(join(FIXTURES, "legacy-tenants")));
    expect(fromYaml.tenants.map((t) => t.id)).toEqual(["alice", "bob", "carol", "dave"]);
    expect(withoutSource(fromVault)).toEqual(withoutSource(fromYaml));
    expect(fromVault.tenants.map((t) => t.source)).toEqual(docs.map((d) => d.source));
    // the legacy keys reached the Kubernetes keys, on top of the environment's defaults
    const bob = fromVault.tenants.find((t) => t.id === "bob")!;
    expect(bob.namespaces[0]!.quota).toEqual({
      "requests.cpu": "1500m",
      "limits.cpu": "2",
      "requests.memory": "3Gi",
      "limits.memory": "6Gi",
      "requests.storage": "20Gi",
      persistentvolumeclaims: "4",
      pods: "30",
      services: "8",
      "services.loadbalancers": "0",
      "services.nodeports": "0",
      "requests.ephemeral-storage": "2Gi",
      "limits.ephemeral-storage": "4Gi",
      "count/configmaps": "50",
      "count/secrets": "50",
      "count/replicationcontrollers": "0",
      "count/resourcequotas": "1",
    });
    expect(fromVault.tenants.find((t) => t.id === "carol")!.namespaces[2]!.quota["requests.storage"]).toBe(
      "5Gi",
    );
    // one read, with the token, at the KV v2 data path
    expect(server.requests).toEqual([
      { method: "GET", path: "secret/data/platform", list: false, token: TOKEN, namespace: undefined },
    ]);
  });

  it("accepts k8s_users stored as a JSON object rather than a string", async () => {
    const server = await vault({ secrets: { platform: { k8s_users: JSON.parse(K8S_USERS) } } });
    const asObject = await loadVaultDocuments(options(server));
    const asString = singleSecretDocuments(K8S_USERS, "vault:secret/platform#k8s_users");
    expect(asString.ok && asString.docs).toEqual(asObject);
  });

  it("honours another mount, path and key, and a VAULT_NAMESPACE", async () => {
    const server = await vault({
      mount: "kv",
      namespace: "team-a",
      secrets: { "infra/k8s": { users: K8S_USERS } },
    });
    const docs = await loadVaultDocuments(
      options(server, { mount: "kv", path: "/infra/k8s/", key: "users", namespace: "team-a" }),
    );
    expect(docs.map((d) => d.source)).toContain("vault:team-a/kv/infra/k8s#users.alice");
    expect(server.requests.map((r) => [r.path, r.namespace, r.token])).toEqual([
      ["kv/data/infra/k8s", "team-a", TOKEN],
    ]);
    // without the namespace this Vault does not know the token
    const e = await failure(options(server, { mount: "kv", path: "infra/k8s", key: "users" }));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: permission denied reading kv/data/infra/k8s: check VAULT_TOKEN and its policy (Vault says: permission denied)`,
    );
    expect(server.requests[1]!.namespace).toBeUndefined();
  });

  it("reports an unknown legacy quota key through the schema, located in Vault", async () => {
    const users = JSON.parse(K8S_USERS) as Record<string, { quota: Record<string, unknown> }>;
    users.alice!.quota.cpu_request = "1";
    const server = await vault({ secrets: { platform: { k8s_users: JSON.stringify(users) } } });
    const docs = await loadVaultDocuments(options(server));
    expect(() => buildRegistry(ENV_DOC, docs)).toThrow(InvalidInputError);
    try {
      buildRegistry(ENV_DOC, docs);
    } catch (e) {
      expect((e as InvalidInputError).problems).toEqual([
        {
          source: "vault:secret/platform#k8s_users.alice",
          path: ["quota", "cpu_request"],
          message: expect.stringMatching(/^unknown field "cpu_request"/),
        },
      ]);
    }
  });

  it.each([
    [
      "not valid JSON",
      { k8s_users: '{"alice": {"email": "alice@example.com",}}' },
      [
        {
          source: "vault:secret/platform#k8s_users",
          path: [],
          message: `is not valid JSON (got "{\\"alice\\": {\\"email\\": \\"alice@example.com\\",}}"); expected ${EXPECTED_ALL}`,
        },
      ],
    ],
    [
      "a JSON list",
      { k8s_users: '["alice"]' },
      [
        {
          source: "vault:secret/platform#k8s_users",
          path: [],
          message: `expected ${EXPECTED_ALL}, got a list (["alice"])`,
        },
      ],
    ],
    [
      "a number",
      { k8s_users: 42 },
      [{ source: "vault:secret/platform#k8s_users", path: [], message: `expected ${EXPECTED_ALL}, got 42` }],
    ],
    [
      "an empty object",
      { k8s_users: "{}" },
      [
        {
          source: "vault:secret/platform#k8s_users",
          path: [],
          message: `holds no users; expected ${EXPECTED_ALL} (an empty registry would remove every tenant)`,
        },
      ],
    ],
    [
      "users that are not objects",
      { k8s_users: '{"alice": "alice@example.com", "bob": null, "carol": {"email": "carol@example.com"}}' },
      [
        {
          source: "vault:secret/platform#k8s_users",
          path: ["alice"],
          message:
            'expected the user\'s record as a JSON object (role, email, namespaces, domains, quota), got "alice@example.com"',
        },
        {
          source: "vault:secret/platform#k8s_users",
          path: ["bob"],
          message:
            "expected the user's record as a JSON object (role, email, namespaces, domains, quota), got null",
        },
      ],
    ],
    [
      "missing",
      { users: K8S_USERS, cloudflare_account: "0a1b2c" },
      [
        {
          source: "vault:secret/platform#k8s_users",
          path: [],
          message:
            'the secret has no key "k8s_users" (its keys: users, cloudflare_account); expected "k8s_users" to hold the JSON registry mapping each user to their record',
        },
      ],
    ],
  ])("refuses k8s_users that is %s (InvalidInputError, exit 1)", async (_what, secret, problems) => {
    const server = await vault({ secrets: { platform: secret } });
    const e = await failure(options(server));
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as InvalidInputError).exitCode).toBe(1);
    expect((e as InvalidInputError).problems).toEqual(problems);
    expect(e.message.split("\n")[0]).toMatch(/^vault:secret\/platform#k8s_users: /);
  });
});

describe("Vault source, per-tenant layout", () => {
  it("lists the prefix, ignores folders, and reads at most `concurrency` secrets at once", async () => {
    const server = await vault({
      secrets: perTenantSecrets(20),
      faults: [{ path: /^secret\/data\/tenants\//, delayMs: 25 }],
    });
    const docs = await loadVaultDocuments(
      options(server, { layout: "per-tenant", path: "tenants", concurrency: 4 }),
    );
    expect(docs.map((d) => d.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `t${String(i + 1).padStart(2, "0")}`),
    );
    expect(docs[0]).toEqual({
      id: "t01",
      source: "vault:secret/tenants/t01",
      data: {
        email: "t01@example.com",
        namespaces: ["t01", "t01-dev"],
        domains: ["t01.example.org"],
        quota: { "requests.cpu": "2", pods: 30 },
      },
    });
    expect(server.maxInFlight).toBe(4);
    expect(server.requests[0]).toEqual({
      method: "GET",
      path: "secret/metadata/tenants/",
      list: true,
      token: TOKEN,
      namespace: undefined,
    });
    expect(server.requests.filter((r) => r.path.startsWith("secret/data/")).length).toBe(20);
    expect(server.count("secret/data/tenants/archive/")).toBe(0);
    const model = buildRegistry(ENV_DOC, docs);
    expect(model.tenants).toHaveLength(20);
    expect(model.tenants[19]!.source).toBe("vault:secret/tenants/t20");
  });

  it("reads 8 at once by default", async () => {
    const server = await vault({
      secrets: perTenantSecrets(20),
      faults: [{ path: /^secret\/data\/tenants\//, delayMs: 25 }],
    });
    const docs = await loadVaultDocuments(options(server, { layout: "per-tenant", path: "tenants" }));
    expect(docs).toHaveLength(20);
    expect(server.maxInFlight).toBe(8);
  });

  it("fails on the first tenant it cannot read, and starts no further reads", async () => {
    const server = await vault({
      secrets: perTenantSecrets(20),
      faults: [
        { path: "secret/data/tenants/t07", respond: "forbidden" },
        { path: /^secret\/data\/tenants\//, delayMs: 25 },
      ],
    });
    const e = await failure(options(server, { layout: "per-tenant", path: "tenants", concurrency: 4 }));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: permission denied reading secret/data/tenants/t07: check VAULT_TOKEN and its policy (Vault says: permission denied)`,
    );
    // t01-t04, then t05-t08 at most: nothing after the failure
    const reads = server.requests.filter((r) => r.path.startsWith("secret/data/")).map((r) => r.path);
    expect(reads).toContain("secret/data/tenants/t07");
    expect(reads.length).toBeLessThanOrEqual(8);
  });

  it("refuses a tenant whose latest version is deleted rather than dropping it", async () => {
    const server = await vault({ secrets: perTenantSecrets(3) });
    server.deleteSecret("tenants/t02");
    const e = await failure(options(server, { layout: "per-tenant", path: "tenants" }));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: secret/data/tenants/t02: the latest version of the secret is deleted (at 2024-05-01T10:00:00.000000Z); undelete it, or delete its metadata too if the tenant is meant to go`,
    );
  });

  it("an empty prefix is an error, never an empty registry", async () => {
    const server = await vault();
    const e = await failure(options(server, { layout: "per-tenant", path: "tenants" }));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: no tenants found under secret/metadata/tenants/ (the prefix holds no secrets); refusing to load an empty registry (check the mount and path)`,
    );
    expect(server.count("secret/metadata/tenants/")).toBe(1);
  });

  it("a prefix holding only folders is an error too", async () => {
    const server = await vault({ secrets: { "tenants/eu/alice": { email: "alice@example.com" } } });
    const e = await failure(options(server, { layout: "per-tenant", path: "tenants" }));
    expect(e.message).toBe(
      `Vault at ${server.url}: no tenants found under secret/metadata/tenants/ (only folders: eu/); refusing to load an empty registry (check the mount and path)`,
    );
  });

  it("a missing mount is not mistaken for an empty prefix", async () => {
    const server = await vault({ secrets: perTenantSecrets(2) });
    const e = await failure(options(server, { layout: "per-tenant", path: "tenants", mount: "kv" }));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: kv/metadata/tenants/ not found (check the mount and path) (Vault says: no handler for route "kv/metadata/tenants/". route entry not found.)`,
    );
  });

  it("permission denied on the list names the metadata path", async () => {
    const server = await vault({
      secrets: perTenantSecrets(2),
      faults: [{ path: "secret/metadata/tenants/", respond: "forbidden" }],
    });
    const e = await failure(options(server, { layout: "per-tenant", path: "tenants" }));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: permission denied listing secret/metadata/tenants/: check VAULT_TOKEN and its policy (Vault says: permission denied)`,
    );
  });
});

describe("Vault source failures (ExternalError, exit 4)", () => {
  it("403: permission denied, not retried", async () => {
    const server = await vault();
    const e = await failure(options(server, { token: "hvs.WRONG-token-also-secret-0000" }));
    expect(e).toBeInstanceOf(ExternalError);
    expect((e as ExternalError).exitCode).toBe(4);
    expect(e.message).toBe(
      `Vault at ${server.url}: permission denied reading secret/data/platform: check VAULT_TOKEN and its policy (Vault says: permission denied)`,
    );
    expect(server.count("secret/data/platform")).toBe(1);
    expect(server.requests[0]!.token).toBe("hvs.WRONG-token-also-secret-0000");
  });

  it("404: secret not found, not retried", async () => {
    const server = await vault({ secrets: {} });
    const e = await failure(options(server));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: secret/data/platform not found: no secret "platform" in the mount "secret", or "secret" is not a KV version 2 mount (check the mount and path)`,
    );
    expect(server.count("secret/data/platform")).toBe(1);
  });

  it("404: mount not found, with what Vault says", async () => {
    const server = await vault();
    const e = await failure(options(server, { mount: "kv" }));
    expect(e.message).toBe(
      `Vault at ${server.url}: kv/data/platform not found: no secret "platform" in the mount "kv", or "kv" is not a KV version 2 mount (check the mount and path) (Vault says: no handler for route "kv/data/platform". route entry not found.)`,
    );
  });

  it("503 sealed: reported at once, not retried", async () => {
    const server = await vault({ faults: [{ respond: "sealed" }] });
    const e = await failure(options(server));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: sealed (reading secret/data/platform); unseal it (vault operator unseal) and try again`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("503 from a standby is retried", async () => {
    const server = await vault({ faults: [{ times: 2, respond: "standby" }] });
    expect(await loadVaultDocuments(options(server))).toHaveLength(4);
    expect(server.count("secret/data/platform")).toBe(3);
  });

  it("malformed JSON in an answer", async () => {
    const server = await vault({ faults: [{ respond: "malformed" }] });
    const e = await failure(options(server));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform: the answer (HTTP 200) is not valid JSON: got "{\\"request_id\\":\\"0f0c\\",\\"data\\":{\\"data\\":{\\"k8s_users\\":\\"{\\\\\\"alice"`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("JSON that is not a KV v2 secret (a KV v1 mount answering)", async () => {
    const server = await vault({ secrets: { platform: { k8s_users: K8S_USERS } } });
    server.addFault({ respond: { status: 200 } }); // {"errors": []} with status 200
    const e = await failure(options(server));
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform: the answer is not a KV version 2 secret (expected {"data": {"data": {...}}}, got {"errors":[]}); is "secret" a KV version 2 mount?`,
    );
  });

  it("an answer slower than the timeout, retried then reported", async () => {
    const server = await vault({ faults: [{ delayMs: 5000 }] });
    const started = Date.now();
    const e = await failure(options(server, { timeoutMs: 100, retries: 1 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform failed after 2 attempts: no answer within 100 ms`,
    );
    expect(server.count("secret/data/platform")).toBe(2);
  });

  it("a slow answer within the timeout is fine", async () => {
    const server = await vault({ faults: [{ delayMs: 150 }] });
    expect(await loadVaultDocuments(options(server, { timeoutMs: 1000, retries: 0 }))).toHaveLength(4);
  });

  it("connection refused, after the retries", async () => {
    const addr = `http://127.0.0.1:${await closedPort()}`;
    const e = await failure(options(addr, { retries: 2 }));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${addr}: reading secret/data/platform failed after 3 attempts: connection refused (ECONNREFUSED); check VAULT_ADDR and that Vault is reachable from here`,
    );
  });

  it("500 that recovers within the retries succeeds", async () => {
    const server = await vault({
      faults: [{ times: 3, respond: { status: 500, errors: ["internal error"] } }],
    });
    const docs = await loadVaultDocuments(options(server, { retries: 3 }));
    expect(docs.map((d) => d.id)).toEqual(["alice", "bob", "carol", "dave"]);
    expect(server.count("secret/data/platform")).toBe(4);
  });

  it("500 forever fails after the retry count", async () => {
    const server = await vault({ faults: [{ respond: { status: 500, errors: ["internal error"] } }] });
    const e = await failure(options(server, { retries: 3 }));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform failed after 4 attempts: HTTP 500 (Vault says: internal error)`,
    );
    expect(server.count("secret/data/platform")).toBe(4);
  });

  it("backs off exponentially between retries", async () => {
    const server = await vault({ faults: [{ respond: { status: 502 } }] });
    const started = Date.now();
    await failure(options(server, { retries: 3, backoffMs: 40 }));
    // 40 + 80 + 160 ms of waiting
    expect(Date.now() - started).toBeGreaterThanOrEqual(270);
    expect(server.count("secret/data/platform")).toBe(4);
  });

  it("other 4xx are reported at once with what Vault says", async () => {
    const server = await vault({ faults: [{ respond: { status: 400, errors: ["invalid request"] } }] });
    const e = await failure(options(server));
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform: HTTP 400 (Vault says: invalid request)`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("names the namespace in failures, and leaves out whole anything Vault echoes with the token in it", async () => {
    const server = await vault({
      namespace: "team-a",
      faults: [{ respond: { status: 500, errors: [`bad token ${TOKEN}`] } }],
    });
    const e = await failure(options(server, { namespace: "team-a", retries: 0 }));
    expect(e.message).toBe(
      `Vault at ${server.url} (namespace "team-a"): reading secret/data/platform failed after 1 attempt: HTTP 500 (Vault says: <not shown: it contains the value of VAULT_TOKEN>)`,
    );
  });

  it("refuses unusable options before any request (UsageError, exit 2)", async () => {
    const server = await vault();
    const cases: [Partial<VaultSourceOptions>, string][] = [
      [
        { addr: "vault.example.com:8200" },
        'VAULT_ADDR "vault.example.com:8200" is not an http(s) URL; expected e.g. https://vault.example.com:8200',
      ],
      [
        { token: `${TOKEN}\n` },
        "VAULT_TOKEN is empty or contains spaces or control characters; expected the token alone",
      ],
      [
        { path: "tenants/../platform" },
        'Vault path "tenants/../platform" is not valid; expected names separated by "/", without empty, "." or ".." parts',
      ],
      [
        { namespace: "team a" },
        'VAULT_NAMESPACE "team a" contains spaces or control characters; expected a namespace path such as "team-a"',
      ],
      [{ concurrency: 0 }, "Vault source option concurrency is 0; expected a whole number >= 1"],
    ];
    for (const [over, message] of cases) {
      const e = await failure(options(server, over));
      expect(e).toBeInstanceOf(UsageError);
      expect(e.message).toBe(message);
    }
    expect(server.requests).toHaveLength(0);
  });
});

describe("legacy records", () => {
  it("maps every legacy quota key to its Kubernetes key and passes the rest through", () => {
    const quota = Object.fromEntries(Object.keys(SINGLE_SECRET_QUOTA_KEYS).map((k, i) => [k, String(i)]));
    delete quota.storage; // same target as storage_requests
    delete quota.cpu; // the short spelling: tested below
    delete quota.memory;
    quota["requests.cpu_typo"] = "1";
    const result = singleSecretTenantFile({ email: "a@example.com", role: "admin", extra: 1, quota }, "src");
    expect(result).toEqual({
      ok: true,
      data: {
        email: "a@example.com",
        role: "admin",
        extra: 1,
        // an admin's record gets no namespace of its own
        namespaces: [],
        quota: {
          "requests.cpu": "2",
          "limits.cpu": "3",
          "requests.memory": "4",
          "limits.memory": "5",
          "requests.storage": "6",
          pods: "8",
          services: "9",
          "services.loadbalancers": "10",
          "services.nodeports": "11",
          persistentvolumeclaims: "12",
          "requests.cpu_typo": "1",
        },
      },
    });
  });

  it("takes either spelling of an installation's quota keys, and refuses a record mixing them", () => {
    const short = singleSecretTenantFile(
      { quota: { cpu: "4", memory: "8Gi", storage: "20Gi", pods: "20" } },
      "src",
    );
    expect(short).toEqual({
      ok: true,
      data: {
        quota: { "requests.cpu": "4", "requests.memory": "8Gi", "requests.storage": "20Gi", pods: "20" },
      },
    });
    const long = singleSecretTenantFile(
      { quota: { cpu_requests: "4", memory_requests: "8Gi", memory_limits: "16Gi", pods: "20" } },
      "src",
    );
    expect(long).toEqual({
      ok: true,
      data: {
        quota: { "requests.cpu": "4", "requests.memory": "8Gi", "limits.memory": "16Gi", pods: "20" },
      },
    });
    expect(singleSecretTenantFile({ quota: { cpu: "4", memory_limits: "16Gi" } }, "src")).toEqual({
      ok: false,
      problems: [
        {
          source: "src",
          path: ["quota", "cpu"],
          message:
            '"cpu" is the short spelling and "memory_limits" the long one; write the record\'s quota in one of them (cpu, memory, storage, pods; or cpu_requests, cpu_limits, memory_requests, memory_limits, storage_requests, pods)',
        },
      ],
    });
    // a namespace owner (the default role) keeps its default namespace
    expect(singleSecretTenantFile({ role: "namespace-owner" }, "src")).toEqual({
      ok: true,
      data: { role: "namespace-owner" },
    });
  });

  it("refuses storage and storage_requests that disagree, accepts them when equal", () => {
    expect(singleSecretTenantFile({ quota: { storage_requests: "5Gi", storage: "10Gi" } }, "src")).toEqual({
      ok: false,
      problems: [
        {
          source: "src",
          path: ["quota", "storage"],
          message:
            '"10Gi" conflicts with storage_requests "5Gi": both set requests.storage; keep one of them',
        },
      ],
    });
    expect(singleSecretTenantFile({ quota: { storage_requests: "5Gi", storage: "5Gi" } }, "src")).toEqual({
      ok: true,
      data: { quota: { "requests.storage": "5Gi" } },
    });
  });

  it("leaves a quota that is not a mapping for the schema to report", () => {
    const docs = singleSecretDocuments(
      '{"alice": {"email": "alice@example.com", "quota": "big"}}',
      "vault:x#k",
    );
    expect(docs.ok).toBe(true);
    const problems = (() => {
      try {
        buildRegistry(ENV_DOC, (docs as { docs: TenantDocument[] }).docs);
      } catch (e) {
        return (e as InvalidInputError).problems;
      }
      return [];
    })();
    expect(problems).toEqual([
      { source: "vault:x#k.alice", path: ["quota"], message: 'expected a mapping, got "big"' },
    ]);
  });

  it("keeps a __proto__ key as data", () => {
    const docs = singleSecretDocuments(
      '{"alice": {"email": "a@example.com", "quota": {"__proto__": {"x": 1}}}}',
      "s",
    );
    expect(docs.ok).toBe(true);
    const quota = (docs as { docs: TenantDocument[] }).docs[0]!.data as { quota: object };
    expect(Object.getPrototypeOf(quota.quota)).toBe(Object.prototype);
    expect(Object.keys(quota.quota)).toEqual(["__proto__"]);
  });
});

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCliAsync(args, { env });
}

describe("tenancy validate --source vault", () => {
  const env = (server: VaultServer) => ({ VAULT_ADDR: server.url, VAULT_TOKEN: TOKEN, VAULT_NAMESPACE: "" });

  it("validates the single-secret registry: exit 0 and the summary line", async () => {
    const server = await vault();
    const r = await runCli(["validate", "--source", "vault"], env(server));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(
      "valid: 4 tenants, 7 namespaces, 5 domains, 0 members; environment example, registry vault",
    );
    expect(server.requests.map((r) => [r.path, r.token])).toEqual([["secret/data/platform", TOKEN]]);
  });

  it("exit 4 with a clear message on 403, the token never printed", async () => {
    const server = await vault({ secrets: { "tenancy/tenants/alice": { email: "alice@example.com" } } });
    server.addFault({ respond: "forbidden" });
    const r = await runCli(
      ["validate", "--source", "vault", "--vault-layout", "per-tenant", "--vault-path", "tenancy/tenants"],
      env(server),
    );
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `tenancy: Vault at ${server.url}: permission denied listing secret/metadata/tenancy/tenants/: check VAULT_TOKEN and its policy (Vault says: permission denied)\n`,
    );
    expect(r.stderr).not.toContain(TOKEN);
  });
});

/** `depth` arrays nested in one another: `[[[...]]]`. */
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const DEPTH_MESSAGE = "is nested more than 64 levels deep; expected plain data";

/** The problems of the InvalidInputError (exit 1) a load fails with. */
async function problemsOf(opts: VaultSourceOptions) {
  const e = await failure(opts);
  expect(e).toBeInstanceOf(InvalidInputError);
  expect((e as InvalidInputError).exitCode).toBe(1);
  return (e as InvalidInputError).problems;
}

describe("hostile Vault answers", () => {
  const perTenant = (server: VaultServer | string, over: Partial<VaultSourceOptions> = {}) =>
    options(server, { layout: "per-tenant", path: "tenants", ...over });
  const listing = (keys: unknown) => ({
    path: "secret/metadata/tenants/",
    respond: { body: JSON.stringify(envelope({ keys })) },
  });

  it("refuses a redirect to another origin without sending it the token", async () => {
    const other = await vault();
    const server = await vault({
      faults: [{ respond: { redirect: `${other.url}/v1/secret/data/platform`, status: 307 } }],
    });
    const e = await failure(options(server));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform: Vault answered HTTP 307, a redirect to "${other.url}/v1/secret/data/platform"; redirects are not followed, so that the token goes to VAULT_ADDR only: set VAULT_ADDR to the address that answers (the active node or the load balancer)`,
    );
    expect(other.requests).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("refuses a redirect on the same origin too, and never shows a user name and password in its target", async () => {
    const server = await vault({
      faults: [
        { path: "secret/data/platform", respond: { redirect: "http://admin:hunter2@127.0.0.1:9/v1/x" } },
      ],
    });
    const e = await failure(options(server));
    expect(e.message).toContain(
      'HTTP 302, a redirect to "http://127.0.0.1:9/v1/x"; redirects are not followed',
    );
    expect(e.message).not.toContain("hunter2");
    server.clearFaults();
    server.addFault({ respond: { redirect: "/v1/secret/data/platform2" } });
    const again = await failure(options(server));
    expect(again.message).toContain('a redirect to "/v1/secret/data/platform2"; redirects are not followed');
    expect(server.count("secret/data/platform2")).toBe(0);
  });

  it("leaves out a redirect target that carries the token", async () => {
    const server = await vault({ faults: [{ respond: { redirect: `http://127.0.0.1:9/?t=${TOKEN}` } }] });
    const e = await failure(options(server));
    expect(e.message).toContain("a redirect to <not shown: it contains the value of VAULT_TOKEN>;");
  });

  it("refuses every listed key that is not a tenant id before reading any secret", async () => {
    const server = await vault({
      secrets: perTenantSecrets(2),
      faults: [
        listing([
          "t01",
          "../platform",
          "a/b",
          "",
          "%2e%2e",
          "Alice",
          "x".repeat(64),
          "t02\u001b[2J",
          "../",
          "eu/",
          "%2e%2e",
        ]),
      ],
    });
    const problems = await problemsOf(perTenant(server));
    const rule =
      "which is not a valid tenant id (lowercase RFC 1123 label, at most 63 characters); every secret under this prefix is named after its tenant id, so nothing was read";
    expect(problems).toEqual(
      ["../platform", "a/b", "", "%2e%2e", "Alice", "x".repeat(64), "t02\u001b[2J"].map((key) => ({
        source: "vault:secret/tenants/",
        path: [],
        message: `Vault lists the key ${JSON.stringify(key)}, ${rule}`,
      })),
    );
    expect(server.requests.map((r) => r.path)).toEqual(["secret/metadata/tenants/"]);
  });

  it("skips folders whatever their names, and reads the tenants", async () => {
    const server = await vault({
      secrets: perTenantSecrets(2),
      faults: [listing(["../", "a/../", "t01", "t02", "%2e%2e/"])],
    });
    const docs = await loadVaultDocuments(perTenant(server));
    expect(docs.map((d) => d.id)).toEqual(["t01", "t02"]);
    expect(server.requests.map((r) => r.path)).toEqual([
      "secret/metadata/tenants/",
      "secret/data/tenants/t01",
      "secret/data/tenants/t02",
    ]);
  });

  it("refuses a user listed twice in k8s_users instead of keeping the last record", async () => {
    const server = await vault({
      secrets: {
        platform: {
          k8s_users:
            '{"alice": {"email": "alice@example.com"}, "bob": {"email": "bob@example.com"}, "alice": {"email": "mallory@example.com", "role": "admin"}}',
        },
      },
    });
    expect(await problemsOf(options(server))).toEqual([
      {
        source: "vault:secret/platform#k8s_users",
        path: ["alice"],
        message: 'duplicate key "alice"; a key may appear only once in an object',
      },
    ]);
  });

  it("refuses a field twice inside a record, even spelt with a JSON escape", async () => {
    const server = await vault({
      secrets: {
        platform: {
          k8s_users:
            '{"alice": {"role": "namespace-owner", "email": "a@example.com", "r\\u006fle": "admin"}}',
        },
      },
    });
    expect(await problemsOf(options(server))).toEqual([
      {
        source: "vault:secret/platform#k8s_users",
        path: ["alice", "role"],
        message: 'duplicate key "role"; a key may appear only once in an object',
      },
    ]);
  });

  it("refuses a duplicate key in Vault's answer itself, located in the secret", async () => {
    const server = await vault({
      secrets: perTenantSecrets(2),
      faults: [
        {
          path: "secret/data/tenants/t02",
          respond: {
            body: '{"data": {"data": {"email": "t02@example.com", "quota": {"pods": 1, "pods": 900}}, "metadata": {}}}',
          },
        },
      ],
    });
    expect(await problemsOf(perTenant(server))).toEqual([
      {
        source: "vault:secret/tenants/t02",
        path: ["quota", "pods"],
        message:
          'duplicate key "pods"; a key may appear only once in an object (in Vault\'s answer to reading secret/data/tenants/t02)',
      },
    ]);
  });

  it("refuses a user listed twice in k8s_users stored as a JSON object", async () => {
    const server = await vault({
      faults: [
        {
          respond: {
            body: '{"data": {"data": {"k8s_users": {"alice": {"email": "a@example.com"}, "alice": {}}}}}',
          },
        },
      ],
    });
    expect(await problemsOf(options(server))).toEqual([
      {
        source: "vault:secret/platform",
        path: ["k8s_users", "alice"],
        message:
          'duplicate key "alice"; a key may appear only once in an object (in Vault\'s answer to reading secret/data/platform)',
      },
    ]);
  });

  it("refuses 100000 nested arrays inside k8s_users with the path, not a stack overflow", async () => {
    const server = await vault({
      secrets: {
        platform: { k8s_users: `{"alice": {"email": "a@example.com", "namespaces": ${nested(100_000)}}}` },
      },
    });
    const problems = await problemsOf(options(server));
    expect(problems).toEqual([
      {
        source: "vault:secret/platform#k8s_users",
        path: ["alice", "namespaces", ...Array(62).fill(0)],
        message: DEPTH_MESSAGE,
      },
    ]);
  });

  it("refuses a user record that is 100000 nested arrays", async () => {
    const server = await vault({ secrets: { platform: { k8s_users: `{"alice": ${nested(100_000)}}` } } });
    const problems = await problemsOf(options(server));
    expect(problems[0]!.path.slice(0, 2)).toEqual(["alice", 0]);
    expect(problems[0]!.message).toBe(DEPTH_MESSAGE);
  });

  it("refuses deep nesting in Vault's answer itself (per-tenant secret, list)", async () => {
    const server = await vault({
      secrets: perTenantSecrets(1),
      faults: [
        {
          path: "secret/data/tenants/t01",
          respond: {
            body: `{"data": {"data": {"email": "t01@example.com", "namespaces": ${nested(100_000)}}}}`,
          },
        },
      ],
    });
    const problems = await problemsOf(perTenant(server));
    expect(problems).toEqual([
      {
        source: "vault:secret/tenants/t01",
        path: ["namespaces", ...Array(61).fill(0)],
        message: `${DEPTH_MESSAGE} (in Vault's answer to reading secret/data/tenants/t01)`,
      },
    ]);
    server.clearFaults();
    server.addFault({ respond: { body: `{"data": {"keys": ${nested(100_000)}}}` } });
    const listed = await problemsOf(perTenant(server));
    expect(listed[0]!.source).toBe("vault:secret/tenants/");
    expect(listed[0]!.path.slice(0, 3)).toEqual(["data", "keys", 0]);
    expect(listed[0]!.message).toBe(
      `${DEPTH_MESSAGE} (in Vault's answer to listing secret/metadata/tenants/)`,
    );
  });

  it("refuses an answer larger than 32 MiB (exit 4)", async () => {
    const server = await vault({
      faults: [{ respond: { body: Buffer.alloc(33 * 1024 * 1024, " ") } }],
    });
    const e = await failure(options(server));
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform: the answer (HTTP 200) is larger than 32 MiB, more than Vault accepts in a request; refusing to read it`,
    );
  });

  it("shows at most five of a secret's 100000 keys", async () => {
    const secret = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key${i}`, "v"]));
    const server = await vault({ secrets: { platform: secret } });
    const [problem, ...rest] = await problemsOf(options(server));
    expect(rest).toEqual([]);
    expect(problem!.message).toBe(
      'the secret has no key "k8s_users" (its keys: key0, key1, key2, key3, key4 and 99995 more); expected "k8s_users" to hold the JSON registry mapping each user to their record',
    );
  });

  it("shows at most five of 20000 folders", async () => {
    const folders = Array.from({ length: 20_000 }, (_, i) => `f${i}/`);
    const server = await vault({ faults: [listing(folders)] });
    const e = await failure(perTenant(server));
    expect(e.message).toBe(
      `Vault at ${server.url}: no tenants found under secret/metadata/tenants/ (only folders: f0/, f1/, f2/, f3/, f4/ and 19995 more); refusing to load an empty registry (check the mount and path)`,
    );
  });

  it("cuts a long error message from Vault", async () => {
    const server = await vault({ faults: [{ respond: { status: 400, errors: ["y".repeat(100_000)] } }] });
    const e = await failure(options(server));
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform: HTTP 400 (Vault says: ${"y".repeat(197)}...)`,
    );
  });

  it("refuses VAULT_ADDR with a user name and password, and never shows them (exit 2)", async () => {
    const server = await vault();
    const cases: [string, string][] = [
      [
        server.url.replace("http://", "http://admin:hunter2@"),
        `VAULT_ADDR "${server.url}" carries a user name or password before "@"; remove them (Vault authenticates with VAULT_TOKEN)`,
      ],
      [
        server.url.replace("http://", "http://hunter2@"),
        `VAULT_ADDR "${server.url}" carries a user name or password before "@"; remove them (Vault authenticates with VAULT_TOKEN)`,
      ],
      [
        "admin:hunter2@vault.example.com:8200",
        'VAULT_ADDR "vault.example.com:8200" is not an http(s) URL; expected e.g. https://vault.example.com:8200',
      ],
    ];
    for (const [addr, message] of cases) {
      const e = await failure(options(addr));
      expect(e).toBeInstanceOf(UsageError);
      expect(e.message).toBe(message);
      expect(e.message).not.toContain("hunter2");
    }
    expect(server.requests).toEqual([]);
  });

  it("with a one-character token, leaves Vault's text out rather than mangling the message", async () => {
    const server = await vault({
      token: "a",
      faults: [{ respond: { status: 500, errors: ["internal error: a token was refused"] } }],
    });
    // not `failure`: a one-character token is in almost any text, this message's own words included
    const e = await loadVaultDocuments(options(server, { token: "a", retries: 0 })).then(
      () => expect.unreachable(),
      (error: unknown) => error as ExternalError,
    );
    expect(e).toBeInstanceOf(ExternalError);
    expect(e.message).not.toContain("<token>");
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform failed after 1 attempt: HTTP 500 (Vault says: <not shown: it contains the value of VAULT_TOKEN>)`,
    );
    // a two-character token that Vault's text does not contain leaves it as it is
    server.clearFaults();
    server.addFault({ respond: { status: 400, errors: ["permission denied"] } });
    const two = await failure(options(server, { token: "zq" }));
    expect(two.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform: HTTP 400 (Vault says: permission denied)`,
    );
  });

  it("never shows a malformed answer, a listed key or a secret's key that carries the token", async () => {
    const server = await vault({ faults: [{ respond: { body: `{"token": "${TOKEN}", ` } }] });
    const e = await failure(options(server));
    expect(e.message).toBe(
      `Vault at ${server.url}: reading secret/data/platform: the answer (HTTP 200) is not valid JSON: got <not shown: it contains the value of VAULT_TOKEN>`,
    );
    server.clearFaults();
    server.addFault(listing([TOKEN, "t01"]));
    expect(await problemsOf(perTenant(server))).toEqual([
      {
        source: "vault:secret/tenants/",
        path: [],
        message:
          "Vault lists the key <not shown: it contains the value of VAULT_TOKEN>, which is not a valid tenant id (lowercase RFC 1123 label, at most 63 characters); every secret under this prefix is named after its tenant id, so nothing was read",
      },
    ]);
    server.clearFaults();
    server.setSecret("platform", { [TOKEN]: "x" });
    const [problem] = await problemsOf(options(server));
    expect(problem!.message).toBe(
      'the secret has no key "k8s_users" (its keys: <not shown: it contains the value of VAULT_TOKEN>); expected "k8s_users" to hold the JSON registry mapping each user to their record',
    );
    server.setSecret("platform", { k8s_users: `{"${TOKEN}": {}, "${TOKEN}": {}}` });
    expect(await problemsOf(options(server))).toEqual([
      {
        source: "vault:secret/platform#k8s_users",
        path: ["<not shown: it contains the value of VAULT_TOKEN>"],
        message: "<not shown: it contains the value of VAULT_TOKEN>",
      },
    ]);
  });
});
