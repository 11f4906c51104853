import { type DnsRecordSpec, recordKey } from "./policy";
import type { ResourceSpec, Specs } from "../core/spec";

export interface TenantDnsArgs {
  tenant: string;
  /** The tenant's records (components/dns/policy.ts). */
  records: DnsRecordSpec[];
  /** Existing records to adopt: import ids by `<type> <hostname> <content>`. @default - create them */
  adopt?: Record<string, string>;
}

/**
 * A tenant's DNS records in Cloudflare. Each record is keyed by its hostname (`<hostname>-record`, one per
 * address `<hostname>-record/<address>`), not by the tenant, so a hostname passing to another tenant is an
 * update of the record, never a second record with the same name.
 */
export function tenantDns(
  specs: Specs,
  name: string,
  args: TenantDnsArgs,
  provider: ResourceSpec,
): ResourceSpec {
  const perHost = new Map<string, number>();
  for (const r of args.records) perHost.set(r.hostname, (perHost.get(r.hostname) ?? 0) + 1);
  const component = specs.component(
    "tenancy:dns:TenantDns",
    name,
    { providers: [provider] },
    { tenant: args.tenant, outputs: { hostnames: [...perHost.keys()] } },
  );
  for (const r of args.records) {
    const resourceName =
      perHost.get(r.hostname)! > 1 ? `${r.hostname}-record/${r.content}` : `${r.hostname}-record`;
    const importId = args.adopt?.[recordKey(r)];
    specs.resource(
      "cloudflare:index/dnsRecord:DnsRecord",
      resourceName,
      {
        zoneId: r.zoneId,
        name: r.hostname,
        type: r.type,
        content: r.content,
        proxied: r.proxied,
        ttl: r.ttl,
        comment: r.comment,
      },
      { parent: component, provider },
      // a record's name is its identity: replace means delete first
      { deleteBeforeReplace: true, ...(importId ? { importId } : {}) },
    );
  }
  return component;
}
