/**
 * Tenant hooks (docs/hooks.md): where a tenant's hook may point, refused at validation with file and field and
 * again when it connects (a name resolving to a private address); delivery to loopback receivers with each
 * tenant's secret read from a loopback fake Vault, each receiver getting exactly its tenant's events signed with
 * its tenant's secret; a missing secret or a failing receiver kept in the outbox and sent by `events --resend`,
 * which reads the secret from Vault again.
 */
import { type LookupAddress, lookup as dnsLookup } from "node:dns";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { afterUp, queueEvents } from "../../cli/events";
import { InvalidInputError, formatProblem } from "../../components/core/problems";
import { type TenantEvent, tenantDigest, tenantEvents, verify } from "../../components/events/policy";
import {
  type Item,
  deliver,
  mergeOutbox,
  outboxPath,
  readOutbox,
  tenantFanOut,
  writeOutbox,
} from "../../deploy/events";
import type { RegistryModel } from "../../registry/model";
import type { TenantFileInput } from "../../registry/schema";
import { runCliAsync } from "../helpers/cli";
import { LAYERS } from "../../stacks/layers";
import { accessMatrix } from "../../plan/access";
import { canI } from "../../plan/can-i";
import { buildPlan } from "../../plan/plan";
import { HOOK_SECRET, hookSecretPath } from "../../components/vault/policy";
import { VaultServer } from "../helpers/vault-server";
import { exampleEnvironmentData, registryOf } from "../plan/registries";

const AT = new Date("2026-12-07T12:00:00Z");
const TOKEN = "hvs.test-token-for-hooks";
const PLATFORM_SECRET = "platform-secret-for-tests";
const SECRETS: Record<string, string> = {
  alice: "alice-hook-secret-0123456789",
  bob: "bob-hook-secret-9876543210ab",
  carol: "carol-hook-secret-abcdefghij",
};

/** The problems of a registry that does not validate, as the CLI prints them. */
function problemsOf(
  tenants: Record<string, TenantFileInput>,
  env: unknown = exampleEnvironmentData(),
): string[] {
  try {
    registryOf(tenants, env);
  } catch (e) {
    if (e instanceof InvalidInputError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

const withHooks = (hooks: unknown, extra: object = {}) =>
  ({ alice: { email: "alice@example.com", hooks, ...extra } }) as unknown as Record<string, TenantFileInput>;

describe("tenant hooks at validation", () => {
  it("a public https hook is accepted; its events default to all three; hooks are no change of the tenant", () => {
    const model = registryOf(withHooks([{ url: "https://hooks.alice.example.org/tenancy" }]));
    expect(model.tenants[0]!.hooks).toEqual([
      {
        url: "https://hooks.alice.example.org/tenancy",
        events: ["tenant.onboarded", "tenant.changed", "tenant.offboarded"],
      },
    ]);
    // a tenant without hooks has none in its model, and naming hooks leaves the digest (what `up` tells) as it was
    const without = registryOf({ alice: { email: "alice@example.com" } });
    expect(without.tenants[0]).not.toHaveProperty("hooks");
    expect(tenantDigest(model.tenants[0]!, model.environment)).toBe(
      tenantDigest(without.tenants[0]!, without.environment),
    );
  });

  // each hostile URL, with the message the tenant reads (file and field)
  const refused: [string, string][] = [
    [
      "http://hooks.example.org/x",
      "is not an https URL (events.tenantHooks.allowHttp in environments/example.yaml allows plain http)",
    ],
    ["https://10.0.0.5/x", "names 10.0.0.5, a private address"],
    [
      "https://169.254.169.254/latest/meta-data",
      "names 169.254.169.254, a link-local address (cloud metadata lives there)",
    ],
    ["https://[::1]/x", "names ::1, a loopback address"],
    ["https://0x7f.1/x", "names 127.0.0.1, a loopback address"],
    ["https://2130706433/x", "names 127.0.0.1, a loopback address"],
    ["https://[::ffff:10.1.2.3]/x", "names 10.1.2.3, a private address"],
    ["https://100.64.0.7/x", "names 100.64.0.7, a carrier-grade NAT address (100.64.0.0/10)"],
    ["https://0.0.0.0/x", "names 0.0.0.0, the unspecified address"],
    ["https://192.0.2.10/x", "names 192.0.2.10, a reserved address"],
    ["https://[fd12::1]/x", "names fd12::1, a unique local address (fc00::/7)"],
    ["https://localhost/x", "names localhost, a name that stays on the machine or the site"],
    ["https://LOCALHOST./x", "names localhost, a name that stays on the machine or the site"],
    ["https://api.localhost/x", "names api.localhost, a name that stays on the machine or the site"],
    ["https://vault.internal/x", "names vault.internal, a name that stays on the machine or the site"],
    ["https://printer.local/x", "names printer.local, a name that stays on the machine or the site"],
    [
      "https://metadata/computeMetadata",
      "names metadata, a single-label name the runner's search domains would complete",
    ],
  ];
  it.each(refused)("refuses %s at hooks[0].url", (url, why) => {
    const problems = problemsOf(withHooks([{ url }]));
    const tail = why.startsWith("is not")
      ? ""
      : ": a tenant's hook may not point into the platform's networks (events.tenantHooks.allowHosts in environments/example.yaml lists the exceptions)";
    expect(problems).toEqual([`tenants/alice.yaml: hooks[0].url: ${JSON.stringify(url)} ${why}${tail}`]);
  });

  it("refuses an address in the environment's reserved ranges, credentials in the URL, a sixth hook, a URL twice, an event type twice", () => {
    const env = exampleEnvironmentData();
    env.network.reserved = ["52.0.0.0/8"];
    expect(problemsOf(withHooks([{ url: "https://52.1.2.3/x" }]), env)).toEqual([
      "tenants/alice.yaml: hooks[0].url: \"https://52.1.2.3/x\" names 52.1.2.3, in 52.0.0.0/8, a range reserved by the environment (network.reserved): a tenant's hook may not point into the platform's networks (events.tenantHooks.allowHosts in environments/example.yaml lists the exceptions)",
    ]);
    expect(problemsOf(withHooks([{ url: "https://user:pw@hooks.example.org/x" }]))).toEqual([
      "tenants/alice.yaml: hooks[0].url: carries a user name or password: put no credentials in a hook's URL (its events are signed)",
    ]);
    const six = Array.from({ length: 6 }, (_, i) => ({ url: `https://h${i}.example.org/` }));
    expect(problemsOf(withHooks(six))).toEqual(["tenants/alice.yaml: hooks: at most 5 hooks per tenant"]);
    expect(
      problemsOf(withHooks([{ url: "https://h.example.org/" }, { url: "https://h.example.org/" }])),
    ).toEqual(['tenants/alice.yaml: hooks[1].url: "https://h.example.org/" is listed twice']);
    expect(
      problemsOf(
        withHooks([{ url: "https://h.example.org/", events: ["tenant.changed", "tenant.changed"] }]),
      ),
    ).toEqual(["tenants/alice.yaml: hooks[0].events: lists an event type twice"]);
    expect(problemsOf(withHooks([{ url: "https://h.example.org/", events: ["tenant.deleted"] }]))[0]).toMatch(
      /^tenants\/alice\.yaml: hooks\[0\]\.events\[0\]: /,
    );
  });

  it("the environment decides: hooks off, allowHosts and allowHttp; per-namespace Vault paths need a namespace", () => {
    const off = exampleEnvironmentData();
    off.events = { tenantHooks: { enabled: false } };
    expect(problemsOf(withHooks([{ url: "https://h.example.org/" }]), off)).toEqual([
      'tenants/alice.yaml: hooks: tenant hooks are not enabled in environment "example" (events.tenantHooks.enabled in environments/example.yaml); leave hooks out',
    ]);
    const allowing = exampleEnvironmentData();
    allowing.events = { tenantHooks: { allowHosts: ["10.0.0.5", "hooks.corp.internal"], allowHttp: true } };
    const hooks = [
      { url: "http://10.0.0.5:8080/x" },
      { url: "https://hooks.corp.internal/x" },
      { url: "https://10.0.0.6/x" },
    ];
    expect(problemsOf(withHooks(hooks), allowing)).toEqual([
      expect.stringMatching(
        /^tenants\/alice\.yaml: hooks\[2\]\.url: "https:\/\/10\.0\.0\.6\/x" names 10\.0\.0\.6, a private address/,
      ),
    ]);
    const wildcard = exampleEnvironmentData();
    wildcard.events = { tenantHooks: { allowHosts: ["*.corp.internal"] } };
    expect(problemsOf({}, wildcard)).toEqual([
      'environments/example.yaml: events.tenantHooks.allowHosts[0]: "*.corp.internal" is not a host name or an IP address (no wildcard)',
    ]);
    const perNs = exampleEnvironmentData();
    perNs.vault.tenantPaths = "per-namespace";
    expect(problemsOf(withHooks([{ url: "https://h.example.org/" }], { namespaces: [] }), perNs)).toEqual([
      "tenants/alice.yaml: hooks: the hooks' signing secret lives under the tenant's first namespace (vault.tenantPaths per-namespace in environments/example.yaml), and this tenant has none",
    ]);
  });
});

/** A receiver recording each request's body and signature; answers `status` (200 unless set). */
function recorder(status = () => 200) {
  const got: { body: string; signature: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ body, signature: String(req.headers["x-tenancy-signature"]) });
      res.writeHead(status()).end();
    });
  });
  return { server, got };
}

const servers: Server[] = [];
async function serve(server: Server, port = 0): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** The platform stack's outputs as an up left them for this model. */
function applied(model: RegistryModel): Record<string, unknown> {
  return {
    tenants: Object.fromEntries(
      model.tenants.map((t) => [
        t.id,
        {
          namespaces: t.namespaces.map((n) => n.name),
          offboarding: t.offboarding,
          digest: tenantDigest(t, model.environment),
        },
      ]),
    ),
  };
}

/** An environment whose tenant hooks may reach the loopback receivers, with a platform webhook, on the fake Vault. */
function hookEnv(vault: string, platformUrl?: string) {
  const env = exampleEnvironmentData();
  env.vault.address = vault;
  env.events = {
    ...(platformUrl ? { webhooks: [{ url: platformUrl, secretEnv: "HOOK_SECRET" }] } : {}),
    attempts: 2,
    timeoutSeconds: 2,
    tenantHooks: { allowHosts: ["127.0.0.1"], allowHttp: true },
  };
  return env;
}

describe("delivery to tenant hooks", () => {
  let vault: VaultServer;
  let dir: string;
  const cwd = process.cwd();
  beforeAll(async () => {
    vault = await new VaultServer({
      token: TOKEN,
      lifetimeMs: 120_000,
      secrets: {
        "tenants/alice/tenancy-hooks": { secret: SECRETS.alice },
        "tenants/bob/tenancy-hooks": { secret: SECRETS.bob },
      },
    }).listen();
    dir = mkdtempSync(join(tmpdir(), "tenancy-hooks-"));
    process.chdir(dir);
    process.env.VAULT_TOKEN = TOKEN;
    process.env.HOOK_SECRET = PLATFORM_SECRET;
    process.env.TENANCY_EVENTS_BACKOFF_MS = "5";
  });
  afterAll(async () => {
    process.chdir(cwd);
    delete process.env.VAULT_TOKEN;
    rmSync(dir, { recursive: true, force: true });
    await vault.close();
  });

  it("two tenants each with a hook: each receiver gets exactly its tenant's events, signed with its tenant's secret; the platform gets all", async () => {
    const a = recorder();
    const b = recorder();
    const p = recorder();
    const env = hookEnv(vault.url, await serve(p.server));
    const tenants: Record<string, TenantFileInput> = {
      alice: { email: "alice@example.com", hooks: [{ url: await serve(a.server) }] },
      // bob hears of changes and offboarding only
      bob: {
        email: "bob@example.com",
        hooks: [{ url: await serve(b.server), events: ["tenant.changed", "tenant.offboarded"] }],
      },
      dave: { email: "dave@example.com" },
    };
    const first = registryOf(tenants, env);
    const r1 = await afterUp(first, undefined, AT);
    expect(r1!.failed).toEqual([]);
    // each tenant changes: alice a domain, bob offboards, dave a domain
    const next = structuredClone(tenants);
    next.alice!.domains = ["alice.example.com"];
    next.bob!.offboarding = true;
    next.dave!.domains = ["dave.example.com"];
    const r2 = await afterUp(registryOf(next, env), applied(first), AT);
    expect(r2!.failed).toEqual([]);

    const seen = (got: { body: string }[]) =>
      got.map((g) => JSON.parse(g.body) as TenantEvent).map((e) => `${e.type} ${e.tenant}`);
    expect(seen(a.got)).toEqual(["tenant.onboarded alice", "tenant.changed alice"]);
    expect(seen(b.got)).toEqual(["tenant.offboarded bob"]);
    expect(seen(p.got).sort()).toEqual(
      [
        "tenant.onboarded alice",
        "tenant.onboarded bob",
        "tenant.onboarded dave",
        "tenant.changed alice",
        "tenant.offboarded bob",
        "tenant.changed dave",
      ].sort(),
    );
    // signed with the tenant's own secret, never another tenant's or the platform's
    for (const [who, got] of [
      ["alice", a.got],
      ["bob", b.got],
    ] as const)
      for (const g of got) {
        expect(verify(g.body, g.signature, SECRETS[who]!), who).toBe(true);
        for (const other of [...Object.values(SECRETS).filter((s) => s !== SECRETS[who]), PLATFORM_SECRET])
          expect(verify(g.body, g.signature, other), who).toBe(false);
      }
    for (const g of p.got) expect(verify(g.body, g.signature, PLATFORM_SECRET)).toBe(true);
    // the secrets were read from the tenants' own KV paths, once per tenant and run
    const reads = vault.requests.filter((r) => r.method === "GET").map((r) => r.path);
    expect(reads.sort()).toEqual([
      "secret/data/tenants/alice/tenancy-hooks",
      "secret/data/tenants/alice/tenancy-hooks",
      "secret/data/tenants/bob/tenancy-hooks",
    ]);
    expect(vault.requests.every((r) => r.token === TOKEN)).toBe(true);
  });

  it("a missing secret waits in the outbox (never sent unsigned); a failing receiver too; --resend reads the secrets again and delivers both", async () => {
    const c = recorder();
    let bobUp = false;
    const b = recorder(() => (bobUp ? 200 : 503));
    const env = hookEnv(vault.url);
    const tenants: Record<string, TenantFileInput> = {
      bob: { email: "bob@example.com", hooks: [{ url: await serve(b.server) }] },
      carol: { email: "carol@example.com", hooks: [{ url: await serve(c.server) }] },
    };
    const model = registryOf(tenants, env);
    const report = await afterUp(model, undefined, AT);
    expect(report!.delivered).toEqual([]);
    const outbox = outboxPath("example");
    const kept = readOutbox(outbox);
    kept.sort((x, y) => x.event.tenant.localeCompare(y.event.tenant));
    expect(kept.map((p) => [p.tenantHook?.tenant, p.attempts])).toEqual([
      ["bob", 2],
      ["carol", 0],
    ]);
    expect(kept[0]!.error).toBe("answered 503");
    expect(kept[1]!.error).toMatch(
      /^tenant carol's hook secret \(secret\/data\/tenants\/carol\/tenancy-hooks, key secret\) could not be read, so nothing was sent: Vault at http:\/\/127\.0\.0\.1:\d+: secret\/data\/tenants\/carol\/tenancy-hooks not found/,
    );
    // the entry says whose hook it is and where its secret is read, not an environment variable
    expect(kept[1]).toMatchObject({
      tenantHook: {
        tenant: "carol",
        vault: { mount: "secret", path: "tenants/carol/tenancy-hooks", key: "secret" },
      },
    });
    expect(kept[1]).not.toHaveProperty("secretEnv");
    expect(c.got).toEqual([]);

    // the registry as files, for the command; bob's receiver back, carol writes her secret, bob rotates his
    mkdirSync(join(dir, "environments"), { recursive: true });
    mkdirSync(join(dir, "tenants"), { recursive: true });
    writeFileSync(join(dir, "environments/example.yaml"), stringify(env));
    for (const [id, t] of Object.entries(tenants))
      writeFileSync(join(dir, `tenants/${id}.yaml`), stringify(t));
    bobUp = true;
    vault.setSecret("tenants/carol/tenancy-hooks", { secret: SECRETS.carol });
    const rotated = "bob-rotated-secret-0000000000";
    vault.setSecret("tenants/bob/tenancy-hooks", { secret: rotated });
    const sent = await runCliAsync(["events", "--resend"], {
      cwd: dir,
      env: { VAULT_TOKEN: TOKEN, TENANCY_EVENTS_BACKOFF_MS: "5" },
    });
    expect(sent.stderr).toBe("");
    expect(sent.stdout).toMatch(/^events: 2 delivered$/m);
    expect(sent.code).toBe(0);
    expect(readOutbox(join(dir, outbox))).toEqual([]);
    const last = (got: { body: string; signature: string }[]) => got[got.length - 1]!;
    expect(JSON.parse(c.got[0]!.body)).toMatchObject({ type: "tenant.onboarded", tenant: "carol" });
    expect(verify(c.got[0]!.body, c.got[0]!.signature, SECRETS.carol!)).toBe(true);
    // bob's was signed with the secret Vault holds now: read again, not remembered
    expect(JSON.parse(last(b.got).body)).toMatchObject({ tenant: "bob" });
    expect(verify(last(b.got).body, last(b.got).signature, rotated)).toBe(true);
  });

  it("an up failing after the platform layer keeps tenant hooks' events unsent, with whose hook and where its secret is", () => {
    const env = hookEnv(vault.url);
    const model = registryOf(
      {
        alice: { email: "alice@example.com", hooks: [{ url: "https://a.example.org/" }] },
        bob: { email: "bob@example.com" },
      },
      env,
    );
    const outbox = outboxPath("example");
    rmSync(outbox, { force: true });
    queueEvents(model, undefined, "the up failed after the platform layer was applied");
    expect(readOutbox(outbox)).toEqual([
      {
        url: "https://a.example.org/",
        tenantHook: {
          tenant: "alice",
          vault: { mount: "secret", path: "tenants/alice/tenancy-hooks", key: "secret" },
        },
        event: expect.objectContaining({ type: "tenant.onboarded", tenant: "alice" }),
        attempts: 0,
        error: "not sent: the up failed after the platform layer was applied",
      },
    ]);
    rmSync(outbox, { force: true });
  });

  it("--resend drops an entry whose tenant no longer names the hook, saying so", async () => {
    const env = hookEnv(vault.url);
    const tenants = { alice: { email: "alice@example.com" } };
    mkdirSync(join(dir, "environments"), { recursive: true });
    writeFileSync(join(dir, "environments/example.yaml"), stringify(env));
    rmSync(join(dir, "tenants"), { recursive: true, force: true });
    mkdirSync(join(dir, "tenants"));
    writeFileSync(join(dir, "tenants/alice.yaml"), stringify(tenants.alice));
    const event = tenantEvents(undefined, registryOf(tenants, env), AT)[0]!;
    writeOutbox(join(dir, outboxPath("example")), [
      {
        url: "https://hooks.alice.example.org/x",
        tenantHook: {
          tenant: "alice",
          vault: { mount: "secret", path: "tenants/alice/tenancy-hooks", key: "secret" },
        },
        event,
        attempts: 3,
        error: "answered 500",
      },
    ]);
    const r = await runCliAsync(["events", "--resend"], { cwd: dir, env: { VAULT_TOKEN: TOKEN } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "dropped: https://hooks.alice.example.org/x is no longer a hook of tenant alice for tenant.onboarded in environment example\n",
    );
  });
});

describe("delivery-time refusal: the address connected to is checked", () => {
  const EVENT = tenantEvents(undefined, registryOf({ alice: { email: "alice@example.com" } }), AT)[0]!;
  const ref = {
    tenant: "alice",
    vault: { mount: "secret", path: "tenants/alice/tenancy-hooks", key: "secret" },
  };
  const item = (url: string): Item => ({ url, tenantHook: ref, event: EVENT, attempts: 0 });
  const opts = (extra: object = {}) => ({
    attempts: 3,
    timeoutMs: 2000,
    backoffMs: 5,
    tenantSecret: async () => SECRETS.alice!,
    tenantHosts: { allowHosts: [] as string[], reserved: [] as string[] },
    ...extra,
  });
  /** A resolver that knows one public-looking name, pointing it at `addresses`. */
  const resolving = (addresses: LookupAddress[]) =>
    ((host: string, options: object, cb: (e: Error | null, a: LookupAddress[]) => void) =>
      host === "hooks.example.com"
        ? cb(null, addresses)
        : dnsLookup(host, options as { all: true }, cb)) as unknown as typeof dnsLookup;

  it("a name that passed validation but resolves to 127.0.0.1 is refused when connecting, not retried; allowed, the same name is delivered", async () => {
    const r = recorder();
    const port = new URL(await serve(r.server)).port;
    const url = `http://hooks.example.com:${port}/hook`;
    const lookup = resolving([{ address: "127.0.0.1", family: 4 }]);
    const refused = await deliver([item(url)], opts({ lookup }));
    expect(refused.failed.map((p) => [p.error, p.attempts])).toEqual([
      [
        "refused: hooks.example.com resolves to 127.0.0.1, a loopback address, which tenant hooks may not reach",
        1,
      ],
    ]);
    expect(r.got).toEqual([]);
    // control: the same name and resolver, the host allowed by the environment: the receiver gets it
    const allowed = await deliver(
      [item(url)],
      opts({ lookup, tenantHosts: { allowHosts: ["hooks.example.com"], reserved: [] } }),
    );
    expect(allowed.failed).toEqual([]);
    expect(r.got).toHaveLength(1);
  });

  it("one private address among public ones is enough to refuse; so is an address in the environment's reserved ranges", async () => {
    const mixed = resolving([
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.8", family: 4 },
    ]);
    const r1 = await deliver([item("https://hooks.example.com/x")], opts({ lookup: mixed }));
    expect(r1.failed.map((p) => [p.error, p.attempts])).toEqual([
      [
        "refused: hooks.example.com resolves to 10.0.0.8, a private address, which tenant hooks may not reach",
        1,
      ],
    ]);
    const reserved = resolving([{ address: "52.1.2.3", family: 4 }]);
    const r2 = await deliver(
      [item("https://hooks.example.com/x")],
      opts({ lookup: reserved, tenantHosts: { allowHosts: [], reserved: ["52.0.0.0/8"] } }),
    );
    expect(r2.failed.map((p) => p.error)).toEqual([
      "refused: hooks.example.com resolves to 52.1.2.3, in 52.0.0.0/8, a range reserved by the environment (network.reserved), which tenant hooks may not reach",
    ]);
  });

  it("through the system's own resolver: localhost is refused; an address literal is refused without connecting", async () => {
    const r = recorder();
    const port = new URL(await serve(r.server)).port;
    const viaDns = await deliver([item(`http://localhost:${port}/hook`)], opts());
    expect(viaDns.failed[0]!.error).toMatch(
      /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address, which tenant hooks may not reach$/,
    );
    const literal = await deliver([item(`http://127.0.0.1:${port}/hook`)], opts());
    expect(literal.failed.map((p) => p.error)).toEqual([
      "refused: 127.0.0.1, a loopback address, which tenant hooks may not reach",
    ]);
    expect(r.got).toEqual([]);
    // control: the platform's own webhooks are trusted, as before: the same receiver gets the event
    const platform = await deliver(
      [{ url: `http://127.0.0.1:${port}/hook`, secretEnv: "S", event: EVENT, attempts: 0 }],
      { ...opts(), env: { S: PLATFORM_SECRET } },
    );
    expect(platform.failed).toEqual([]);
    expect(r.got).toHaveLength(1);
  });

  it("a tenant hook is never sent when its secret cannot be read, and no other secret stands in", async () => {
    const r = recorder();
    const url = await serve(r.server);
    const out = await deliver(
      [item(url)],
      opts({
        tenantHosts: { allowHosts: ["127.0.0.1"], reserved: [] },
        env: { HOOK_SECRET: PLATFORM_SECRET },
        tenantSecret: () => Promise.reject(new Error("permission denied")),
      }),
    );
    expect(out.failed.map((p) => [p.error, p.attempts])).toEqual([
      [
        "tenant alice's hook secret (secret/data/tenants/alice/tenancy-hooks, key secret) could not be read, so nothing was sent: permission denied",
        0,
      ],
    ]);
    expect(r.got).toEqual([]);
  });

  it("fan-out, over generated registries: every event reaches exactly its own tenant's hooks that list its type, none other", () => {
    const types = ["tenant.onboarded", "tenant.changed", "tenant.offboarded"] as const;
    const hook = fc.record({
      host: fc.constantFrom("a", "b", "c"),
      events: fc.option(fc.subarray([...types], { minLength: 1 }), { nil: undefined }),
    });
    const tenant = fc.record({
      hooks: fc.array(hook, { maxLength: 3 }),
      changed: fc.boolean(),
      offboarding: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(tenant, { minLength: 1, maxLength: 5 }), (spec) => {
        const records = (step: 0 | 1) =>
          Object.fromEntries(
            spec.map((t, i) => {
              const id = `t${i}`;
              // the same URL may be named by two tenants: each still gets its own events only
              const hooks = [
                ...new Map(t.hooks.map((h) => [`https://${h.host}.example.org/${id.length}`, h])),
              ].map(([url, h]) => ({ url, ...(h.events ? { events: h.events } : {}) }));
              return [
                id,
                {
                  email: `${id}@example.com`,
                  ...(hooks.length > 0 ? { hooks } : {}),
                  ...(step === 1 && t.changed ? { domains: [`${id}.example.com`] } : {}),
                  ...(step === 1 && t.offboarding ? { offboarding: true } : {}),
                },
              ];
            }),
          ) as Record<string, TenantFileInput>;
        const first = registryOf(records(0));
        const second = registryOf(records(1));
        for (const [model, events] of [
          [first, tenantEvents(undefined, first, AT)],
          [second, tenantEvents(applied(first), second, AT)],
        ] as const) {
          const items = tenantFanOut(events, model);
          const expected = events.flatMap((e) =>
            (model.tenants.find((t) => t.id === e.tenant)!.hooks ?? [])
              .filter((h) => h.events.includes(e.type))
              .map((h) => `${e.id} ${e.tenant} ${h.url}`),
          );
          expect(items.map((i) => `${i.event.id} ${i.tenantHook!.tenant} ${i.url}`)).toEqual(expected);
          for (const i of items) {
            expect(i.tenantHook!.tenant).toBe(i.event.tenant);
            expect(i.tenantHook!.vault.path).toBe(`tenants/${i.event.tenant}/tenancy-hooks`);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("fan-out: an event goes to its own tenant's hooks only", () => {
    const model = registryOf({
      alice: { email: "alice@example.com", hooks: [{ url: "https://a.example.org/" }] },
      bob: { email: "bob@example.com", hooks: [{ url: "https://b.example.org/" }] },
    });
    const items = tenantFanOut(tenantEvents(undefined, model, AT), model);
    expect(items.map((i) => [i.event.tenant, i.url, i.tenantHook!.tenant, i.tenantHook!.vault.path])).toEqual(
      [
        ["alice", "https://a.example.org/", "alice", "tenants/alice/tenancy-hooks"],
        ["bob", "https://b.example.org/", "bob", "tenants/bob/tenancy-hooks"],
      ],
    );
  });
});

describe("the hook secret's Vault path", () => {
  it.each(["prefixed", "top-level", "per-namespace"] as const)(
    "%s: inside the tenant's own KV paths: it may write its secret there, its prefix-sharing neighbour may not",
    async (layout) => {
      const env = exampleEnvironmentData();
      env.vault.tenantPaths = layout;
      const model = registryOf(
        {
          alice: {
            email: "alice@example.com",
            namespaces: ["alice", "alice-web"],
            hooks: [{ url: "https://a.example.org/" }],
          },
          "alice-dev": { email: "alice-dev@example.com", hooks: [{ url: "https://d.example.org/" }] },
        },
        env,
      );
      const rows = accessMatrix(model, await buildPlan(model, LAYERS));
      const path = (id: string) =>
        `secret/data/${hookSecretPath(
          model.environment.vault,
          id,
          model.tenants.find((t) => t.id === id)!.namespaces.map((n) => n.name),
        )}`;
      expect(path("alice")).toBe(
        {
          prefixed: "secret/data/tenants/alice/tenancy-hooks",
          "top-level": "secret/data/alice/tenancy-hooks",
          "per-namespace": "secret/data/alice/tenancy-hooks",
        }[layout],
      );
      expect(HOOK_SECRET.key).toBe("secret");
      for (const verb of ["create", "update"])
        expect(
          canI(rows, { principal: "user:alice@example.com", verb, resource: "", path: path("alice") })
            .allowed,
        ).toBe(true);
      for (const [who, other] of [
        ["alice", "alice-dev"],
        ["alice-dev", "alice"],
      ] as const)
        for (const verb of ["read", "create", "update"])
          expect(
            canI(rows, { principal: `user:${who}@example.com`, verb, resource: "", path: path(other) })
              .allowed,
            `${who} ${verb} ${path(other)}`,
          ).toBe(false);
    },
  );
});

describe("the outbox with tenant hooks", () => {
  it("keeps a tenant hook's entry and a platform webhook's at the same URL apart; the newest of each kept", () => {
    const ev = tenantEvents(undefined, registryOf({ alice: { email: "alice@example.com" } }), AT)[0]!;
    const url = "https://shared.example.org/";
    const ref = {
      tenant: "alice",
      vault: { mount: "secret", path: "tenants/alice/tenancy-hooks", key: "secret" },
    };
    const platform = { url, secretEnv: "HOOK_SECRET", event: ev, attempts: 1, error: "a" };
    const tenant = { url, tenantHook: ref, event: ev, attempts: 1, error: "b" };
    const merged = mergeOutbox([platform, tenant], [{ ...tenant, attempts: 2 }]);
    expect(merged).toEqual([platform, { ...tenant, attempts: 2 }]);
  });

  const event = {
    type: "tenant.changed",
    environment: "example",
    tenant: "alice",
    namespaces: ["alice"],
    domains: [],
    at: "2026-12-07T00:00:00.000Z",
    id: "abc",
  };
  const hook = {
    tenant: "alice",
    vault: { mount: "secret", path: "tenants/alice/tenancy-hooks", key: "secret" },
  };
  it("reads a tenant hook's entry and a platform webhook's entry written before tenant hooks; refuses an entry naming both, neither, or another tenant's event", () => {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-outbox-hooks-"));
    try {
      const file = join(dir, "outbox.json");
      const platform = {
        url: "https://hooks.example.com/t",
        secretEnv: "HOOK_SECRET",
        event,
        attempts: 4,
        error: "answered 500",
      };
      const tenant = {
        url: "https://a.example.org/",
        tenantHook: hook,
        event,
        attempts: 1,
        error: "answered 500",
      };
      writeFileSync(file, JSON.stringify([platform, tenant]));
      expect(readOutbox(file)).toEqual([platform, tenant]);
      const bad = [
        { ...tenant, secretEnv: "HOOK_SECRET" },
        { url: "https://a.example.org/", event, attempts: 1, error: "x" },
        { ...tenant, event: { ...event, tenant: "bob" } },
      ];
      writeFileSync(file, JSON.stringify(bad));
      let problems: string[] = [];
      try {
        readOutbox(file);
      } catch (e) {
        problems = (e as InvalidInputError).problems.map(formatProblem);
      }
      expect(problems).toEqual([
        `${file}: [0]: needs exactly one of secretEnv (a platform webhook) and tenantHook (a tenant's hook)`,
        `${file}: [1]: needs exactly one of secretEnv (a platform webhook) and tenantHook (a tenant's hook)`,
        `${file}: [2].tenantHook.tenant: is "alice", but the event is tenant "bob"'s: a tenant's hook receives its own events only`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
