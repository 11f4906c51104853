/**
 * A local stand-in for Cloudflare's v4 API, the DNS records of zones (127.0.0.1, random port; the API at
 * `<url>/client/v4/`), for testing what talks to Cloudflare. It speaks:
 * - List DNS Records, `GET zones/{zone_id}/dns_records` with `page`, `per_page` and the exact `name`, `type` and
 *   `content` filters, answering a page and its `result_info`;
 * - Create DNS Record, `POST zones/{zone_id}/dns_records`, refusing a record at a CNAME's name and an identical
 *   record as Cloudflare does;
 * - DNS Record Details and Delete DNS Record, `GET` and `DELETE zones/{zone_id}/dns_records/{dns_record_id}`;
 * every answer in Cloudflare's envelope `{ success, errors, messages, result }`, every request checked for the
 * bearer token. Faults (any status and errors, redirects, raw bodies, delays) can be injected per path and
 * method, for the first N requests or always. It records every request and the most requests seen in flight,
 * closes itself after `lifetimeMs` and never keeps the process alive.
 *
 * What each behaviour mirrors is cited where it is modelled; the API reference is
 * developers.cloudflare.com/api/resources/dns/subresources/records/methods/{list,create,get,delete}/. That reference
 * documents a failure only as "4XX" with the envelope; codes and messages marked "as the API answers" are the
 * ones Cloudflare's API sends (and client libraries match on), the others are this model's own.
 */
import { Timers, listenOnLoopback } from "./loopback";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";

/** A DNS record as the API returns it (developers.cloudflare.com/dns/manage-dns-records/reference/dns-record-types/). */
export interface CloudflareRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  proxiable: boolean;
  proxied: boolean;
  /** 1 is "automatic". */
  ttl: number;
  locked: boolean;
  meta: { source: "primary" };
  comment: string | null;
  tags: string[];
  created_on: string;
  modified_on: string;
}

/** A record to seed a zone with: name (full, or relative to the zone, or `@`), type and content at least. */
export interface SeedRecord {
  name: string;
  type: string;
  content: string;
  id?: string;
  proxied?: boolean;
  ttl?: number;
  comment?: string;
  tags?: string[];
}

export interface CloudflareError {
  code: number;
  message: string;
}

export type CloudflareFaultAnswer =
  /** This status with Cloudflare's envelope around these errors (none unless given). */
  | { status: number; errors?: CloudflareError[] }
  /** A redirect (302 unless given) to `location`. */
  | { redirect: string; status?: number }
  /** This body as it is (200 unless given). */
  | { body: string; status?: number };

export interface CloudflareFaultRule {
  /** API path after `/client/v4/`, e.g. `zones/<id>/dns_records`; a RegExp is tested against it; default: every path. */
  path?: string | RegExp;
  /** Only this method; default: any. */
  method?: string;
  /** Only the first `times` matching requests get the fault; default: every one. */
  times?: number;
  /** Wait this long before answering (the fault's answer, or the normal one). */
  delayMs?: number;
  /** The answer; default: the normal answer (after delayMs). */
  respond?: CloudflareFaultAnswer;
}

export interface CloudflareServerOptions {
  /** The API token every request must carry as `Authorization: Bearer <token>`. */
  token: string;
  /** Zone id -> its name and records. */
  zones?: Record<string, { name: string; records?: SeedRecord[] }>;
  faults?: CloudflareFaultRule[];
  /** Wait this long before every answer (so requests overlap, and in-flight counts mean something). */
  latencyMs?: number;
  /** Closes itself after this long; default 60 s. */
  lifetimeMs?: number;
}

export interface CloudflareRequest {
  method: string;
  /** Decoded path after `/client/v4/`. */
  path: string;
  query: Record<string, string>;
  /** The bearer token it carried, if any. */
  token: string | undefined;
}

/** Cloudflare's API paths, after the stable base `https://api.cloudflare.com/client/v4/` (make-api-calls). */
const BASE = "/client/v4/";

/**
 * `per_page` of List DNS Records: default 100, minimum 1, maximum 5,000,000 (the API schema's
 * `dns-records_per_page`); `page`: from 1 (`dns-records_page`).
 */
const PER_PAGE = { default: 100, min: 1, max: 5_000_000 } as const;

export class CloudflareServer {
  readonly requests: CloudflareRequest[] = [];
  /** The most requests being answered at once. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly zones = new Map<string, { name: string; records: CloudflareRecord[] }>();
  private readonly faults: (CloudflareFaultRule & { hits: number })[] = [];
  private readonly timers = new Timers();
  private closing: Promise<void> | undefined;
  private nextId = 1;
  /** `http://127.0.0.1:<port>` */
  url = "";
  /** `http://127.0.0.1:<port>/client/v4/`, what a client takes as its API base. */
  api = "";

  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  constructor(private readonly opts: CloudflareServerOptions) {
    for (const [id, zone] of Object.entries(opts.zones ?? {})) {
      this.zones.set(id, { name: zone.name, records: [] });
      for (const r of zone.records ?? []) this.seed(id, r);
    }
    for (const f of opts.faults ?? []) this.addFault(f);
  }

  async listen(): Promise<this> {
    this.url = await listenOnLoopback(this.server);
    this.api = `${this.url}${BASE}`;
    this.timers.later(() => void this.close(), this.opts.lifetimeMs ?? 60_000);
    return this;
  }

  /** Adds a record to a zone (made if new) without the create endpoint's checks; returns it. */
  seed(zoneId: string, r: SeedRecord): CloudflareRecord {
    const zone = this.zone(zoneId);
    const record = this.record(zoneId, zone.name, r);
    zone.records.push(record);
    return record;
  }

  /** A zone's records as the server holds them. */
  records(zoneId: string): CloudflareRecord[] {
    return [...(this.zones.get(zoneId)?.records ?? [])];
  }

  addFault(rule: CloudflareFaultRule): void {
    this.faults.push({ ...rule, hits: 0 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests seen with this method whose path matches. */
  count(method: string, path: string | RegExp): number {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)),
    ).length;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.timers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private zone(zoneId: string) {
    let zone = this.zones.get(zoneId);
    if (!zone) this.zones.set(zoneId, (zone = { name: `${zoneId}.example`, records: [] }));
    return zone;
  }

  private record(zoneId: string, zoneName: string, r: SeedRecord): CloudflareRecord {
    const now = "2024-05-01T10:00:00.000000Z";
    const proxiable = ["A", "AAAA", "CNAME"].includes(r.type);
    return {
      id: r.id ?? (this.nextId++).toString(16).padStart(32, "0"),
      zone_id: zoneId,
      zone_name: zoneName,
      name: fullName(r.name, zoneName),
      type: r.type,
      content: r.content,
      proxiable,
      proxied: proxiable && r.proxied === true,
      ttl: r.ttl ?? 1,
      locked: false,
      meta: { source: "primary" },
      comment: r.comment ?? null,
      tags: r.tags ?? [],
      created_on: now,
      modified_on: now,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://cloudflare");
    const path = decodeURIComponent(
      url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname,
    );
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") ? auth.slice("Bearer ".length) : undefined;
    const method = req.method ?? "";
    this.requests.push({ method, path, query: Object.fromEntries(url.searchParams), token });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on("close", () => this.inFlight--);

    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString("utf8")));
    req.on("end", () => {
      const fault = this.faults.find(
        (f) =>
          (f.times === undefined || f.hits < f.times) &&
          (f.method === undefined || f.method === method) &&
          (f.path === undefined || (typeof f.path === "string" ? f.path === path : f.path.test(path))),
      );
      if (fault) fault.hits++;
      const answer = () => {
        if (fault?.respond !== undefined) this.fault(res, fault.respond);
        else this.answer(res, method, path, url.searchParams, token, body);
      };
      const delay = (fault?.delayMs ?? 0) + (this.opts.latencyMs ?? 0);
      if (delay > 0) this.timers.later(answer, delay);
      else answer();
    });
  }

  private fault(res: ServerResponse, f: CloudflareFaultAnswer): void {
    if ("redirect" in f) {
      if (res.destroyed) return;
      res.writeHead(f.status ?? 302, { location: f.redirect, "content-type": "text/html" });
      res.end(`<a href="${f.redirect}">Found</a>.`);
    } else if ("body" in f) {
      if (res.destroyed) return;
      res.writeHead(f.status ?? 200, { "content-type": "application/json" });
      res.end(f.body);
    } else fail(res, f.status, f.errors ?? []);
  }

  private answer(
    res: ServerResponse,
    method: string,
    path: string,
    query: URLSearchParams,
    token: string | undefined,
    body: string,
  ): void {
    // Every request is authorized with `Authorization: Bearer <API_TOKEN>`
    // (developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/). A token that may not act is answered
    // 403 with code 10000, "Authentication error" (as the API answers; not in the reference).
    if (token !== this.opts.token) return fail(res, 403, [{ code: 10000, message: "Authentication error" }]);

    const m = /^zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(path);
    const zone = m ? this.zones.get(m[1]!) : undefined;
    if (!m || !zone)
      // an unknown route or zone: codes 7003 and 7000 as the API answers (the status is the model's)
      return fail(res, m ? 404 : 400, [
        {
          code: 7003,
          message: `Could not route to ${BASE}${path}, perhaps your object identifier is invalid?`,
        },
        { code: 7000, message: "No route for that URI" },
      ]);
    const [, zoneId, recordId] = m;

    if (recordId !== undefined) {
      // DNS Record Details (methods/get/) and Delete DNS Record (methods/delete/, whose result is `{ id }`); an
      // unknown record is 404 with code 81044, "Record does not exist." (as the API answers)
      const i = zone.records.findIndex((r) => r.id === recordId);
      if (method !== "GET" && method !== "DELETE")
        return fail(res, 405, [{ code: 10405, message: "Method not allowed" }]);
      if (i < 0) return fail(res, 404, [{ code: 81044, message: "Record does not exist." }]);
      if (method === "GET") return ok(res, zone.records[i]);
      zone.records.splice(i, 1);
      return ok(res, { id: recordId });
    }

    if (method === "GET") {
      // List DNS Records: `page` and `per_page` select a page (developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/,
      // "Pagination"); `result_info` says which page of how many. `name`, `type` and `content` filter exactly,
      // all of them together (`match` defaults to `all`) (methods/list/). A page past the last is empty.
      // Out-of-range paging is refused (the code, 1004, is the model's).
      const page = query.has("page") ? Number(query.get("page")) : 1;
      const perPage = query.has("per_page") ? Number(query.get("per_page")) : PER_PAGE.default;
      if (!Number.isInteger(page) || page < 1)
        return fail(res, 400, [{ code: 1004, message: "page must be a whole number of at least 1" }]);
      if (!Number.isInteger(perPage) || perPage < PER_PAGE.min || perPage > PER_PAGE.max)
        return fail(res, 400, [
          { code: 1004, message: `per_page must be a whole number from ${PER_PAGE.min} to ${PER_PAGE.max}` },
        ]);
      const name = query.get("name");
      const type = query.get("type");
      const content = query.get("content");
      const matching = zone.records.filter(
        (r) =>
          (name === null || r.name === fullName(name, zone.name)) &&
          (type === null || r.type === type) &&
          (content === null || r.content === content),
      );
      const result = matching.slice((page - 1) * perPage, page * perPage);
      return send(res, 200, {
        success: true,
        errors: [],
        messages: [],
        result,
        result_info: {
          page,
          per_page: perPage,
          count: result.length,
          total_count: matching.length,
          total_pages: Math.ceil(matching.length / perPage),
        },
      });
    }

    if (method === "POST") {
      // Create DNS Record (methods/create/): the record, named in full, in the envelope. A body without name,
      // type and content is refused (codes 9207 and 9000 are the model's).
      let input: Partial<SeedRecord>;
      try {
        input = JSON.parse(body) as Partial<SeedRecord>;
      } catch {
        return fail(res, 400, [{ code: 9207, message: "Request body is invalid." }]);
      }
      if (
        typeof input.name !== "string" ||
        typeof input.type !== "string" ||
        typeof input.content !== "string"
      )
        return fail(res, 400, [{ code: 9000, message: "DNS name, type and content are required." }]);
      const record = this.record(zoneId!, zone.name, input as SeedRecord);
      const here = zone.records.filter((r) => r.name === record.name);
      // An identical record (name, type and content) is refused: 400, code 81058, "An identical record already
      // exists." (as the API answers).
      if (here.some((r) => r.type === record.type && r.content === record.content))
        return fail(res, 400, [{ code: 81058, message: "An identical record already exists." }]);
      // A CNAME at the name of an A, AAAA or CNAME record, and an A or AAAA at a CNAME's name, are refused
      // (developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/): 400, code
      // 81053, "An A, AAAA, or CNAME record with that host already exists." (as the API answers). More than one
      // A or AAAA at a name is allowed (the same page's note; round-robin DNS).
      const address = (t: string) => t === "A" || t === "AAAA" || t === "CNAME";
      if (
        (record.type === "CNAME" && here.some((r) => address(r.type))) ||
        (address(record.type) && here.some((r) => r.type === "CNAME"))
      )
        return fail(res, 400, [
          { code: 81053, message: "An A, AAAA, or CNAME record with that host already exists." },
        ]);
      zone.records.push(record);
      return ok(res, record);
    }

    fail(res, 405, [{ code: 10405, message: "Method not allowed" }]);
  }
}

/**
 * A record's name as Cloudflare keeps it: the full name, lowercase; `@` is the zone apex and a name outside the
 * zone is taken as relative to it (create-dns-records: "Name: A subdomain or the zone apex (@)").
 */
function fullName(name: string, zoneName: string): string {
  const n = name.toLowerCase().replace(/\.$/, "");
  if (n === "@" || n === zoneName) return zoneName;
  return n.endsWith(`.${zoneName}`) ? n : `${n}.${zoneName}`;
}

/** Cloudflare's envelope around a result (make-api-calls: `result`, `success`, `errors`, `messages`). */
function ok(res: ServerResponse, result: unknown): void {
  send(res, 200, { success: true, errors: [], messages: [], result });
}

/** A failure in Cloudflare's envelope. */
function fail(res: ServerResponse, status: number, errors: CloudflareError[]): void {
  send(res, status, { success: false, errors, messages: [], result: null });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts a server on 127.0.0.1 at a random port. */
export function startCloudflareServer(opts: CloudflareServerOptions): Promise<CloudflareServer> {
  return new CloudflareServer(opts).listen();
}
