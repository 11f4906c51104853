/**
 * The dns concern's part of the dns layer: every tenant's Cloudflare records (its domains and its app hosts).
 * Offboarding tenants have no records. Outputs which tenant each hostname serves.
 */
import type { Contribution } from "../../layers/stack";
import { tenantDnsRecords } from "./policy";
import { tenantDns } from "./specs";

export const tenantRecords: Contribution = ({ input, specs, providers, outputs }) => {
  const { model, tenants, adoption } = input;
  const env = model.environment;
  // made whenever the environment manages records, not on the first tenant that has some: a stack's shared
  // resources depend on the environment alone (what lets `diff` plan only the tenants a change touches)
  const cloudflare = env.dns.records && (input.part?.tenants ?? true) ? providers.cloudflare() : undefined;
  const hostnames: Record<string, string> = {};
  for (const tenant of tenants) {
    const records = tenantDnsRecords(env, tenant);
    if (records.length === 0 || !cloudflare) continue;
    tenantDns(
      specs,
      tenant.id,
      { tenant: tenant.id, records, ...(adoption?.dnsRecords ? { adopt: adoption.dnsRecords } : {}) },
      cloudflare,
    );
    for (const r of records) hostnames[r.hostname] = tenant.id;
  }
  outputs.hostnames = hostnames;
};
