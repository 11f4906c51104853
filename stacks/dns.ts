/**
 * Layer "dns": every tenant's DNS records in Cloudflare (its domains and its app instances' hosts), in a
 * stack of their own (ARCHITECTURE.md, "Layers"): the only layer that needs the Cloudflare token, applied and
 * reviewed apart from the cluster, and reading no other layer. Offboarding tenants have no records.
 */
import { Specs, type StackSpecs } from "../components/core/spec";
import { tenantDns } from "../components/dns/specs";
import { tenantDnsRecords } from "../components/dns/policy";
import { WHOLE } from "../layers/shards";
import type { LayerInput } from "./layer";
import { Providers } from "./providers";

export function dnsProgram(input: LayerInput): StackSpecs {
  const { model, tenants, adoption } = input;
  const env = model.environment;
  const specs = new Specs();
  const providers = Providers.of(specs, input);
  // made whenever the environment manages records, not on the first tenant that has some: a stack's shared
  // resources depend on the environment alone (what lets `diff` plan only the tenants a change touches)
  const cloudflare = env.dns.records && (input.part ?? WHOLE).tenants ? providers.cloudflare() : undefined;
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
  return { resources: specs.list, outputs: { hostnames }, reads: [] };
}
