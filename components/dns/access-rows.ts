/**
 * The dns concern's part of the access matrix (plan/access.ts): which tenant's workloads each hostname sends
 * traffic to, through which record.
 */
import type { AccessContext } from "../../policy/access";
import { tenantPrincipal } from "../members/rbac";

export function dnsAccess(ctx: AccessContext): void {
  const { model, env, byType, push } = ctx;
  // which tenant's workloads a hostname sends traffic to, through which record
  const zoneName = new Map(Object.entries(env.dns.zones).map(([zone, id]) => [id, zone]));
  const ownerOf = new Map(model.tenants.map((t) => [t.id, t]));
  for (const record of byType("cloudflare:index/dnsRecord:DnsRecord")) {
    const tenant = record.tenant === undefined ? undefined : ownerOf.get(record.tenant);
    push(
      tenant
        ? { principal: tenantPrincipal(env, tenant), tenant: tenant.id }
        : { principal: "platform", tenant: undefined },
      {
        system: "dns",
        scope: `zone:${zoneName.get(String(record.inputs.zoneId)) ?? String(record.inputs.zoneId)}`,
        resource: String(record.inputs.name),
        verbs: ["serve"],
        via: `DnsRecord ${String(record.inputs.type)} -> ${String(record.inputs.content)}${record.inputs.proxied ? " (proxied)" : ""}`,
      },
    );
  }
}
