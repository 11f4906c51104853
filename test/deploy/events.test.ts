/**
 * Tenant events: which an `up` emits (onboarded, changed, offboarded; none for an unchanged tenant), signed and
 * keyed for idempotency; delivered to local HTTP servers that accept, fail then recover, answer too slowly,
 * refuse connections, or (the receiver example) reject a wrong signature; failures kept in the outbox and sent
 * again by `tenancy events --resend`, without undoing anything.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { afterUp } from "../../cli/events";
import { runAction } from "../../cli/run-action";
import { deliver, fanOut, outboxPath, readOutbox } from "../../deploy/events";
import { receiver } from "../../examples/webhook-receiver";
import { type TenantEvent, sign, tenantDigest, tenantEvents, verify } from "../../components/events/policy";
import type { RegistryModel } from "../../registry/model";
import { copyExample, runCliAsync } from "../helpers/cli";
import type { StackJob } from "../../deploy/run";
import { FakeEngine } from "../helpers/engine";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  generatedTenants,
  registryOf,
} from "../plan/registries";

const AT = new Date("2026-11-30T12:00:00Z");
const SECRET = "s3cret-for-tests";

/** What the platform stack exports for these tenants: as `up` left it. */
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

describe("which events an up emits", () => {
  const base = generatedTenants(4);
  const model = registryOf(base);

  it("the first up onboards every tenant; an unchanged registry emits nothing", () => {
    const events = tenantEvents(undefined, model, AT);
    expect(events.map((e) => `${e.type} ${e.tenant}`)).toEqual(
      model.tenants.map((t) => `tenant.onboarded ${t.id}`),
    );
    expect(events[1]).toEqual({
      type: "tenant.onboarded",
      environment: "example",
      tenant: "tenant-02",
      namespaces: ["tenant-02", "tenant-02-dev"],
      domains: ["tenant-02.example.com"],
      at: "2026-11-30T12:00:00.000Z",
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(tenantEvents(applied(model), model, AT)).toEqual([]);
  });

  it("a changed record, an offboarding, a newcomer; ids stable for the same change", () => {
    const next = structuredClone(base);
    next["tenant-01"]!.domains = ["more.example.com"];
    next["tenant-02"]!.offboarding = true;
    next["tenant-05"] = { email: "five@example.com" };
    const events = tenantEvents(applied(model), registryOf(next), AT);
    expect(events.map((e) => `${e.type} ${e.tenant}`)).toEqual([
      "tenant.changed tenant-01",
      "tenant.offboarded tenant-02",
      "tenant.onboarded tenant-05",
    ]);
    const later = tenantEvents(applied(model), registryOf(next), new Date("2027-01-01T00:00:00Z"));
    expect(later.map((e) => e.id)).toEqual(events.map((e) => e.id));
    // a stack applied before digests were exported: no change can be told, none is claimed
    const old = applied(model) as { tenants: Record<string, { digest?: string }> };
    for (const t of Object.values(old.tenants)) delete t.digest;
    expect(tenantEvents(old, registryOf(next), AT).map((e) => e.type)).toEqual([
      "tenant.offboarded",
      "tenant.onboarded",
    ]);
  });

  it("a change back and forth has a new id each time; a tenant removed without offboarding is told as offboarded", () => {
    const a = registryOf(base);
    const changed = structuredClone(base);
    changed["tenant-01"]!.domains = ["more.example.com"];
    const b = registryOf(changed);
    const ab = tenantEvents(applied(a), b, AT);
    const ba = tenantEvents(applied(b), a, AT);
    const ab2 = tenantEvents(applied(a), b, AT);
    expect(ab.map((e) => e.id)).toEqual(ab2.map((e) => e.id));
    expect(ba[0]!.id).not.toBe(ab[0]!.id);
    const fewer = structuredClone(base);
    delete fewer["tenant-04"];
    const gone = tenantEvents(applied(a), registryOf(fewer), AT);
    expect(gone.map((e) => `${e.type} ${e.tenant} ${e.namespaces.join(",")}`)).toEqual([
      "tenant.offboarded tenant-04 tenant-04,tenant-04-dev",
    ]);
  });

  it("signatures: HMAC-SHA256 of the body; verify refuses a wrong secret, a changed body, no header", () => {
    const body = '{"a":1}';
    expect(sign(body, "k")).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verify(body, sign(body, "k"), "k")).toBe(true);
    expect(verify(body, sign(body, "other"), "k")).toBe(false);
    expect(verify('{"a":2}', sign(body, "k"), "k")).toBe(false);
    expect(verify(body, undefined, "k")).toBe(false);
    expect(verify(body, "sha256=short", "k")).toBe(false);
  });
});

/** A local server answering by a script of statuses (the last repeats), after a delay; it records each request. */
function scripted(statuses: number[], delayMs = 0) {
  const requests: { headers: Record<string, unknown>; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ headers: req.headers, body });
      const status = statuses[Math.min(requests.length - 1, statuses.length - 1)]!;
      setTimeout(() => res.writeHead(status).end(), delayMs);
    });
  });
  return { server, requests };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
async function serve(server: Server) {
  servers.push(server);
  return listen(server);
}

const EVENT: TenantEvent = tenantEvents(
  undefined,
  registryOf({ alice: { email: "alice@example.com" } }),
  AT,
)[0]!;
const OPTS = { attempts: 3, timeoutMs: 2000, backoffMs: 10, env: { HOOK_SECRET: SECRET } };
const one = (url: string) => fanOut([EVENT], [{ url, secretEnv: "HOOK_SECRET" }]);

describe("delivery", () => {
  it("the receiver example accepts a signed event once per idempotency key, and rejects a wrong signature", async () => {
    const handled: TenantEvent[] = [];
    const url = await serve(receiver(SECRET, (e) => handled.push(e)));
    const ok = await deliver(one(url), OPTS);
    expect(ok.failed).toEqual([]);
    expect(ok.delivered).toEqual([{ url, id: EVENT.id, type: "tenant.onboarded", tenant: "alice" }]);
    // sent again (a resend): accepted, not handled twice
    expect((await deliver(one(url), OPTS)).failed).toEqual([]);
    expect(handled).toEqual([EVENT]);
    // signed with another secret: refused, and a 401 is not retried
    const wrong = await deliver(one(url), { ...OPTS, env: { HOOK_SECRET: "not-the-secret" } });
    expect(wrong.failed.map((p) => [p.error, p.attempts])).toEqual([["answered 401", 1]]);
    expect(handled).toHaveLength(1);
  });

  it("the request: JSON body, signature, event type and idempotency key headers", async () => {
    const s = scripted([204]);
    const url = await serve(s.server);
    await deliver(one(url), OPTS);
    const [req] = s.requests;
    expect(JSON.parse(req!.body)).toEqual(EVENT);
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["x-tenancy-signature"]).toBe(sign(req!.body, SECRET));
    expect(req!.headers["x-tenancy-event"]).toBe("tenant.onboarded");
    expect(req!.headers["idempotency-key"]).toBe(EVENT.id);
  });

  it("a bad status is retried with backoff until accepted", async () => {
    const s = scripted([500, 503, 200]);
    const r = await deliver(one(await serve(s.server)), OPTS);
    expect(r.failed).toEqual([]);
    expect(s.requests).toHaveLength(3);
    // the same event each time: same body, same key
    expect(new Set(s.requests.map((q) => q.body)).size).toBe(1);
  });

  it("too slow, refused, or no secret: reported as pending with the reason", async () => {
    const slow = scripted([200], 1000);
    const r1 = await deliver(one(await serve(slow.server)), { ...OPTS, attempts: 2, timeoutMs: 100 });
    expect(r1.failed.map((p) => [p.error, p.attempts])).toEqual([["no answer within 100 ms", 2]]);
    // a port nothing listens on any more
    const gone = createServer();
    const refused = await listen(gone);
    await new Promise((r) => gone.close(r));
    const r3 = await deliver(one(refused), OPTS);
    expect(r3.failed.map((p) => [p.error, p.attempts])).toEqual([["ECONNREFUSED", 3]]);
    const r4 = await deliver(one(refused), { ...OPTS, env: {} });
    expect(r4.failed[0]!.error).toMatch(/environment variable HOOK_SECRET is empty/);
    expect(r4.failed[0]!.attempts).toBe(0);
  });
});

describe("after up, and tenancy events --resend", () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tenancy-events-"));
    copyExample(dir);
    cwd = process.cwd();
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });
  const withHooks = (url: string) => {
    const env = exampleEnvironmentData();
    env.events = { webhooks: [{ url, secretEnv: "HOOK_SECRET" }], attempts: 2, timeoutSeconds: 1 };
    writeFileSync(join(dir, "environments/example.yaml"), stringify(env));
    return env;
  };

  it("failures are kept in the outbox and reported; --resend delivers them once the receiver is back", async () => {
    // the receiver is down during the up
    const down = createServer();
    const url = await listen(down);
    await new Promise((r) => down.close(r));
    const env = withHooks(url);
    const model = registryOf(
      Object.fromEntries(["alice", "bob"].map((id) => [id, { email: `${id}@example.com` }])),
      env,
    );
    process.chdir(dir);
    process.env.HOOK_SECRET = SECRET;
    process.env.TENANCY_EVENTS_BACKOFF_MS = "5";
    const report = await afterUp(model, undefined, AT);
    expect(report!.delivered).toEqual([]);
    expect(report!.failed.map((p) => [p.event.tenant, p.error])).toEqual([
      ["alice", "ECONNREFUSED"],
      ["bob", "ECONNREFUSED"],
    ]);
    const outbox = outboxPath("example");
    expect(readOutbox(outbox).map((p) => p.event.tenant)).toEqual(["alice", "bob"]);

    const listed = await runCliAsync(["events"], { cwd: dir });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /^tenant\.onboarded alice -> http:\/\/127\.0\.0\.1:\d+\/hook: 2 tries, last: ECONNREFUSED$/m,
    );

    // still down: exit 4, still pending, tries counted
    const env4 = { HOOK_SECRET: SECRET, TENANCY_EVENTS_BACKOFF_MS: "5" };
    const again = await runCliAsync(["events", "--resend"], { cwd: dir, env: env4 });
    expect(again.code).toBe(4);
    expect(readOutbox(join(dir, outbox)).map((p) => p.attempts)).toEqual([4, 4]);

    // back up, on the same port: delivered, the outbox empties
    const handled: TenantEvent[] = [];
    const back = receiver(SECRET, (e) => handled.push(e));
    servers.push(back);
    await new Promise<void>((r) => back.listen(Number(new URL(url).port), "127.0.0.1", r));
    const resent = await runCliAsync(["events", "--resend"], { cwd: dir, env: env4 });
    expect(resent.stderr).toBe("");
    expect(resent.code).toBe(0);
    expect(resent.stdout).toMatch(/^events: 2 delivered$/m);
    expect(handled.map((e) => e.tenant)).toEqual(["alice", "bob"]);
    expect(readOutbox(join(dir, outbox))).toEqual([]);
    expect(existsSync(join(dir, outbox))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, outbox), "utf8"))).toEqual([]);
  });

  it("the environment refuses a plain-http webhook off loopback and a secret given inline", async () => {
    const env = exampleEnvironmentData();
    env.events = { webhooks: [{ url: "http://hooks.example.com/x", secretEnv: "not a name" }] };
    writeFileSync(join(dir, "environments/example.yaml"), stringify(env));
    const r = await runCliAsync(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/events\.webhooks\[0\]\.url: .*https URL \(plain http on loopback only\)/);
    expect(r.stderr).toMatch(/events\.webhooks\[0\]\.secretEnv: .*environment variable name/);
    expect(parse(readFileSync(join(dir, "environments/example.yaml"), "utf8")).events).toBeDefined();
  });
});

describe("up, end to end over the fake engine", () => {
  let dir: string;
  let cwd: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tenancy-up-events-"));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("the first up onboards, a changed record is told as changed, a preview sends nothing", async () => {
    const handled: TenantEvent[] = [];
    const url = await serve(receiver(SECRET, (e) => handled.push(e)));
    process.env.HOOK_SECRET = SECRET;
    const env = exampleEnvironmentData();
    env.events = { webhooks: [{ url, secretEnv: "HOOK_SECRET" }] };
    const tenants = {
      alice: { email: "alice@example.com" },
      bob: { email: "bob@example.com", members: [{ tenant: "alice", role: "viewer" as const }] },
    };
    const engine = new FakeEngine();
    const opts = { allowRemovals: false, allowHandover: false };
    await runAction("up", registryOf(tenants, env), engine, opts, true);
    expect(handled.map((e) => `${e.type} ${e.tenant}`)).toEqual([
      "tenant.onboarded alice",
      "tenant.onboarded bob",
    ]);
    // alice gains a domain: alice changed; bob's record is the same
    const changed = { ...tenants, alice: { ...tenants.alice, domains: ["alice.example.com"] } };
    await runAction("preview", registryOf(changed, env), engine, opts, true);
    expect(handled).toHaveLength(2);
    await runAction("up", registryOf(changed, env), engine, opts, true);
    expect(handled.map((e) => `${e.type} ${e.tenant}`).slice(2)).toEqual(["tenant.changed alice"]);
    expect(existsSync(outboxPath("example"))).toBe(false);

    // an up failing after the platform layer: bob's change is applied there, its event kept for --resend
    const failing = Object.assign(Object.create(engine) as FakeEngine, {
      up: (stack: string, program: StackJob, o: { refresh: boolean }) =>
        stack === "example-vault" ? Promise.reject(new Error("vault down")) : engine.up(stack, program, o),
    });
    const bobChanged = { ...changed, bob: { ...changed.bob, domains: ["bob.example.com"] } };
    await expect(runAction("up", registryOf(bobChanged, env), failing, opts, true)).rejects.toThrow(
      /vault down/,
    );
    expect(handled).toHaveLength(3);
    const kept = readOutbox(outboxPath("example"));
    expect(kept.map((p) => [p.event.type, p.event.tenant, p.error])).toEqual([
      ["tenant.changed", "bob", "not sent: the up failed after the platform layer was applied"],
    ]);
  });
});

describe("the outbox file", () => {
  it("a malformed entry is reported with its field, never half sent; a file that is not JSON too", () => {
    const dir = mkdtempSync(join(tmpdir(), "tenancy-outbox-"));
    try {
      const file = join(dir, "outbox.json");
      const good = {
        url: "https://hooks.example.com/t",
        secretEnv: "HOOK_SECRET",
        event: {
          type: "tenant.changed",
          environment: "example",
          tenant: "alice",
          namespaces: ["alice"],
          domains: [],
          at: "2026-11-30T00:00:00.000Z",
          id: "abc",
        },
        attempts: 4,
        error: "HTTP 500",
      };
      writeFileSync(file, JSON.stringify([good]));
      expect(readOutbox(file)).toEqual([good]);
      writeFileSync(file, JSON.stringify([good, { ...good, event: { ...good.event, id: 7 } }, { url: "x" }]));
      let problems: string[] = [];
      try {
        readOutbox(file);
      } catch (e) {
        problems = (e as { problems: { path: unknown[] }[] }).problems.map((p) => p.path.join("."));
      }
      // (whether a webhook's secretEnv or a tenant hook's tenantHook is missing is told once the entry is whole:
      // test/deploy/tenant-hooks.test.ts)
      expect(problems).toEqual(["1.event.id", "2.event", "2.attempts", "2.error"]);
      writeFileSync(file, "{not json");
      expect(() => readOutbox(file)).toThrow(/is not an outbox file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the tenant digest", () => {
  it("of a record on the default cluster alone, without grants, is what it was before several clusters", async () => {
    // the example environment as it was then (its later defaults, MTB's object counts and ephemeral-storage
    // LimitRange defaults, change every record's quota: a real change, sent as tenant.changed)
    const then = exampleEnvironmentData();
    const quota = then.defaults.quota as Record<string, unknown>;
    delete quota["count/replicationcontrollers"];
    delete quota["count/resourcequotas"];
    const limits = then.defaults.limits as Record<string, Record<string, unknown>>;
    delete limits.default!["ephemeral-storage"];
    delete limits.defaultRequest!["ephemeral-storage"];
    const model = exampleWithEnvironment(then);
    const digest = (id: string) =>
      tenantDigest(
        model.tenants.find((t) => t.id === id)!,
        model.environment,
      );
    // the value the platform stack exported for an unchanged record before clusters existed: the record as the
    // model held it then, without placement or grants (written out here, not by tenantDigest), so upgrading sends
    // no tenant.changed for it. (Fields the model gained later, such as the tier's admission allowances, network
    // reach or clusterReader, change what is applied: sent once as tenant.changed.)
    const before = (id: string) => {
      const { source: _s, clusters: _c, grants: _g, ...rest } = model.tenants.find((t) => t.id === id)!;
      const record = { ...rest, namespaces: rest.namespaces.map(({ clusters: _x, ...ns }) => ns) };
      return createHash("sha256").update(JSON.stringify(record)).digest("hex").slice(0, 32);
    };
    for (const id of ["carol", "dave"]) expect(digest(id), id).toBe(before(id));
    // placement is part of the record: another cluster changes it
    const moved = exampleWithEnvironment(exampleEnvironmentData(), (doc) =>
      doc.id === "carol"
        ? {
            ...doc,
            data: { ...(doc.data as object), clusterSelector: { matchLabels: { region: "us-east" } } },
          }
        : doc,
    );
    expect(
      tenantDigest(
        moved.tenants.find((t) => t.id === "carol")!,
        moved.environment,
      ),
    ).not.toBe(digest("carol"));
  });
});
