import * as cloudflare from "@pulumi/cloudflare";
import type * as pulumi from "@pulumi/pulumi";
import { type DnsRecordSpec, recordKey } from "../policy/dns";
import { TenantComponent, childOptions } from "./tenant-component";

export interface TenantDnsArgs {
  tenant: string;
  /** The tenant's records (policy/dns.ts). */
  records: DnsRecordSpec[];
  /** Existing records to adopt: import ids by `<type> <hostname> <content>`. @default - create them */
  adopt?: Record<string, string>;
}

/**
 * A tenant's DNS records in Cloudflare. Each record is keyed by its hostname (`<hostname>-record`, one per
 * address `<hostname>-record/<address>`), not by the tenant, so a hostname passing to another tenant is an
 * update of the record, never a second record with the same name. The Cloudflare provider comes through the
 * resource options.
 */
export class TenantDns extends TenantComponent {
  constructor(name: string, args: TenantDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tenancy:dns:TenantDns", name, args.tenant, opts);
    const perHost = new Map<string, number>();
    for (const r of args.records) perHost.set(r.hostname, (perHost.get(r.hostname) ?? 0) + 1);
    for (const r of args.records) {
      const resourceName =
        perHost.get(r.hostname)! > 1 ? `${r.hostname}-record/${r.content}` : `${r.hostname}-record`;
      new cloudflare.DnsRecord(
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
        // a record's name is its identity: replace means delete first
        childOptions(this, opts, {
          deleteBeforeReplace: true,
          ...(args.adopt?.[recordKey(r)] ? { import: args.adopt[recordKey(r)] } : {}),
        }),
      );
    }
    this.registerTenantOutputs({ hostnames: [...perHost.keys()] });
  }
}
