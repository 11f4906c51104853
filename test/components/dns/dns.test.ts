/**
 * DNS records (the dns layer): one per tenant domain and per enabled app host, in the zone of the longest
 * matching suffix, pointing where the environment's mode says, with a comment naming the tenant; none for an
 * offboarding tenant. Planned through the same harness as `tenancy plan`.
 */
import { describe, expect, it } from "vitest";
import { buildPlan, type PlannedResource } from "../../../plan/plan";
import { tenantDnsRecords } from "../../../components/dns/policy";
import type { RegistryModel } from "../../../registry/model";
import { LAYERS } from "../../../stacks/layers";
import { exampleEnvironmentData, loadExample, registryOf } from "../../plan/registries";

const DNS = "cloudflare:index/dnsRecord:DnsRecord";
const TUNNEL = "6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com";

async function records(model: RegistryModel): Promise<PlannedResource[]> {
  const plan = await buildPlan(model, LAYERS, { layers: ["dns"] });
  return plan.stacks[0]!.resources.filter((r) => r.type === DNS);
}

const summary = (r: PlannedResource) =>
  `${r.tenant} ${String(r.inputs.type)} ${String(r.inputs.name)} -> ${String(r.inputs.content)}${r.inputs.proxied ? " proxied" : ""} ttl ${String(r.inputs.ttl)} zone ${String(r.inputs.zoneId)}`;

describe("DNS records, tunnel mode (the example)", () => {
  it("one CNAME per domain and per enabled app host, proxied, in the longest matching zone", async () => {
    const got = (await records(await loadExample())).map(summary).sort();
    expect(got).toEqual(
      [
        `alice CNAME alice.example.com -> ${TUNNEL} proxied ttl 1 zone 0123456789abcdef0123456789abcdef`,
        // apps.example.com is a zone of its own: the longer suffix wins over example.com
        `alice CNAME alice.jupyter.apps.example.com -> ${TUNNEL} proxied ttl 1 zone 00112233445566778899aabbccddeeff`,
        `bob CNAME bob.budget.apps.example.com -> ${TUNNEL} proxied ttl 1 zone 00112233445566778899aabbccddeeff`,
        `bob CNAME bob.example.com -> ${TUNNEL} proxied ttl 1 zone 0123456789abcdef0123456789abcdef`,
        `bob CNAME shop.example.org -> ${TUNNEL} proxied ttl 1 zone fedcba9876543210fedcba9876543210`,
        `carol CNAME carol.example.org -> ${TUNNEL} proxied ttl 1 zone fedcba9876543210fedcba9876543210`,
      ].sort(),
    );
  });

  it("every record's comment names its tenant and says tenancy manages it; records are keyed by hostname", async () => {
    for (const r of await records(await loadExample())) {
      expect(r.inputs.comment).toBe(`tenant ${r.tenant}; managed by tenancy`);
      expect(r.name).toBe(`${String(r.inputs.name)}-record`);
      expect(r.parentType).toBe("tenancy:dns:TenantDns");
    }
  });

  it("no record for a disabled app (alice's code-server) nor for an offboarding tenant (dave)", async () => {
    const names = (await records(await loadExample())).map((r) => String(r.inputs.name));
    expect(names.some((n) => n.includes("code"))).toBe(false);
    const model = await loadExample();
    const bob = structuredClone(model.tenants.find((t) => t.id === "bob")!);
    expect(tenantDnsRecords(model.environment, bob).length).toBe(3);
    expect(tenantDnsRecords(model.environment, { ...bob, offboarding: true })).toEqual([]);
  });
});

describe("DNS records, ingress mode", () => {
  const env = (ingress: object, proxied?: boolean) => {
    const e = exampleEnvironmentData();
    e.dns.records = { mode: "ingress", ingress, ...(proxied === undefined ? {} : { proxied }) };
    return e;
  };
  const model = (e: unknown) =>
    registryOf(
      {
        alice: {
          email: "alice@example.com",
          domains: ["alice.example.com", { name: "shop.example.org", proxied: true }],
        },
      },
      e,
    );

  it("an A record per IPv4 and an AAAA per IPv6 address, not proxied unless told so, per domain", async () => {
    const got = (await records(model(env({ addresses: ["203.0.113.10", "2001:db8::10"] }))))
      .map(summary)
      .sort();
    expect(got).toEqual(
      [
        "alice A alice.example.com -> 203.0.113.10 ttl 1 zone 0123456789abcdef0123456789abcdef",
        "alice AAAA alice.example.com -> 2001:db8::10 ttl 1 zone 0123456789abcdef0123456789abcdef",
        "alice A shop.example.org -> 203.0.113.10 proxied ttl 1 zone fedcba9876543210fedcba9876543210",
        "alice AAAA shop.example.org -> 2001:db8::10 proxied ttl 1 zone fedcba9876543210fedcba9876543210",
      ].sort(),
    );
    // one per address: keyed by hostname and address
    const names = (await records(model(env({ addresses: ["203.0.113.10", "2001:db8::10"] })))).map(
      (r) => r.name,
    );
    expect(names).toContain("alice.example.com-record/203.0.113.10");
  });

  it("a CNAME to the ingress hostname", async () => {
    const got = (await records(model(env({ hostname: "ingress.example.net" })))).map(summary).sort();
    expect(got).toEqual([
      "alice CNAME alice.example.com -> ingress.example.net ttl 1 zone 0123456789abcdef0123456789abcdef",
      "alice CNAME shop.example.org -> ingress.example.net proxied ttl 1 zone fedcba9876543210fedcba9876543210",
    ]);
  });

  it("without dns.records, tenancy manages no DNS", async () => {
    const e = exampleEnvironmentData();
    delete e.dns.records;
    expect(await records(model(e))).toEqual([]);
  });
});
