/**
 * A tenant's DNS records as plain data: one per hostname it serves (its domains and its app instances'
 * hosts), pointing at the platform the way the environment says (a Cloudflare Tunnel, or the ingress).
 */
import type { EnvironmentModel, TenantModel } from "../../registry/model";

export interface DnsRecordSpec {
  /** The hostname, also the record's name. */
  hostname: string;
  zoneId: string;
  type: "CNAME" | "A" | "AAAA";
  content: string;
  proxied: boolean;
  ttl: number;
  /** Who it belongs to and who manages it, shown in Cloudflare. */
  comment: string;
}

const isIpv6 = (address: string) => address.includes(":");

/**
 * The records of a tenant; none while it is offboarding (phase one removes its records) or when the
 * environment manages no records. Disabled app instances keep no record.
 */
export function tenantDnsRecords(env: EnvironmentModel, tenant: TenantModel): DnsRecordSpec[] {
  const r = env.dns.records;
  if (!r || tenant.offboarding) return [];
  const hosts = [
    ...tenant.domains.map((d) => ({ hostname: d.name, zoneId: d.zoneId, proxied: d.proxied })),
    ...tenant.apps
      .filter((a) => a.enabled)
      .map((a) => ({ hostname: a.host, zoneId: a.zoneId, proxied: undefined as boolean | undefined })),
  ];
  const comment = `tenant ${tenant.id}; managed by tenancy`;
  const defaultProxied = r.proxied ?? r.mode === "tunnel";
  return hosts.flatMap(({ hostname, zoneId, proxied }): DnsRecordSpec[] => {
    const base = { hostname, zoneId, proxied: proxied ?? defaultProxied, ttl: r.ttl, comment };
    if (r.mode === "tunnel")
      return [{ ...base, type: "CNAME" as const, content: `${r.tunnelId}.cfargotunnel.com` }];
    if (r.ingress?.hostname) return [{ ...base, type: "CNAME" as const, content: r.ingress.hostname }];
    return (r.ingress?.addresses ?? []).map((address) => ({
      ...base,
      type: isIpv6(address) ? ("AAAA" as const) : ("A" as const),
      content: address,
    }));
  });
}

/** The key an existing record is adopted by: the same type, hostname and content. */
export function recordKey(r: Pick<DnsRecordSpec, "hostname" | "type" | "content">): string {
  return `${r.type} ${r.hostname} ${r.content}`;
}
