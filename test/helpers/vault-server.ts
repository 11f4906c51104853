/**
 * A local stand-in for Vault's KV v2 HTTP API (127.0.0.1, random port), for testing the Vault source.
 * Speaks what the source uses: read (`GET /v1/<mount>/data/<path>`, `?version=N` for an earlier version), write
 * (`POST`/`PUT /v1/<mount>/data/<path>` with `{"data": {...}, "options": {"cas": N}}`: a new version, refused
 * with 400 and Vault's "check-and-set parameter did not match the current version" when `cas` is not the
 * current version, 0 meaning "only if the secret does not exist"), the metadata read
 * (`GET /v1/<mount>/metadata/<path>`: current_version, versions) and list (`GET ...?list=true` on
 * `/v1/<mount>/metadata/<prefix>/`; the `LIST` verb too, though Node's HTTP parser refuses unknown
 * methods before they reach here), checking X-Vault-Token and X-Vault-Namespace like Vault does. Versions are
 * numbered from 1 per secret, as KV v2 numbers them.
 * Faults (403, 404, sealed, standby, 5xx, malformed JSON, delays, redirects, any raw body) can be injected
 * per path or for all, for the first N requests or always. It records every request and the most requests seen in flight.
 * It closes itself after `lifetimeMs` and never keeps the process alive.
 */
import type { AddressInfo } from "node:net";
import { Timers, listenOnLoopback } from "./loopback";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";

export type FaultAnswer =
  | "forbidden" // 403 permission denied
  | "not-found" // 404 {"errors":[]}
  | "sealed" // 503 Vault is sealed
  | "standby" // 503 from a standby node that is not ready
  | "malformed" // 200 with a body cut in the middle of the JSON
  | { status: number; errors?: string[] }
  /** A redirect (302 unless given) to `location`. */
  | { redirect: string; status?: number }
  /** This body as it is (200 unless given): hostile JSON, a huge answer. */
  | { body: string | Buffer; status?: number };

export interface FaultRule {
  /** API path after `/v1/`, e.g. `secret/data/platform` or `secret/metadata/tenants/`; default: every path. */
  path?: string | RegExp;
  /** Only requests of this method (GET, POST); default: any. */
  method?: string;
  /** Answer only once this settles (then after delayMs): holds a request until the test lets it go. */
  until?: Promise<unknown>;
  /** Only the first `times` matching requests get the fault; default: every one. */
  times?: number;
  /** Wait this long before answering (the fault's answer, or the normal one). */
  delayMs?: number;
  /** The answer; default: the normal answer (after delayMs). */
  respond?: FaultAnswer;
}

export interface VaultServerOptions {
  /** The token every request must carry in X-Vault-Token. */
  token: string;
  /** When set, every request must carry it in X-Vault-Namespace. */
  namespace?: string;
  /** KV v2 mount, default "secret". */
  mount?: string;
  /** Secrets, path inside the mount -> data, e.g. `{ platform: { k8s_users: "..." } }`. */
  secrets?: Record<string, Record<string, unknown>>;
  faults?: FaultRule[];
  /** Closes itself after this long; default 60 s. */
  lifetimeMs?: number;
}

export interface RecordedRequest {
  method: string;
  /** Decoded path after `/v1/`. */
  path: string;
  list: boolean;
  token: string | undefined;
  namespace: string | undefined;
  /** The request's body (a write's), once read. */
  body?: string;
}

interface Version {
  data: Record<string, unknown>;
  deletedAt?: string;
}

interface Secret {
  /** versions[i] is version i + 1 */
  versions: Version[];
}

export class VaultServer {
  readonly requests: RecordedRequest[] = [];
  /** The most requests being answered at once. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly secrets = new Map<string, Secret>();
  private readonly faults: (FaultRule & { hits: number })[] = [];
  private readonly timers = new Timers();
  private readonly mount: string;
  private closing: Promise<void> | undefined;
  url = "";

  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  constructor(private readonly opts: VaultServerOptions) {
    this.mount = opts.mount ?? "secret";
    for (const [path, data] of Object.entries(opts.secrets ?? {})) this.setSecret(path, data);
    for (const f of opts.faults ?? []) this.addFault(f);
  }

  async listen(): Promise<this> {
    this.url = await listenOnLoopback(this.server);
    this.timers.later(() => void this.close(), this.opts.lifetimeMs ?? 60_000);
    return this;
  }

  /** Writes a new version of the secret at `path` (the first when there is none), as `vault kv put` does. */
  setSecret(path: string, data: Record<string, unknown>): void {
    const s = this.secrets.get(path);
    if (s) s.versions.push({ data });
    else this.secrets.set(path, { versions: [{ data }] });
  }

  /** The data of a version of the secret at `path` (default: the latest), or undefined. */
  secret(path: string, version?: number): Record<string, unknown> | undefined {
    const versions = this.secrets.get(path)?.versions ?? [];
    return versions[(version ?? versions.length) - 1]?.data;
  }

  /** The current version of the secret at `path`, 0 when there is none. */
  version(path: string): number {
    return this.secrets.get(path)?.versions.length ?? 0;
  }

  /** Soft-deletes the latest version, as `vault kv delete` does: still listed, read answers 404. */
  deleteSecret(path: string): void {
    const s = this.secrets.get(path);
    const latest = s?.versions[s.versions.length - 1];
    if (latest) latest.deletedAt = "2024-05-01T10:00:00.000000Z";
  }

  addFault(rule: FaultRule): void {
    this.faults.push({ ...rule, hits: 0 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests seen for an API path (after `/v1/`). */
  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.timers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://vault");
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\//, ""));
    const list = req.method === "LIST" || (req.method === "GET" && url.searchParams.get("list") === "true");
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path,
      list,
      token: header("x-vault-token"),
      namespace: header("x-vault-namespace"),
    };
    this.requests.push(recorded);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on("close", () => this.inFlight--);

    const fault = this.faults.find(
      (f) =>
        (f.times === undefined || f.hits < f.times) &&
        (f.method === undefined || f.method === req.method) &&
        (f.path === undefined || (typeof f.path === "string" ? f.path === path : f.path.test(path))),
    );
    if (fault) fault.hits++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (chunks.length > 0) recorded.body = Buffer.concat(chunks).toString("utf8");
      const answer = () => {
        if (fault?.respond !== undefined) this.fault(res, fault.respond);
        else this.answer(req, res, path, list, url, Buffer.concat(chunks).toString("utf8"));
      };
      const go = () => {
        if (fault?.delayMs !== undefined) this.timers.later(answer, fault.delayMs);
        else answer();
      };
      if (fault?.until) void fault.until.then(go, go);
      else go();
    });
  }

  private fault(res: ServerResponse, f: FaultAnswer): void {
    if (f === "forbidden") send(res, 403, { errors: ["permission denied"] });
    else if (f === "not-found") send(res, 404, { errors: [] });
    else if (f === "sealed") send(res, 503, { errors: ["Vault is sealed"] });
    else if (f === "standby") send(res, 503, { errors: ["Vault is in standby mode"] });
    else if (f === "malformed") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"request_id":"0f0c","data":{"data":{"k8s_users":"{\\"alice');
    } else if ("redirect" in f) {
      res.writeHead(f.status ?? 302, { location: f.redirect, "content-type": "text/html" });
      res.end(`<a href="${f.redirect}">Found</a>.`);
    } else if ("body" in f) {
      res.writeHead(f.status ?? 200, { "content-type": "application/json" });
      res.end(f.body);
    } else send(res, f.status, { errors: f.errors ?? [] });
  }

  private answer(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    list: boolean,
    url: URL,
    body: string,
  ): void {
    if (this.opts.namespace !== undefined && req.headers["x-vault-namespace"] !== this.opts.namespace)
      return send(res, 403, { errors: ["permission denied"] });
    if (req.headers["x-vault-token"] !== this.opts.token)
      return send(res, 403, { errors: ["permission denied"] });
    const dataPrefix = `${this.mount}/data/`;
    const metaPrefix = `${this.mount}/metadata/`;
    if (!list && req.method === "GET" && path.startsWith(dataPrefix)) {
      const secret = this.secrets.get(path.slice(dataPrefix.length));
      if (!secret) return send(res, 404, { errors: [] });
      const asked = url.searchParams.get("version");
      // version=0 (or none) is the latest, as in Vault
      const number = asked === null || asked === "0" ? secret.versions.length : Number(asked);
      const version = Number.isInteger(number) ? secret.versions[number - 1] : undefined;
      if (!version) return send(res, 404, { errors: [] });
      const metadata = versionMetadata(version, number);
      return version.deletedAt
        ? send(res, 404, { data: { data: null, metadata } })
        : send(res, 200, envelope({ data: version.data, metadata }));
    }
    if ((req.method === "POST" || req.method === "PUT") && path.startsWith(dataPrefix)) {
      const key = path.slice(dataPrefix.length);
      let parsed: { data?: unknown; options?: { cas?: unknown } };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        return send(res, 400, { errors: ["failed to parse JSON input"] });
      }
      if (typeof parsed.data !== "object" || parsed.data === null || Array.isArray(parsed.data))
        return send(res, 400, { errors: ["no data provided"] });
      const current = this.version(key);
      const cas = parsed.options?.cas;
      if (cas !== undefined && cas !== current)
        return send(res, 400, { errors: ["check-and-set parameter did not match the current version"] });
      this.setSecret(key, parsed.data as Record<string, unknown>);
      return send(res, 200, envelope(versionMetadata({ data: {} }, current + 1)));
    }
    if (!list && req.method === "GET" && path.startsWith(metaPrefix)) {
      const secret = this.secrets.get(path.slice(metaPrefix.length));
      if (!secret) return send(res, 404, { errors: [] });
      return send(
        res,
        200,
        envelope({
          current_version: secret.versions.length,
          oldest_version: 1,
          max_versions: 0,
          cas_required: false,
          versions: Object.fromEntries(
            secret.versions.map((v, i) => {
              const { version: _n, ...meta } = versionMetadata(v, i + 1);
              return [String(i + 1), meta];
            }),
          ),
        }),
      );
    }
    if (list && path.startsWith(metaPrefix)) {
      const prefix = path.slice(metaPrefix.length);
      const keys = new Set<string>();
      for (const p of this.secrets.keys()) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length).split("/");
        keys.add(rest.length > 1 ? `${rest[0]}/` : rest[0]!);
      }
      if (keys.size === 0) return send(res, 404, { errors: [] });
      return send(res, 200, envelope({ keys: [...keys].sort() }));
    }
    send(res, 404, { errors: [`no handler for route "${path}". route entry not found.`] });
  }
}

/** A version's metadata as KV v2 answers it. */
function versionMetadata(v: Version, version: number) {
  return {
    created_time: `2024-04-01T10:00:${String(version % 60).padStart(2, "0")}.000000Z`,
    custom_metadata: null,
    deletion_time: v.deletedAt ?? "",
    destroyed: false,
    version,
  };
}

/** A KV v2 answer around `data`, as Vault sends it. */
export function envelope(data: unknown): unknown {
  return {
    request_id: "5d3a1c7e-0000-4000-8000-000000000000",
    lease_id: "",
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts a server on 127.0.0.1 at a random port. */
export function startVaultServer(opts: VaultServerOptions): Promise<VaultServer> {
  return new VaultServer(opts).listen();
}

/** A loopback port nothing listens on (bound, then released): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
