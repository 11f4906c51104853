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
import { InvalidInputError } from "../../../components/core/problems";
import type { TenantFileInput } from "../../../registry/schema";

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

const problems = (tenants: Record<string, TenantFileInput>, env: unknown = exampleEnvironmentData()) => {
  try {
    registryOf(tenants, env);
    return [];
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return e.problems.map((p) => `${p.source}: ${p.path.join(".")}: ${p.message}`);
  }
};

/** The example environment with each namespace's certificate also naming `*.<namespace>.example.org`. */
function wildcardEnvironment() {
  const env = exampleEnvironmentData();
  env.tls.namespaceWildcard = "example.org";
  return env;
}

describe("generated names claimed like domains (issue 25)", () => {
  const WILDCARD = "tls.namespaceWildcard in environments/example.yaml";
  const bob = { email: "bob@example.com", domains: ["shop.example.org"] };

  it("refuses a namespace whose wildcard name is another tenant's domain, on the namespace, whatever the order", () => {
    // on main the platform issued *.shop.example.org into mallory's namespace shop: a key for bob's names
    const expected = [
      `tenants/mallory.yaml: namespaces.0: the certificate name "*.shop.example.org" of namespace "shop" (${WILDCARD}) is already claimed by tenant "bob" (tenants/bob.yaml)`,
    ];
    expect(
      problems({ bob, mallory: { email: "m@example.com", namespaces: ["shop"] } }, wildcardEnvironment()),
    ).toEqual(expected);
    // "aaron" validates before bob: the generated name still yields
    expect(
      problems({ bob, aaron: { email: "a@example.com", namespaces: ["shop"] } }, wildcardEnvironment()),
    ).toEqual([expected[0]!.replace("mallory", "aaron")]);
  });

  it("refuses a wildcard name inside another tenant's domain, or covering one", () => {
    expect(
      problems(
        {
          bob: { email: "bob@example.com", domains: ["api.shop.example.org", "team.example.org"] },
          mallory: { email: "m@example.com", namespaces: [{ name: "shop" }, "x"] },
        },
        (() => {
          const env = wildcardEnvironment();
          env.tls.namespaceWildcard = "team.example.org";
          return env;
        })(),
      ),
    ).toEqual([
      `tenants/mallory.yaml: namespaces.0.name: the certificate name "*.shop.team.example.org" of namespace "shop" (tls.namespaceWildcard in environments/example.yaml) is inside "team.example.org", claimed by tenant "bob" (tenants/bob.yaml)`,
      `tenants/mallory.yaml: namespaces.1: the certificate name "*.x.team.example.org" of namespace "x" (tls.namespaceWildcard in environments/example.yaml) is inside "team.example.org", claimed by tenant "bob" (tenants/bob.yaml)`,
    ]);
    expect(
      problems(
        {
          bob: { email: "bob@example.com", domains: ["api.shop.example.org"] },
          mallory: { email: "m@example.com", namespaces: ["shop"] },
        },
        wildcardEnvironment(),
      ),
    ).toEqual([
      `tenants/mallory.yaml: namespaces.0: the certificate name "*.shop.example.org" of namespace "shop" (${WILDCARD}) covers "api.shop.example.org", claimed by tenant "bob" (tenants/bob.yaml)`,
    ]);
  });

  it("refuses a wildcard name over a catalog app's hosts", () => {
    const env = exampleEnvironmentData();
    env.tls.namespaceWildcard = "apps.example.com";
    expect(problems({ mallory: { email: "m@example.com", namespaces: ["budget"] } }, env)).toEqual([
      `tenants/mallory.yaml: namespaces.0: the certificate name "*.budget.apps.example.com" of namespace "budget" (tls.namespaceWildcard in environments/example.yaml) covers the hosts of catalog app "actual-budget" ("{tenant}.budget.apps.example.com": catalog.actual-budget.host in environments/example.yaml), served by the platform`,
    ]);
  });

  it("controls: a tenant's own names, other names, and copy mode (where no name is generated) stand", () => {
    const env = wildcardEnvironment();
    // bob's own namespace under his own domain; alice's namespaces under nobody's
    expect(
      problems(
        {
          alice: { email: "alice@example.com", namespaces: ["alice", "blog"] },
          bob: {
            email: "bob@example.com",
            namespaces: ["shop"],
            domains: ["shop.example.org", "x.shop.example.org"],
          },
        },
        env,
      ),
    ).toEqual([]);
    const copy = exampleEnvironmentData();
    copy.tls = {
      mode: "copy",
      namespaceWildcard: "example.org",
      copy: { namespace: "platform", secretName: "wildcard" },
    };
    expect(problems({ bob, mallory: { email: "m@example.com", namespaces: ["shop"] } }, copy)).toEqual([]);
  });
});

describe("the platform's names reserved (issue 25)", () => {
  const budget =
    '"{tenant}.budget.apps.example.com": catalog.actual-budget.host in environments/example.yaml';

  it("refuses a domain on, over or under a catalog app's hosts, for any tenant id, today's or not", () => {
    const env = exampleEnvironmentData();
    env.dns.allowWildcards = true;
    expect(
      problems(
        {
          mallory: {
            email: "m@example.com",
            domains: [
              "budget.apps.example.com",
              "*.budget.apps.example.com",
              "zed.budget.apps.example.com",
              "api.zed.budget.apps.example.com",
            ],
          },
        },
        env,
      ),
    ).toEqual([
      `tenants/mallory.yaml: domains.0: "budget.apps.example.com" covers the hosts of catalog app "actual-budget" (${budget}), served by the platform`,
      `tenants/mallory.yaml: domains.1: "*.budget.apps.example.com" covers the hosts of catalog app "actual-budget" (${budget}), served by the platform`,
      `tenants/mallory.yaml: domains.2: "zed.budget.apps.example.com" is the host of catalog app "actual-budget" (${budget}) for a tenant of that id, served by the platform`,
      `tenants/mallory.yaml: domains.3: "api.zed.budget.apps.example.com" is inside the hosts of catalog app "actual-budget" (${budget}), served by the platform`,
    ]);
  });

  it("refuses a domain on or under the platform's own endpoints: Vault, the identity provider, the API servers", () => {
    expect(
      problems({
        mallory: {
          email: "m@example.com",
          domains: ["vault.example.com", "sso.example.com", "x.k8s.example.com"],
        },
      }),
    ).toEqual([
      'tenants/mallory.yaml: domains.0: "vault.example.com" is "vault.example.com", the platform\'s own (vault.address in environments/example.yaml)',
      'tenants/mallory.yaml: domains.1: "sso.example.com" is "sso.example.com", the platform\'s own (oidc.issuerUrl in environments/example.yaml)',
      'tenants/mallory.yaml: domains.2: "x.k8s.example.com" is inside "k8s.example.com", the platform\'s own (clusters[0].server in environments/example.yaml)',
    ]);
  });

  it("controls: names beside the platform's stand, and app hosts are the catalog's to claim", () => {
    expect(
      problems({
        alice: { email: "alice@example.com", domains: ["budget.example.com", "vaulted.example.com"] },
        bob: { email: "bob@example.com", apps: [{ name: "actual-budget" }, { name: "jupyter" }] },
      }),
    ).toEqual([]);
  });
});
