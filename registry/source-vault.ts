/**
 * Vault KV v2 source, in the two layouts of ARCHITECTURE.md:
 * - single-secret: `<mount>/data/<path>`, whose `key` holds a JSON string mapping user -> legacy record
 *   (existing installations; converted by single-secret.ts);
 * - per-tenant: one secret per tenant under the prefix `<mount>/metadata/<path>/`, each holding the tenant
 *   file's fields directly.
 * Every failure to read is an ExternalError (exit 4) naming the address and path; bad content is an
 * InvalidInputError (exit 1). A failed or empty read is never turned into an empty registry.
 *
 * Vault's answers are untrusted input: listed keys must be tenant ids before they reach a path, JSON with a
 * key twice in one object or nested too deep is refused, answers are bounded in size, and redirects are
 * refused rather than followed (see `call`). The token never appears in a message: it is never put in one,
 * and text Vault sends back (errors, bodies, keys) is left out whole when it contains the token, never
 * edited, so a short token cannot mangle a message. VAULT_ADDR with a user name or password is refused.
 */
import { isMapping, singleSecretDocuments } from "./single-secret";
import type { TenantDocument } from "./model";
import { parseJson } from "./parse";
import {
  ExternalError,
  InvalidInputError,
  type Problem,
  SafetyError,
  UsageError,
  cut,
  show,
  showList,
} from "../components/core/problems";
import { TENANT_ID_EXPECTED, isLabel } from "../components/core/schema";

export interface VaultSourceOptions {
  /** VAULT_ADDR, e.g. https://vault.example.com:8200 */
  addr: string;
  /** VAULT_TOKEN */
  token: string;
  /** VAULT_NAMESPACE (Vault Enterprise / HCP), optional */
  namespace?: string;
  /** KV v2 mount, default "secret" */
  mount: string;
  /**
   * single-secret: one secret at `path` whose `key` holds a JSON string mapping tenant id -> record
   * (the existing-installation layout); per-tenant: one secret per tenant under the prefix `path`.
   */
  layout: "single-secret" | "per-tenant";
  /** Secret path (single-secret, default "platform") or prefix (per-tenant, e.g. "tenants"). */
  path: string;
  /** Key inside the single secret, default "k8s_users". */
  key: string;
  /**
   * Time allowed for one request, answer body included, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Retries after a failed attempt: connection errors, timeouts, HTTP 500, 502, 504 and 503 from a standby
   * (a sealed Vault and every 4xx are reported at once).
   * @default 3
   */
  retries?: number;
  /**
   * Wait before the first retry in milliseconds, doubled for each further one.
   * @default 200
   */
  backoffMs?: number;
  /**
   * Secrets read at the same time (per-tenant layout).
   * @default 8
   */
  concurrency?: number;
  /**
   * The fetch implementation (tests).
   * @default - Node's global fetch
   */
  fetch?: typeof fetch;
}

/**
 * The tenant records under the source. An empty per-tenant prefix is refused (a wrong path or mount must never
 * read as a registry without tenants), unless `firstRecord`: `tenancy onboard` writing the prefix's first
 * tenant, which reads the others only to validate the new record beside them.
 */
export async function loadVaultDocuments(
  opts: VaultSourceOptions,
  { firstRecord = false }: { firstRecord?: boolean } = {},
): Promise<TenantDocument[]> {
  const vault = new KvClient(opts);
  return opts.layout === "single-secret"
    ? loadSingleSecret(vault, opts.key)
    : loadPerTenant(vault, firstRecord);
}

async function loadSingleSecret(vault: KvClient, key: string): Promise<TenantDocument[]> {
  const data = await vault.read(vault.path, new AbortController().signal);
  const source = `${vault.source(vault.path)}#${key}`;
  if (!Object.hasOwn(data, key)) {
    const keys = Object.keys(data);
    throw vault.invalid([
      {
        source,
        path: [],
        message: `the secret has no key ${show(key)} (its keys: ${keys.length > 0 ? vault.echo(keys.join(", "), showList(keys)) : "none"}); expected ${show(key)} to hold the JSON registry mapping each user to their record`,
      },
    ]);
  }
  const result = singleSecretDocuments(data[key], source);
  if (!result.ok) throw vault.invalid(result.problems);
  return result.docs;
}

async function loadPerTenant(vault: KvClient, firstRecord: boolean): Promise<TenantDocument[]> {
  const keys = await vault.list(vault.path);
  const tenants = keys.filter((k) => !k.endsWith("/"));
  // a listed key becomes part of a request path: every one must be a tenant id ("..", "/", "%2e" are not)
  // before anything is read
  const bad = [...new Set(tenants.filter((k) => !isLabel(k)))];
  if (bad.length > 0)
    throw vault.invalid(
      bad.map((k) => ({
        source: `${vault.source(vault.path)}/`,
        path: [],
        message: `Vault lists the key ${vault.echo(k, show(k))}, which is not ${TENANT_ID_EXPECTED}; every secret under this prefix is named after its tenant id, so nothing was read`,
      })),
    );
  if (tenants.length === 0 && !firstRecord)
    throw vault.failure(
      `no tenants found under ${vault.listPath(vault.path)}` +
        (keys.length > 0
          ? ` (only folders: ${vault.echo(keys.join(", "), showList(keys))})`
          : " (the prefix holds no secrets)") +
        "; refusing to load an empty registry (check the mount and path)",
    );
  return mapBounded(tenants, vault.concurrency, async (id, signal) => {
    const path = `${vault.path}/${id}`;
    return { id, source: vault.source(path), data: await vault.read(path, signal) };
  });
}

/** Runs fn over items, at most `limit` at a time; the first failure cancels the rest and is thrown. */
async function mapBounded<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const cancel = new AbortController();
  const results: R[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, cancel.signal);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          cancel.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

const RETRYABLE = new Set([500, 502, 503, 504]);
/**
 * Largest answer read: Vault's own default limit on a request (max_request_size), so no secret written
 * through its API is bigger; a larger answer is not Vault's.
 */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** Shown instead of text from Vault that contains the token. */
const WITHHELD = "<not shown: it contains the value of VAULT_TOKEN>";

/** Thrown inside an attempt cancelled because another read failed; never reaches the caller. */
class Cancelled extends Error {}

/** A KV v2 client for the registry's secrets: reads, lists, versions and check-and-set writes. */
export class KvClient {
  readonly path: string;
  readonly concurrency: number;
  private readonly addr: string;
  private readonly mount: string;
  private readonly where: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: VaultSourceOptions) {
    let url: URL | undefined;
    try {
      url = new URL(opts.addr);
    } catch {
      // reported below
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:"))
      throw new UsageError(
        `VAULT_ADDR ${show(withoutUserinfo(opts.addr))} is not an http(s) URL; expected e.g. https://vault.example.com:8200`,
      );
    // fetch refuses such a URL with a message quoting it, password included; Vault takes the token alone
    if (url.username !== "" || url.password !== "")
      throw new UsageError(
        `VAULT_ADDR ${show(withoutUserinfo(opts.addr))} carries a user name or password before "@"; remove them (Vault authenticates with VAULT_TOKEN)`,
      );
    // a token pasted with a newline would make fetch throw a message that contains it
    if (!/^[\x21-\x7e]+$/.test(opts.token))
      throw new UsageError(
        "VAULT_TOKEN is empty or contains spaces or control characters; expected the token alone",
      );
    if (opts.namespace !== undefined && !/^[\x21-\x7e]*$/.test(opts.namespace))
      throw new UsageError(
        `VAULT_NAMESPACE ${show(opts.namespace)} contains spaces or control characters; expected a namespace path such as "team-a"`,
      );
    this.addr = opts.addr.replace(/\/+$/, "");
    this.mount = segments(opts.mount, "mount");
    this.path = segments(opts.path, "path");
    this.where = `Vault at ${this.addr}` + (opts.namespace ? ` (namespace ${show(opts.namespace)})` : "");
    this.headers = {
      accept: "application/json",
      "x-vault-token": opts.token,
      ...(opts.namespace ? { "x-vault-namespace": opts.namespace } : {}),
    };
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 200;
    this.concurrency = opts.concurrency ?? 8;
    this.fetch = opts.fetch ?? globalThis.fetch;
    for (const [name, value, min] of [
      ["timeoutMs", this.timeoutMs, 1],
      ["retries", this.retries, 0],
      ["backoffMs", this.backoffMs, 0],
      ["concurrency", this.concurrency, 1],
    ] as const) {
      if (!Number.isInteger(value) || value < min)
        throw new UsageError(
          `Vault source option ${name} is ${show(value)}; expected a whole number >= ${min}`,
        );
    }
  }

  /** How a record's origin is shown: `vault:secret/tenants/alice`. */
  source(path: string): string {
    return `vault:${this.opts.namespace ? `${this.opts.namespace}/` : ""}${this.mount}/${path}`;
  }

  listPath(path: string): string {
    return `${this.mount}/metadata/${path}/`;
  }

  /** An ExternalError naming Vault's address. Text from Vault in `message` has been through `echo`. */
  failure(message: string): ExternalError {
    return new ExternalError(`${this.where}: ${message}`);
  }

  /**
   * Text that came from Vault, as shown in a message (`shown`, a bounded excerpt of `raw`), or a note
   * instead when it contains the token: left out whole, never edited.
   */
  echo(raw: string, shown: string): string {
    return raw.includes(this.opts.token) || shown.includes(this.opts.token) ? WITHHELD : shown;
  }

  /** An InvalidInputError of problems found in Vault's answers; any message or field naming the token is left out. */
  invalid(problems: Problem[]): InvalidInputError {
    const token = this.opts.token;
    return new InvalidInputError(
      problems.map((p) => ({
        source: p.source,
        path: p.path.map((seg) => (typeof seg === "string" && seg.includes(token) ? WITHHELD : seg)),
        message: p.message.includes(token) ? WITHHELD : p.message,
      })),
    );
  }

  /** What Vault's `errors` say, as ` (Vault says: ...)`, or nothing. */
  says(body: unknown): string {
    const errors = errorsOf(body).join("; ");
    return errors === "" ? "" : ` (Vault says: ${this.echo(errors, cut(errors, 200))})`;
  }

  /** The data of the latest version of the secret at `path`. */
  async read(path: string, cancel: AbortSignal): Promise<Record<string, unknown>> {
    return (await this.readVersion(path, cancel)).data;
  }

  /**
   * The data of a version of the secret at `path` (default: the latest) and its version number, which a write
   * passes as check-and-set. A version number not a positive whole number in Vault's answer is refused.
   */
  async readVersion(
    path: string,
    cancel: AbortSignal,
    version?: number,
  ): Promise<{ data: Record<string, unknown>; version: number }> {
    const apiPath = `${this.mount}/data/${path}`;
    const query = version === undefined ? "" : `?version=${version}`;
    const { status, body, text } = await this.call("reading", apiPath, query, cancel, this.source(path));
    const data = field(field(body, "data"), "data");
    const metadata = field(field(body, "data"), "metadata");
    const deleted = field(metadata, "deletion_time");
    const which = version === undefined ? "the latest version" : `version ${version}`;
    if (status === 404 && ((typeof deleted === "string" && deleted !== "") || field(metadata, "destroyed")))
      throw this.failure(
        `${apiPath}: ${which} of the secret is deleted` +
          (typeof deleted === "string" && deleted !== ""
            ? ` (at ${this.echo(deleted, cut(deleted, 40))})`
            : "") +
          "; undelete it, or delete its metadata too if the tenant is meant to go",
      );
    if (status === 404 && version !== undefined)
      throw this.failure(
        `${apiPath}: no version ${version} of the secret (it never existed, or Vault no longer keeps it: max_versions)` +
          this.says(body),
      );
    if (status === 404)
      throw this.failure(
        `${apiPath} not found: no secret ${show(path)} in the mount ${show(this.mount)}, or ${show(this.mount)} is not a KV version 2 mount (check the mount and path)` +
          this.says(body),
      );
    if (!isMapping(data))
      throw this.failure(
        `reading ${apiPath}: the answer is not a KV version 2 secret (expected {"data": {"data": {...}}}, got ${this.echo(text, show(body))}); is ${show(this.mount)} a KV version 2 mount?`,
      );
    const got = field(metadata, "version");
    if (typeof got !== "number" || !Number.isSafeInteger(got) || got < 1)
      throw this.failure(
        `reading ${apiPath}: the answer carries no version number (expected data.metadata.version, a whole number from 1; got ${this.echo(String(got), show(got))}); is ${show(this.mount)} a KV version 2 mount?`,
      );
    if (version !== undefined && got !== version)
      throw this.failure(`reading ${apiPath}: asked for version ${version}, Vault answered version ${got}`);
    return { data, version: got };
  }

  /** Whether a secret exists at `path` (its latest version, deleted or not), and that version; 0 when none. */
  async currentVersion(path: string): Promise<number> {
    const apiPath = `${this.mount}/metadata/${path}`;
    const { status, body, text } = await this.call(
      "reading",
      apiPath,
      "",
      new AbortController().signal,
      this.source(path),
    );
    if (status === 404) return 0;
    const current = field(field(body, "data"), "current_version");
    if (typeof current !== "number" || !Number.isSafeInteger(current) || current < 0)
      throw this.failure(
        `reading ${apiPath}: the answer is not KV version 2 metadata (expected {"data": {"current_version": N}}, got ${this.echo(text, show(body))})`,
      );
    return current;
  }

  /**
   * Writes `data` as a new version of the secret at `path`, with check-and-set: only if the secret's current
   * version is still `cas` (0: only if there is none). Vault refuses the write otherwise, and so nothing is
   * written: a SafetyError (exit 3) saying someone else wrote it since it was read. One attempt, never retried:
   * a write whose answer was lost may have happened, and is reported so (exit 4). Returns the new version.
   */
  async write(path: string, data: Record<string, unknown>, cas: number): Promise<number> {
    const apiPath = `${this.mount}/data/${path}`;
    const { status, body, text } = await this.call(
      "writing",
      apiPath,
      "",
      new AbortController().signal,
      this.source(path),
      JSON.stringify({ options: { cas }, data }),
    );
    if (status === 400 && errorsOf(body).some((e) => /check-and-set/i.test(e)))
      throw new SafetyError(
        `${this.where}: ${this.source(path)} was ${cas === 0 ? "created" : "changed"} by someone else since it was read ` +
          `(check-and-set ${cas === 0 ? "0: it must not exist" : `version ${cas}`}; Vault refused the write${this.says(body)}); ` +
          "nothing was written: run the command again, it reads the registry anew",
      );
    const version = field(field(body, "data"), "version");
    if (status < 200 || status >= 300 || typeof version !== "number" || !Number.isSafeInteger(version))
      throw this.failure(
        `writing ${apiPath}: HTTP ${status}${this.says(body)}` +
          (status >= 200 && status < 300
            ? ` (the answer carries no version: got ${this.echo(text, show(body))})`
            : ""),
      );
    return version;
  }

  /** The keys directly under the prefix `path` (folders end with "/"); none when Vault has none. */
  async list(path: string): Promise<string[]> {
    const apiPath = this.listPath(path);
    const { status, body, text } = await this.call(
      "listing",
      apiPath,
      "?list=true",
      new AbortController().signal,
      `${this.source(path)}/`,
    );
    // 404 with no errors is Vault's way of saying "no keys"; with errors, the mount itself is missing
    if (status === 404 && errorsOf(body).length > 0)
      throw this.failure(`${apiPath} not found (check the mount and path)${this.says(body)}`);
    if (status === 404) return [];
    const keys = field(field(body, "data"), "keys");
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string"))
      throw this.failure(
        `listing ${apiPath}: the answer is not a key list (expected {"data": {"keys": [...]}}, got ${this.echo(text, show(body))})`,
      );
    return keys;
  }

  /**
   * One API call with timeouts and retries. Returns the parsed body (and its text) of a 2xx or 404 answer;
   * throws an ExternalError for anything else, and an InvalidInputError located at `source` for JSON with a
   * duplicate key or nested too deep.
   *
   * Redirects are refused, not followed: the token travels in a header, and a redirect (a standby pointing
   * at the active node, a proxy, a hostile answer) would send it to an address nobody configured. Point
   * VAULT_ADDR at the address that answers.
   */
  private async call(
    verb: "reading" | "listing" | "writing",
    apiPath: string,
    query: string,
    cancel: AbortSignal,
    source: string,
    /** A write's body (POST); a write is tried once. */
    payload?: string,
  ): Promise<{ status: number; body: unknown; text: string }> {
    const url = `${this.addr}/v1/${apiPath.split("/").map(encodeURIComponent).join("/")}${query}`;
    let last = "";
    const attempts = payload === undefined ? this.retries + 1 : 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(this.backoffMs * 2 ** (attempt - 2), cancel);
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.timeoutMs);
      const onCancel = () => controller.abort();
      cancel.addEventListener("abort", onCancel);
      let status: number;
      let location: string | null;
      let text: string | undefined;
      try {
        const res = await this.fetch(url, {
          headers:
            payload === undefined ? this.headers : { ...this.headers, "content-type": "application/json" },
          signal: controller.signal,
          redirect: "manual",
          ...(payload === undefined ? {} : { method: "POST", body: payload }),
        });
        status = res.status;
        location = res.headers.get("location");
        text = await readBounded(res);
      } catch (e) {
        if (cancel.aborted) throw new Cancelled();
        last = timedOut ? `no answer within ${this.timeoutMs} ms` : networkError(e);
        continue;
      } finally {
        clearTimeout(timer);
        cancel.removeEventListener("abort", onCancel);
      }
      if (status >= 300 && status < 400)
        throw this.failure(
          `${verb} ${apiPath}: Vault answered HTTP ${status}, a redirect` +
            (location === null ? "" : ` to ${this.echo(location, show(withoutUserinfo(location)))}`) +
            "; redirects are not followed, so that the token goes to VAULT_ADDR only: set VAULT_ADDR to the address that answers (the active node or the load balancer)",
        );
      if (text === undefined)
        throw this.failure(
          `${verb} ${apiPath}: the answer (HTTP ${status}) is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, more than Vault accepts in a request; refusing to read it`,
        );
      const parsed = parseJson(text);
      const body = parsed.ok ? parsed.value : undefined;
      if (status === 503 && errorsOf(body).some((m) => /sealed/i.test(m)))
        throw this.failure(`sealed (${verb} ${apiPath}); unseal it (vault operator unseal) and try again`);
      if (RETRYABLE.has(status)) {
        last = `HTTP ${status}${status === 503 ? " (standby or unavailable)" : ""}${this.says(body)}`;
        continue;
      }
      if (status === 403)
        throw this.failure(
          `permission denied ${verb} ${apiPath}: check VAULT_TOKEN and its policy${this.opts.namespace ? " (and VAULT_NAMESPACE)" : ""}${this.says(body)}`,
        );
      if (!parsed.ok && parsed.syntax)
        throw this.failure(
          `${verb} ${apiPath}: the answer (HTTP ${status}) is not valid JSON: got ${this.echo(text, show(text))}`,
        );
      if (!parsed.ok) {
        // locate it in the secret's own fields when it is inside them ({"data": {"data": {...}}})
        const inSecret = verb === "reading" && parsed.path[0] === "data" && parsed.path[1] === "data";
        throw this.invalid([
          {
            source,
            path: inSecret ? parsed.path.slice(2) : parsed.path,
            message: `${parsed.message} (in Vault's answer to ${verb} ${apiPath})`,
          },
        ]);
      }
      if ((status >= 200 && status < 300) || status === 404) return { status, body, text };
      // a refused check-and-set: the caller says what it means
      if (verb === "writing" && status === 400) return { status, body, text };
      throw this.failure(`${verb} ${apiPath}: HTTP ${status}${this.says(body)}`);
    }
    throw this.failure(
      `${verb} ${apiPath} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${last}` +
        (payload === undefined
          ? ""
          : "; the write may or may not have happened: read the secret (vault kv get) before trying again"),
    );
  }
}

/**
 * The answer's body as text, or undefined when it is larger than MAX_ANSWER_BYTES (stopped there, never
 * held whole in memory).
 */
async function readBounded(res: Response): Promise<string | undefined> {
  if (Number(res.headers.get("content-length")) > MAX_ANSWER_BYTES) {
    await res.body?.cancel();
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body === null) return "";
  const reader = res.body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * An address as shown in a message: without whatever stands before an "@" (a user name and password), even
 * when the address does not parse as a URL.
 */
function withoutUserinfo(addr: string): string {
  const at = addr.lastIndexOf("@");
  if (at < 0) return addr;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(addr)?.[0] ?? "";
  return scheme + addr.slice(at + 1);
}

/** `mount` or `path` without surrounding slashes; "." and ".." segments would escape it. */
function segments(value: string, what: string): string {
  const trimmed = value.replace(/^\/+|\/+$/g, "");
  if (trimmed.split("/").some((s) => s === "" || s === "." || s === ".."))
    throw new UsageError(
      `Vault ${what} ${show(value)} is not valid; expected names separated by "/", without empty, "." or ".." parts`,
    );
  return trimmed;
}

function field(v: unknown, name: string): unknown {
  return isMapping(v) && Object.hasOwn(v, name) ? v[name] : undefined;
}

function errorsOf(body: unknown): string[] {
  const errors = field(body, "errors");
  return Array.isArray(errors) ? errors.map(String) : [];
}

function networkError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  const known: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "host not found (DNS)",
    EAI_AGAIN: "host name lookup failed (DNS)",
    ECONNRESET: "connection reset",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
  };
  const what = (code && known[code]) ?? cause?.message ?? (e as Error).message ?? String(e);
  // Node's fetch trusts its own CA list, not VAULT_CACERT
  const hint = code?.includes("CERT")
    ? "set NODE_EXTRA_CA_CERTS to the CA bundle that signed Vault's certificate"
    : "check VAULT_ADDR and that Vault is reachable from here";
  return `${what}${code ? ` (${code})` : ""}; ${hint}`;
}

function sleep(ms: number, cancel: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cancel.aborted) return reject(new Cancelled());
    const onCancel = () => {
      clearTimeout(timer);
      reject(new Cancelled());
    };
    const timer = setTimeout(() => {
      cancel.removeEventListener("abort", onCancel);
      resolve();
    }, ms);
    cancel.addEventListener("abort", onCancel, { once: true });
  });
}
