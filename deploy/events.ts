/**
 * Delivering tenant events (components/events/policy.ts) to the environment's webhooks and to each tenant's own
 * hooks (docs/hooks.md): each event POSTed as JSON, signed (`X-Tenancy-Signature`), with its idempotency key
 * (`Idempotency-Key`), retried with exponential backoff on network errors, timeouts, 408, 429 and 5xx. A
 * platform webhook's secret comes from an environment variable; a tenant hook's from the tenant's own Vault KV
 * path, read at delivery, and its connection goes only to addresses a tenant may reach (checked when it
 * connects, components/events/hosts.ts). A failure never undoes the apply: what could not be delivered is
 * kept in the outbox file, and `tenancy events --resend` tries it again.
 */
import { type LookupAddress, lookup as dnsLookup } from "node:dns";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { dirname, join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { type TenantEvent, sign } from "../components/events/policy";
import { allowedHost, bareHost, refusedAddress } from "../components/events/hosts";
import { HOOK_SECRET, hookSecretPath } from "../components/vault/policy";
import { z } from "zod";
import { check } from "../registry/parse";
import type { EnvironmentModel, RegistryModel } from "../registry/model";
import { KvClient } from "../registry/source-vault";
import { InvalidInputError } from "../components/core/problems";

export interface Webhook {
  url: string;
  /** The environment variable holding its signing secret. */
  secretEnv: string;
}

/** A tenant's own hook: whose it is, and where in Vault its signing secret is read (never an environment variable). */
export interface TenantHookRef {
  tenant: string;
  /** The KV v2 secret `<mount>/data/<path>` and the key in it. */
  vault: { mount: string; path: string; key: string };
}

/** How an entry's secret is found: a platform webhook's environment variable, or a tenant hook's Vault path. */
export type Signer =
  { secretEnv: string; tenantHook?: never } | { tenantHook: TenantHookRef; secretEnv?: never };

/** An event for one webhook or hook, with the tries so far (over every run). */
export type Item = { url: string; event: TenantEvent; attempts: number } & Signer;

/** An event a webhook or hook has not accepted yet. */
export type Pending = Item & { error: string };

export interface DeliveryOptions {
  /** Tries per event and webhook in this run. */
  attempts: number;
  timeoutMs: number;
  /** The first wait between tries; doubled each time, at most 30 s. @default 1000 */
  backoffMs?: number;
  /** Where secrets are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Events sent at once. @default 8 */
  concurrency?: number;
  /** Reads a tenant hook's signing secret (`vaultHookSecrets`); throws saying why it cannot. @default - none: tenant hooks wait */
  tenantSecret?: (hook: TenantHookRef) => Promise<string>;
  /** Where tenant hooks may connect: the environment's allowances and reserved ranges. @default - nothing allowed beyond public addresses */
  tenantHosts?: { allowHosts: readonly string[]; reserved: readonly string[] };
  /** Resolves a tenant hook's host name when it connects (tests). @default node:dns lookup */
  lookup?: typeof dnsLookup;
}

export interface DeliveryReport {
  delivered: { url: string; id: string; type: string; tenant: string }[];
  failed: Pending[];
}

/** Whether a status is worth another try: the receiver may accept it later. */
const transient = (status: number) => status === 408 || status === 429 || status >= 500;

/** A POST as fetch makes it: Node's own for platform webhooks, undici's over a guarded agent for tenant hooks. */
type Poster = (
  url: string,
  init: {
    method: "POST";
    headers: Record<string, string>;
    body: string;
    redirect: "error";
    signal: AbortSignal;
  },
) => Promise<{ ok: boolean; status: number; body: { cancel(): Promise<void> } | null }>;

/** Thrown by a tenant hook's lookup: its host resolves to an address tenant hooks may not reach. */
class RefusedAddress extends Error {}

/** One POST; resolves to undefined when accepted, else the reason and whether to try again. */
async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  poster: Poster = fetch,
): Promise<{ error: string; retry: boolean } | undefined> {
  try {
    const res = await poster(url, {
      method: "POST",
      headers,
      body,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    // the answer's body is never read: a receiver cannot make the runner hold a large one
    await res.body?.cancel();
    if (res.ok) return undefined;
    return { error: `answered ${res.status}`, retry: transient(res.status) };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.cause instanceof RefusedAddress) return { error: err.cause.message, retry: false };
    // fetch's own message is "fetch failed": the cause says what (ECONNREFUSED, a certificate, ...)
    const what =
      err.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? err.message).slice(0, 200);
    return { error: what, retry: true };
  }
}

/**
 * A lookup that refuses a name resolving to any address tenant hooks may not reach. Given to the connection
 * itself, so the address checked is the address connected to (a name re-pointed between a check and the
 * connection cannot slip through).
 */
function guardedLookup(reserved: readonly string[] | undefined, resolve: typeof dnsLookup) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    resolve(hostname, { ...options, all: true } as { all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      for (const a of reserved === undefined ? [] : list) {
        const why = refusedAddress(a.address, reserved);
        if (why !== undefined)
          return callback(
            new RefusedAddress(`refused: ${hostname} resolves to ${why}, which tenant hooks may not reach`),
            [],
          );
      }
      if (options.all) callback(null, list);
      else if (list[0]) callback(null, list[0].address, list[0].family);
      else callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), []);
    });
  };
}

/**
 * How a tenant hook's POST goes out: straight to an allowed host (events.tenantHooks.allowHosts), refused at
 * once for an address literal it may not reach, else over a connection whose lookup refuses private addresses.
 */
function tenantPoster(
  url: string,
  hosts: NonNullable<DeliveryOptions["tenantHosts"]>,
  agent: (guarded: boolean) => Agent,
): Poster | string {
  const host = bareHost(new URL(url).hostname);
  if (allowedHost(host, hosts.allowHosts))
    return (u, init) => undiciFetch(u, { ...init, dispatcher: agent(false) });
  // a connection to an address literal looks nothing up
  if (isIP(host) !== 0) {
    const why = refusedAddress(host, hosts.reserved);
    if (why !== undefined) return `refused: ${why}, which tenant hooks may not reach`;
  }
  return (u, init) => undiciFetch(u, { ...init, dispatcher: agent(true) });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What one delivery run shares: tenant secrets read once each, the agents of tenant hooks' connections. */
interface Run {
  secrets: Map<string, Promise<string>>;
  /** guarded: its lookup refuses what tenant hooks may not reach; else (allowed hosts) it looks up only. */
  agent: (guarded: boolean) => Agent;
}

/** The signing secret of an entry, or why there is none (it is then not sent: never unsigned). */
async function secretOf(
  item: Item,
  opts: DeliveryOptions,
  run: Run,
): Promise<{ secret: string } | { error: string }> {
  if (item.tenantHook === undefined) {
    const secret = (opts.env ?? process.env)[item.secretEnv];
    return secret
      ? { secret }
      : { error: `the signing secret is not set: environment variable ${item.secretEnv} is empty` };
  }
  const { vault } = item.tenantHook;
  const key = JSON.stringify(vault);
  const read = opts.tenantSecret;
  if (!read) return { error: "tenant hooks' secrets cannot be read here (no Vault reader)" };
  if (!run.secrets.has(key)) {
    const p = read(item.tenantHook);
    p.catch(() => undefined);
    run.secrets.set(key, p);
  }
  try {
    return { secret: await run.secrets.get(key)! };
  } catch (e) {
    return {
      error: `tenant ${item.tenantHook.tenant}'s hook secret (${vault.mount}/data/${vault.path}, key ${vault.key}) could not be read, so nothing was sent: ${(e as Error).message}`,
    };
  }
}

/** Sends one event to one webhook, with retries; undefined when delivered, else the pending entry. */
async function send(item: Item, opts: DeliveryOptions, run: Run): Promise<Pending | undefined> {
  const got = await secretOf(item, opts, run);
  if ("error" in got) return { ...item, error: got.error };
  const secret = got.secret;
  const poster =
    item.tenantHook === undefined
      ? fetch
      : tenantPoster(item.url, opts.tenantHosts ?? { allowHosts: [], reserved: [] }, run.agent);
  if (typeof poster === "string") return { ...item, attempts: item.attempts + 1, error: poster };
  const body = JSON.stringify(item.event);
  const headers = {
    "content-type": "application/json",
    "user-agent": "tenancy",
    "x-tenancy-event": item.event.type,
    "x-tenancy-signature": sign(body, secret),
    "idempotency-key": item.event.id,
  };
  let attempts = item.attempts;
  let last = "not tried";
  for (let i = 0; i < opts.attempts; i++) {
    if (i > 0) await sleep(Math.min(30_000, (opts.backoffMs ?? 1000) * 2 ** (i - 1)));
    attempts++;
    const failed = await post(item.url, body, headers, opts.timeoutMs, poster);
    if (!failed) return undefined;
    last = failed.error;
    if (!failed.retry) break;
  }
  return { ...item, attempts, error: last };
}

/** Sends every event to every webhook (a few at once); reports what was delivered and what is pending. */
export async function deliver(items: Item[], opts: DeliveryOptions): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: [], failed: [] };
  const agents = new Map<boolean, Agent>();
  const run: Run = {
    secrets: new Map(),
    agent: (guarded) => {
      const reserved = guarded ? (opts.tenantHosts?.reserved ?? []) : undefined;
      const lookup = guardedLookup(reserved, opts.lookup ?? dnsLookup);
      if (!agents.has(guarded)) agents.set(guarded, new Agent({ connect: { lookup: lookup as never } }));
      return agents.get(guarded)!;
    },
  };
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const pending = await send(item, opts, run);
      if (pending) report.failed.push(pending);
      else
        report.delivered.push({
          url: item.url,
          id: item.event.id,
          type: item.event.type,
          tenant: item.event.tenant,
        });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, items.length) }, worker));
  } finally {
    await Promise.all([...agents.values()].map((a) => a.destroy()));
  }
  return report;
}

/** Every event to every webhook, none tried yet. */
export function fanOut(events: TenantEvent[], webhooks: Webhook[]): Item[] {
  return events.flatMap((event) =>
    webhooks.map((w) => ({ url: w.url, secretEnv: w.secretEnv, event, attempts: 0 })),
  );
}

/** Where a tenant's hook secret is read, in the environment's Vault (undefined: it has no KV path, refused at validation). */
export function hookRef(
  env: EnvironmentModel,
  tenant: RegistryModel["tenants"][number],
): TenantHookRef | undefined {
  const path = hookSecretPath(
    env.vault,
    tenant.id,
    tenant.namespaces.map((n) => n.name),
  );
  return path === undefined
    ? undefined
    : { tenant: tenant.id, vault: { mount: env.vault.kvMount, path, key: HOOK_SECRET.key } };
}

/**
 * Each event to its own tenant's hooks, those whose `events` list its type: a tenant never receives another
 * tenant's events. A tenant removed from the registry has no hooks left to tell.
 */
export function tenantFanOut(events: TenantEvent[], model: RegistryModel): Item[] {
  const tenants = new Map(model.tenants.map((t) => [t.id, t]));
  return events.flatMap((event) => {
    const tenant = tenants.get(event.tenant);
    const ref = tenant && hookRef(model.environment, tenant);
    if (!tenant?.hooks || !ref) return [];
    return tenant.hooks
      .filter((h) => h.events.includes(event.type))
      .map((h) => ({ url: h.url, tenantHook: ref, event, attempts: 0 }));
  });
}

/**
 * Reads tenant hooks' signing secrets from the environment's Vault (`vault.address`, `vault.namespace`: where
 * the tenant's KV paths and policy are) with VAULT_TOKEN, through the registry's KV client (no redirects, bounded
 * answers, the token never shown). A secret must be a string of at least 16 characters.
 */
export function vaultHookSecrets(
  env: EnvironmentModel,
  token: string | undefined,
  fetchImpl?: typeof fetch,
): (hook: TenantHookRef) => Promise<string> {
  return async ({ vault }) => {
    if (!token) throw new Error("VAULT_TOKEN is not set: tenant hooks' secrets are read from Vault with it");
    const client = new KvClient({
      addr: env.vault.address,
      token,
      ...(env.vault.namespace ? { namespace: env.vault.namespace } : {}),
      mount: vault.mount,
      layout: "per-tenant",
      path: vault.path,
      key: vault.key,
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
    const data = await client.read(client.path, new AbortController().signal);
    const value = Object.hasOwn(data, vault.key) ? data[vault.key] : undefined;
    if (typeof value !== "string" || value.length < 16)
      throw new Error(
        `the secret has no key ${JSON.stringify(vault.key)} holding a string of at least 16 characters; the tenant writes it: vault kv put -mount=${vault.mount} ${vault.path} ${vault.key}=<random>`,
      );
    return value;
  };
}

/** The outbox of an environment: the events its webhooks have not accepted. */
export function outboxPath(env: string, root = "."): string {
  return join(root, ".tenancy", `outbox-${env}.json`);
}

export function readOutbox(path: string): Pending[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError([
      { source: path, path: [], message: `is not an outbox file (${(e as Error).message}); move it aside` },
    ]);
  }
  // every entry whole, as this module wrote it: a hand-edited or truncated file is reported, never half sent
  const result = check(OUTBOX, data, path);
  if (!result.ok) throw new InvalidInputError(result.problems);
  return result.value;
}

/**
 * The outbox file: what `writeOutbox` writes. A platform webhook's entry names its secret's environment
 * variable (`secretEnv`, as before tenant hooks existed); a tenant hook's names the tenant and its secret's
 * Vault path (`tenantHook`; the path informational only, recomputed on --resend), and holds that tenant's own
 * event only.
 */
const OUTBOX = z.array(
  z
    .strictObject({
      url: z.string().min(1),
      secretEnv: z.string().min(1).optional(),
      tenantHook: z
        .strictObject({
          tenant: z.string().min(1),
          // informational only, for a person reading the file: `events --resend` reads the secret where the
          // environment and the tenant's record put it now (hookRef), never here, so an edited or outdated path
          // can never make a hook sign with another secret; kept so older outboxes stay readable
          vault: z.strictObject({
            mount: z.string().min(1),
            path: z.string().min(1),
            key: z.string().min(1),
          }),
        })
        .optional(),
      event: z.strictObject({
        type: z.enum(["tenant.onboarded", "tenant.changed", "tenant.offboarded"]),
        environment: z.string(),
        tenant: z.string(),
        namespaces: z.array(z.string()),
        domains: z.array(z.string()),
        at: z.string(),
        id: z.string().min(1),
      }),
      attempts: z.number().int().min(0),
      error: z.string(),
    })
    .superRefine((p, ctx) => {
      if ((p.secretEnv === undefined) === (p.tenantHook === undefined))
        ctx.addIssue({
          code: "custom",
          path: [],
          message: "needs exactly one of secretEnv (a platform webhook) and tenantHook (a tenant's hook)",
        });
      if (p.tenantHook !== undefined && p.tenantHook.tenant !== p.event.tenant)
        ctx.addIssue({
          code: "custom",
          path: ["tenantHook", "tenant"],
          message: `is ${JSON.stringify(p.tenantHook.tenant)}, but the event is tenant ${JSON.stringify(p.event.tenant)}'s: a tenant's hook receives its own events only`,
        });
    })
    .transform((p) => p as Pending),
);

/** Replaces the outbox (written to a temporary file first, so a crash never leaves half a file). */
export function writeOutbox(path: string, pending: Pending[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(pending, null, 2) + "\n");
  renameSync(tmp, path);
}

/** Adds `pending` to the outbox file. */
export function keepInOutbox(path: string, pending: Pending[]): void {
  writeOutbox(path, mergeOutbox(readOutbox(path), pending));
}

/**
 * The outbox with `failed` added: one entry per event id and webhook or tenant hook, the newest kept (a tenant
 * may name the URL of a platform webhook: two receivers, two entries).
 */
export function mergeOutbox(current: Pending[], failed: Pending[]): Pending[] {
  const key = (p: Pending) => `${p.event.id}\0${p.url}\0${p.tenantHook?.tenant ?? ""}`;
  const merged = new Map(current.map((p) => [key(p), p]));
  for (const p of failed) merged.set(key(p), p);
  return [...merged.values()];
}
