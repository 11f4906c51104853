/**
 * Finding the DNS records an existing installation already has, for adoption: Cloudflare gives each record
 * an id of its own, so a record tenancy would create is looked up by zone, name, type and content, and
 * imported as `<zone id>/<record id>`. The token (CLOUDFLARE_API_TOKEN) is sent to the API's origin only and
 * never printed.
 */
import { type DnsRecordSpec, recordKey } from "../components/dns/policy";

export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4/";

export interface RecordLookupOptions {
  token: string;
  /** @default Cloudflare's API */
  api?: string;
  /** @default - Node's global fetch */
  fetch?: typeof fetch;
  /** @default 10000 */
  timeoutMs?: number;
}

/**
 * For each record, the import id of the existing record with its name, type and content, if there is one;
 * failures by record key.
 */
export async function lookupRecords(
  records: DnsRecordSpec[],
  opts: RecordLookupOptions,
): Promise<{ ids: Record<string, string>; failures: Record<string, string> }> {
  const api = new URL(opts.api ?? CLOUDFLARE_API);
  const doFetch = opts.fetch ?? fetch;
  const ids: Record<string, string> = {};
  const failures: Record<string, string> = {};
  for (const r of records) {
    const url = new URL(`zones/${encodeURIComponent(r.zoneId)}/dns_records`, api);
    url.searchParams.set("name", r.hostname);
    url.searchParams.set("type", r.type);
    try {
      const res = await doFetch(url, {
        redirect: "manual",
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        headers: { Authorization: `Bearer ${opts.token}` },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { result?: { id?: unknown; content?: unknown }[] };
      const found = (body.result ?? []).find((x) => x.content === r.content && typeof x.id === "string");
      if (found) ids[recordKey(r)] = `${r.zoneId}/${found.id as string}`;
    } catch (e) {
      failures[recordKey(r)] =
        `record lookup at ${api.origin} for ${r.type} ${r.hostname} failed: ${(e as Error).message}`;
    }
  }
  return { ids, failures };
}
