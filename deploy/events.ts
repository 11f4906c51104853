/**
 * Delivering tenant events (components/events/policy.ts) to the environment's webhooks: each event POSTed as JSON, signed
 * (`X-Tenancy-Signature`), with its idempotency key (`Idempotency-Key`), retried with exponential backoff on
 * network errors, timeouts, 408, 429 and 5xx. A failure never undoes the apply: what could not be delivered is
 * kept in the outbox file, and `tenancy events --resend` tries it again.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type TenantEvent, sign } from "../components/events/policy";
import { z } from "zod";
import { check } from "../registry/parse";
import { InvalidInputError } from "../components/core/problems";

export interface Webhook {
  url: string;
  /** The environment variable holding its signing secret. */
  secretEnv: string;
}

/** An event a webhook has not accepted yet. */
export interface Pending extends Webhook {
  event: TenantEvent;
  /** Tries so far, over every run. */
  attempts: number;
  error: string;
}

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
}

export interface DeliveryReport {
  delivered: { url: string; id: string; type: string; tenant: string }[];
  failed: Pending[];
}

/** Whether a status is worth another try: the receiver may accept it later. */
const transient = (status: number) => status === 408 || status === 429 || status >= 500;

/** One POST; resolves to undefined when accepted, else the reason and whether to try again. */
async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ error: string; retry: boolean } | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    if (res.ok) return undefined;
    return { error: `answered ${res.status}`, retry: transient(res.status) };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    // fetch's own message is "fetch failed": the cause says what (ECONNREFUSED, a certificate, ...)
    const what =
      err.name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? err.message).slice(0, 200);
    return { error: what, retry: true };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one event to one webhook, with retries; undefined when delivered, else the pending entry. */
async function send(item: Omit<Pending, "error">, opts: DeliveryOptions): Promise<Pending | undefined> {
  const secret = (opts.env ?? process.env)[item.secretEnv];
  if (!secret)
    return {
      ...item,
      error: `the signing secret is not set: environment variable ${item.secretEnv} is empty`,
    };
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
    const failed = await post(item.url, body, headers, opts.timeoutMs);
    if (!failed) return undefined;
    last = failed.error;
    if (!failed.retry) break;
  }
  return { ...item, attempts, error: last };
}

/** Sends every event to every webhook (a few at once); reports what was delivered and what is pending. */
export async function deliver(
  items: Omit<Pending, "error">[],
  opts: DeliveryOptions,
): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: [], failed: [] };
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const pending = await send(item, opts);
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
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, items.length) }, worker));
  return report;
}

/** Every event to every webhook, none tried yet. */
export function fanOut(events: TenantEvent[], webhooks: Webhook[]): Omit<Pending, "error">[] {
  return events.flatMap((event) =>
    webhooks.map((w) => ({ url: w.url, secretEnv: w.secretEnv, event, attempts: 0 })),
  );
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

/** The outbox file: what `writeOutbox` writes. */
const OUTBOX = z.array(
  z.strictObject({
    url: z.string().min(1),
    secretEnv: z.string().min(1),
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
  }),
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

/** The outbox with `failed` added: one entry per event id and webhook, the newest kept. */
export function mergeOutbox(current: Pending[], failed: Pending[]): Pending[] {
  const key = (p: Pending) => `${p.event.id}\0${p.url}`;
  const merged = new Map(current.map((p) => [key(p), p]));
  for (const p of failed) merged.set(key(p), p);
  return [...merged.values()];
}
