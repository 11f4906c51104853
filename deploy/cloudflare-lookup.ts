/**
 * Finding the DNS records an installation already has, for adoption and for the preflight before a run:
 * Cloudflare gives each record an id of its own, so a record tenancy would create is looked up by zone, name,
 * type and content, and imported as `<zone id>/<record id>`. Each zone's records are listed once (page by
 * page) and matched here, not asked for one record at a time: thousands of tenants' records cost a few
 * requests per zone. Records at the same name that a new record would collide with are reported as conflicts.
 * The token (CLOUDFLARE_API_TOKEN) is sent to the API's origin only (redirects are not followed) and never
 * printed.
 */
import { type DnsRecordSpec, recordKey } from "../components/dns/policy";
import { mapLimited } from "./map-limited";

export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4/";

/**
 * Records a listing page asks for. Cloudflare's documented limits for `per_page` on List DNS Records
 * (GET zones/{zone_id}/dns_records) have varied: the current API schema (`dns-records_per_page`) says default 100,
 * minimum 1, maximum 5,000,000; the retired api.cloudflare.com reference said a minimum of 5; and "If you select
 * too many, you may get a timeout" (developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/,
 * "Pagination"). 1,000 keeps inside every one of those ranges, pages stay small (a few hundred kB), and a zone of
 * 3,500 records (the paid plans' per-zone record quota) takes 4 requests.
 */
export const DEFAULT_PER_PAGE = 1000;
/** Most pages read of one zone: a million records at the default page size. */
const MAX_PAGES = 1000;
/** The range `perPage` may be set in: inside every documented range (above). */
export const PER_PAGE_RANGE = { min: 5, max: 5000 } as const;

export interface RecordLookupOptions {
  token: string;
  /** @default Cloudflare's API */
  api?: string;
  /** @default - Node's global fetch */
  fetch?: typeof fetch;
  /** Per request. @default 10000 */
  timeoutMs?: number;
  /**
   * Zones listed at once (each zone's pages one after another). Cloudflare allows 1,200 requests per five minutes
   * per user, across the dashboard and every token (developers.cloudflare.com/fundamentals/api/reference/limits/);
   * a few at once stay far from it.
   * @default 4
   */
  concurrency?: number;
  /** Records per listing page, within PER_PAGE_RANGE. @default DEFAULT_PER_PAGE */
  perPage?: number;
}

/** A record Cloudflare has. */
export interface ExistingRecord {
  id: string;
  zoneId: string;
  name: string;
  type: string;
  content: string;
  comment?: string;
  tags?: string[];
}

/**
 * An existing record a new record would collide with. `why`:
 * - `content`: the same name and type, other content. For a CNAME Cloudflare refuses the new record ("An A, AAAA,
 *   or CNAME record with that host already exists."); for an A or AAAA it accepts it, and the name then answers with
 *   both addresses, one of them not the platform's.
 * - `cname`: one of the two is a CNAME and the other is not. Cloudflare refuses a CNAME at the name of an A, AAAA
 *   or CNAME record and an A or AAAA at the name of a CNAME
 *   (developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/), and a CNAME's name
 *   holds no other data at all (RFC 1034, 3.6.2, which that page cites).
 */
export interface RecordConflict extends ExistingRecord {
  why: "content" | "cname";
}

export interface RecordLookup {
  /** Record key -> `<zone id>/<record id>` of the existing record with its name, type and content. */
  ids: Record<string, string>;
  /** Record key -> why it could not be looked up (its zone could not be listed). */
  failures: Record<string, string>;
  /** Record key -> the existing records it collides with (none listed for a record without any). */
  conflicts: Record<string, RecordConflict[]>;
  /** Record key -> the existing record of `ids`, as Cloudflare holds it (its comment says whose it is). */
  found: Record<string, ExistingRecord>;
}

/**
 * For each record, the import id of the existing record with its name, type and content, if there is one; the
 * existing records it would collide with; failures by record key. Every record of a zone that could not be listed
 * fails, with the zone, the HTTP status and Cloudflare's error messages.
 */
export async function lookupRecords(
  records: DnsRecordSpec[],
  opts: RecordLookupOptions,
): Promise<RecordLookup> {
  const api = new URL(opts.api ?? CLOUDFLARE_API);
  const concurrency = whole("concurrency", opts.concurrency ?? 4, 1, Number.MAX_SAFE_INTEGER);
  const perPage = whole("perPage", opts.perPage ?? DEFAULT_PER_PAGE, PER_PAGE_RANGE.min, PER_PAGE_RANGE.max);
  const byZone = new Map<string, DnsRecordSpec[]>();
  for (const r of records) {
    if (!byZone.has(r.zoneId)) byZone.set(r.zoneId, []);
    byZone.get(r.zoneId)!.push(r);
  }
  const zones = [...byZone.keys()];
  const listed = await mapLimited(zones, concurrency, async (zoneId) => {
    try {
      return { records: await listZone(zoneId, api, perPage, opts) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  });

  const out: RecordLookup = { ids: {}, failures: {}, conflicts: {}, found: {} };
  zones.forEach((zoneId, i) => {
    const wanted = byZone.get(zoneId)!;
    const zone = listed[i]!;
    if (zone.records === undefined) {
      for (const r of wanted)
        out.failures[recordKey(r)] =
          `record lookup at ${api.origin} for ${r.type} ${r.hostname} failed: ${zone.error}`;
      return;
    }
    const atName = new Map<string, ExistingRecord[]>();
    for (const x of zone.records) {
      const n = hostname(x.name);
      if (!atName.has(n)) atName.set(n, []);
      atName.get(n)!.push(x);
    }
    const same = (x: ExistingRecord, r: DnsRecordSpec) =>
      x.type === r.type && content(x.type, x.content) === content(r.type, r.content);
    // an existing record some wanted record of its type takes over is no conflict for that record's siblings
    // (the addresses of one name: an A record each)
    const taken = new Set<string>();
    for (const r of wanted)
      for (const x of atName.get(hostname(r.hostname)) ?? []) if (same(x, r)) taken.add(x.id);
    for (const r of wanted) {
      const key = recordKey(r);
      const here = atName.get(hostname(r.hostname)) ?? [];
      const found = here.find((x) => same(x, r));
      if (found) {
        out.ids[key] = `${zoneId}/${found.id}`;
        out.found[key] = found;
      }
      const conflicts: RecordConflict[] = [];
      for (const x of here) {
        if (same(x, r) || (x.type === r.type && taken.has(x.id))) continue;
        if (x.type === r.type) conflicts.push({ ...x, why: "content" });
        else if (x.type === "CNAME" || r.type === "CNAME") conflicts.push({ ...x, why: "cname" });
      }
      if (conflicts.length > 0) out.conflicts[key] = conflicts;
    }
  });
  return out;
}

/** One line saying what a record collides with, for refusing a run. */
export function conflictMessage(key: string, conflicts: readonly RecordConflict[]): string {
  const what = conflicts.map((c) => {
    const notes = [
      `id ${c.id}`,
      ...(c.comment ? [`comment ${JSON.stringify(c.comment.slice(0, 100))}`] : []),
      ...(c.tags && c.tags.length > 0 ? [`tags ${c.tags.slice(0, 10).join(", ")}`] : []),
    ];
    const rule =
      c.why === "cname"
        ? "a CNAME's name holds no other record"
        : c.type === "CNAME"
          ? "a name holds one CNAME"
          : "the name would answer with this address too";
    return `${c.type} ${c.name} ${c.content} (${notes.join("; ")}): ${rule}`;
  });
  return `${key} collides with the existing record${conflicts.length === 1 ? "" : "s"} ${what.join("; and ")}`;
}

type Page = {
  success?: unknown;
  errors?: { code?: unknown; message?: unknown }[];
  result?: {
    id?: unknown;
    name?: unknown;
    type?: unknown;
    content?: unknown;
    comment?: unknown;
    tags?: unknown;
  }[];
  result_info?: { total_pages?: unknown };
};

/**
 * Every record of a zone: List DNS Records page by page (`page`, `per_page`), following `result_info.total_pages`
 * (developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/, "Pagination"); an empty page ends it
 * whatever total_pages says, and more than MAX_PAGES fail it.
 */
async function listZone(
  zoneId: string,
  api: URL,
  perPage: number,
  opts: RecordLookupOptions,
): Promise<ExistingRecord[]> {
  const doFetch = opts.fetch ?? fetch;
  const records: ExistingRecord[] = [];
  for (let page = 1, pages = 1; page <= pages; page++) {
    const url = new URL(`zones/${encodeURIComponent(zoneId)}/dns_records`, api);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(page));
    const where = `listing zone ${zoneId}${page > 1 ? ` (page ${page} of ${pages})` : ""}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        redirect: "manual",
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        headers: { Authorization: `Bearer ${opts.token}` },
      });
    } catch (e) {
      throw new Error(`${where} failed: ${(e as Error).message}`);
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      throw new Error(`${where} answered HTTP ${res.status}, a redirect, not followed with the token`);
    }
    let body: Page | undefined;
    try {
      body = (await res.json()) as Page;
    } catch {
      body = undefined;
    }
    if (!res.ok || body?.success !== true || !Array.isArray(body.result)) {
      const said = errorMessages(body);
      const state = !res.ok
        ? `HTTP ${res.status}`
        : body === undefined
          ? `HTTP ${res.status} with a body that is not JSON`
          : body.success !== true
            ? `HTTP ${res.status} without success`
            : `HTTP ${res.status} without a list of records`;
      throw new Error(`${where} answered ${state}${said ? `: ${said}` : ""}`);
    }
    for (const x of body.result) {
      if (typeof x?.id !== "string" || typeof x.name !== "string" || typeof x.type !== "string") continue;
      records.push({
        id: x.id,
        zoneId,
        name: x.name,
        type: x.type,
        content: typeof x.content === "string" ? x.content : "",
        ...(typeof x.comment === "string" && x.comment !== "" ? { comment: x.comment } : {}),
        ...(Array.isArray(x.tags) && x.tags.length > 0
          ? { tags: x.tags.filter((t): t is string => typeof t === "string") }
          : {}),
      });
    }
    const total = body.result_info?.total_pages;
    if (body.result.length === 0) break;
    // without result_info, a full page may have a next one
    pages =
      typeof total === "number" && Number.isSafeInteger(total)
        ? total
        : body.result.length < perPage
          ? page
          : page + 1;
    if (pages > MAX_PAGES)
      throw new Error(`listing zone ${zoneId} has ${pages} pages, more than the ${MAX_PAGES} a lookup reads`);
  }
  return records;
}

/** Cloudflare's `errors[].message` (and code), the first few, each cut short. */
function errorMessages(body: Page | undefined): string {
  if (!body || !Array.isArray(body.errors)) return "";
  return body.errors
    .slice(0, 3)
    .filter((e) => typeof e?.message === "string")
    .map((e) => `${(e.message as string).slice(0, 200)}${typeof e.code === "number" ? ` (${e.code})` : ""}`)
    .join("; ");
}

/** Names compare without case and a trailing dot. */
const hostname = (name: string) => name.toLowerCase().replace(/\.$/, "");

/**
 * Contents compare as Cloudflare stores them: a CNAME's target as a name; an AAAA's address in its canonical
 * notation, which is how Cloudflare stores and returns it (`fe80::0:0:1` as `fe80::1`,
 * developers.cloudflare.com/dns/manage-dns-records/reference/dns-record-types/, "A and AAAA").
 */
function content(type: string, value: string): string {
  if (type === "CNAME") return hostname(value);
  if (type === "AAAA")
    try {
      return new URL(`http://[${value}]/`).hostname;
    } catch {
      return value;
    }
  return value;
}

function whole(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}
