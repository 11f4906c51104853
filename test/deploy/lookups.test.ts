/**
 * The lookups of what exists already (Cloudflare DNS records, Vault identities), at the scale of the preflight
 * before every `up`: through the real lookup code against local servers, counting the requests they make and
 * how many are in flight at once.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { conflictMessage, lookupRecords } from "../../deploy/cloudflare-lookup";
import { lookupIdentities } from "../../deploy/vault-identity";
import { IdentityVault } from "../helpers/vault-identity-server";
import { type DnsRecordSpec, recordKey } from "../../components/dns/policy";
import type { RegistryModel, TenantModel } from "../../registry/model";
import { SafetyError } from "../../components/core/problems";
import { type CloudflareServer, type SeedRecord, startCloudflareServer } from "../helpers/cloudflare-server";
import { closedPort } from "../helpers/vault-server";
import { exampleWithSharedCi } from "../plan/registries";

const TOKEN = "cf-token-never-printed";
const TUNNEL = "6ff42ae2-765d-4adf-8112-31c55c1551ef.cfargotunnel.com";
const zoneId = (n: number) => n.toString(16).repeat(32);
const ZONES = [1, 2, 3].map((n) => ({ id: zoneId(n), name: `zone${n}.example` }));

const spec = (
  zone: { id: string; name: string },
  host: string,
  type: DnsRecordSpec["type"],
  content: string,
) =>
  ({
    hostname: `${host}.${zone.name}`,
    zoneId: zone.id,
    type,
    content,
    proxied: type === "CNAME",
    ttl: 1,
    comment: "tenant t; managed by tenancy",
  }) satisfies DnsRecordSpec;

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function cloudflare(
  records: Record<string, SeedRecord[]>,
  extra: { latencyMs?: number } = {},
  zones: { id: string; name: string }[] = ZONES,
): Promise<CloudflareServer> {
  const server = await startCloudflareServer({
    token: TOKEN,
    zones: Object.fromEntries(zones.map((z) => [z.id, { name: z.name, records: records[z.id] ?? [] }])),
    ...extra,
  });
  servers.push(server);
  return server;
}

/**
 * 1,000 records across the 3 zones (tenant hosts, CNAMEs to the tunnel, every tenth host two A records
 * instead), a third of which exist already, beside records tenancy does not manage (450 in each of the first
 * two zones, 1,000 in the third: a zone of more than one page at the default page size).
 */
function thousand() {
  const wanted: DnsRecordSpec[] = [];
  const existing: Record<string, SeedRecord[]> = {};
  for (let i = 0; wanted.length < 1000; i++) {
    const zone = ZONES[i % 3]!;
    const host = `t${i}`;
    const records =
      i % 10 === 0
        ? [spec(zone, host, "A", `192.0.2.${i % 250}`), spec(zone, host, "A", `198.51.100.${i % 250}`)]
        : [spec(zone, host, "CNAME", TUNNEL)];
    for (const r of records.slice(0, 1000 - wanted.length)) {
      wanted.push(r);
      if (Math.floor(i / 3) % 3 === 0)
        (existing[zone.id] ??= []).push({
          name: r.hostname,
          type: r.type,
          content: r.content,
          id: `rec-${i}-${r.content}`,
        });
    }
  }
  ZONES.forEach((zone, z) => {
    for (let j = 0; j < (z === 2 ? 1000 : 450); j++)
      (existing[zone.id] ??= []).push(
        j % 2 === 0
          ? { name: `_dmarc${j}.${zone.name}`, type: "TXT", content: `"v=DMARC1; p=none; n=${j}"` }
          : { name: `other${j}.${zone.name}`, type: "A", content: `203.0.113.${j % 250}` },
      );
  });
  return { wanted, existing };
}

describe("looking up DNS records, a zone's listing at a time", () => {
  it("finds 1,000 records across 3 zones with one listing request per zone page", async () => {
    const { wanted, existing } = thousand();
    const cf = await cloudflare(existing);
    const found = await lookupRecords(wanted, { token: TOKEN, api: cf.api });

    const expected = Object.fromEntries(
      Object.entries(existing).flatMap(([zone, records]) =>
        records
          .filter((r) => r.id?.startsWith("rec-"))
          .map((r) => [
            recordKey({ hostname: r.name, type: r.type as "A", content: r.content }),
            `${zone}/${r.id}`,
          ]),
      ),
    );
    expect(Object.keys(expected).length).toBeGreaterThan(300);
    expect(found.ids).toEqual(expected);
    expect(found.failures).toEqual({});
    expect(found.conflicts).toEqual({});

    // one request per page of each zone (1,000 records a page by default), not one per record: 1, 1 and 2
    const pages = ZONES.map((zone) => Math.ceil(cf.records(zone.id).length / 1000));
    expect(pages).toEqual([1, 1, 2]);
    ZONES.forEach((zone, i) =>
      expect(cf.count("GET", `zones/${zone.id}/dns_records`), zone.id).toBe(pages[i]),
    );
    expect(cf.requests.length).toBe(4);
    expect(
      cf.requests.every((r) => r.method === "GET" && r.query.per_page === "1000" && r.token === TOKEN),
    ).toBe(true);
  });

  it("follows result_info.total_pages over several pages, each asked for once, and finds the same", async () => {
    const { wanted, existing } = thousand();
    const cf = await cloudflare(existing);
    const byPage = await lookupRecords(wanted, { token: TOKEN, api: cf.api, perPage: 100 });
    for (const zone of ZONES) {
      const pages = Math.ceil(cf.records(zone.id).length / 100);
      expect(pages).toBeGreaterThanOrEqual(5);
      const asked = cf.requests.filter((r) => r.path === `zones/${zone.id}/dns_records`);
      expect(asked.map((r) => Number(r.query.page))).toEqual(Array.from({ length: pages }, (_, i) => i + 1));
      expect(asked.every((r) => r.query.per_page === "100")).toBe(true);
    }
    const whole = await lookupRecords(wanted, { token: TOKEN, api: cf.api });
    expect(byPage).toEqual(whole);
  });

  it("lists at most `concurrency` zones at once", async () => {
    const zones = Array.from({ length: 8 }, (_, i) => ({ id: zoneId(i + 4), name: `z${i}.example` }));
    const wanted = zones.map((z) => spec(z, "app", "CNAME", TUNNEL));
    const cf = await cloudflare({}, { latencyMs: 20 }, zones);
    await lookupRecords(wanted, { token: TOKEN, api: cf.api });
    expect(cf.maxInFlight).toBe(4);
    cf.maxInFlight = 0;
    await lookupRecords(wanted, { token: TOKEN, api: cf.api, concurrency: 2 });
    expect(cf.maxInFlight).toBe(2);
    await expect(lookupRecords(wanted, { token: TOKEN, api: cf.api, perPage: 50_000 })).rejects.toThrow(
      RangeError,
    );
  });

  it("reports a record at the same name and type with other content, naming it; Cloudflare would refuse it", async () => {
    const z = ZONES[0]!;
    const cname = spec(z, "alice", "CNAME", TUNNEL);
    const a1 = spec(z, "bob", "A", "192.0.2.10");
    const a2 = spec(z, "bob", "A", "192.0.2.11");
    const cf = await cloudflare({
      [z.id]: [
        {
          id: "rec-old",
          name: "alice.zone1.example",
          type: "CNAME",
          content: "old-ingress.example.net",
          comment: "alice's blog, by hand",
          tags: ["owner:alice"],
        },
        // bob's two addresses exist, and a third nobody manages
        { id: "rec-bob-1", name: "bob.zone1.example", type: "A", content: "192.0.2.10" },
        { id: "rec-bob-2", name: "bob.zone1.example", type: "A", content: "192.0.2.11" },
        { id: "rec-bob-x", name: "bob.zone1.example", type: "A", content: "203.0.113.9" },
      ],
    });
    const found = await lookupRecords([cname, a1, a2], { token: TOKEN, api: cf.api });
    expect(found.failures).toEqual({});
    expect(found.ids).toEqual({ [recordKey(a1)]: `${z.id}/rec-bob-1`, [recordKey(a2)]: `${z.id}/rec-bob-2` });
    expect(found.conflicts).toEqual({
      [recordKey(cname)]: [
        {
          id: "rec-old",
          zoneId: z.id,
          name: "alice.zone1.example",
          type: "CNAME",
          content: "old-ingress.example.net",
          comment: "alice's blog, by hand",
          tags: ["owner:alice"],
          why: "content",
        },
      ],
      // the sibling address is tenancy's own; only the third is not
      [recordKey(a1)]: [expect.objectContaining({ id: "rec-bob-x", why: "content" })],
      [recordKey(a2)]: [expect.objectContaining({ id: "rec-bob-x", why: "content" })],
    });
    expect(conflictMessage(recordKey(cname), found.conflicts[recordKey(cname)]!)).toBe(
      `CNAME alice.zone1.example ${TUNNEL} collides with the existing record CNAME alice.zone1.example ` +
        `old-ingress.example.net (id rec-old; comment "alice's blog, by hand"; tags owner:alice): a name holds one CNAME`,
    );
    // what Cloudflare answers creating it: the CNAME refused, a further A record accepted
    expect(await create(cf, z.id, cname)).toEqual({
      status: 400,
      errors: [{ code: 81053, message: "An A, AAAA, or CNAME record with that host already exists." }],
    });
    expect((await create(cf, z.id, spec(z, "bob", "A", "192.0.2.12"))).status).toBe(200);
    expect(await create(cf, z.id, a1)).toEqual({
      status: 400,
      errors: [{ code: 81058, message: "An identical record already exists." }],
    });
  });

  it("reports a CNAME where an A record is, and an A record where a CNAME is", async () => {
    const z = ZONES[1]!;
    const cname = spec(z, "carol", "CNAME", TUNNEL);
    const a = spec(z, "dave", "A", "192.0.2.20");
    const aaaa = spec(z, "erin", "AAAA", "2001:db8:0:0:0:0:0:1");
    const cf = await cloudflare({
      [z.id]: [
        { id: "rec-carol-a", name: "carol.zone2.example", type: "A", content: "198.51.100.7" },
        // a TXT record beside a CNAME: no other data at a CNAME's name (RFC 1034, 3.6.2)
        { id: "rec-carol-txt", name: "carol.zone2.example", type: "TXT", content: '"verify=1"' },
        { id: "rec-dave-cname", name: "dave.zone2.example", type: "CNAME", content: "lb.example.net" },
        // an AAAA record beside an A record is fine; Cloudflare keeps the address in its canonical notation
        { id: "rec-dave-aaaa", name: "dave.zone2.example", type: "AAAA", content: "2001:db8::2" },
        { id: "rec-erin", name: "erin.zone2.example", type: "AAAA", content: "2001:db8::1" },
      ],
    });
    const found = await lookupRecords([cname, a, aaaa], { token: TOKEN, api: cf.api });
    expect(found.ids).toEqual({ [recordKey(aaaa)]: `${z.id}/rec-erin` });
    expect(found.conflicts).toEqual({
      [recordKey(cname)]: [
        expect.objectContaining({ id: "rec-carol-a", type: "A", content: "198.51.100.7", why: "cname" }),
        expect.objectContaining({ id: "rec-carol-txt", type: "TXT", why: "cname" }),
      ],
      [recordKey(a)]: [
        expect.objectContaining({
          id: "rec-dave-cname",
          type: "CNAME",
          content: "lb.example.net",
          why: "cname",
        }),
      ],
    });
    for (const r of [cname, a])
      expect((await create(cf, z.id, r)).errors).toEqual([
        { code: 81053, message: "An A, AAAA, or CNAME record with that host already exists." },
      ]);
  });

  it("fails every record of a zone it could not list, once each, with the zone, status and Cloudflare's messages", async () => {
    const { wanted, existing } = thousand();
    const cf = await cloudflare(existing);
    const broken = ZONES[2]!;
    cf.addFault({
      path: `zones/${broken.id}/dns_records`,
      respond: { status: 403, errors: [{ code: 10000, message: "Authentication error" }] },
    });
    const found = await lookupRecords(wanted, { token: TOKEN, api: cf.api });
    const inBroken = wanted.filter((r) => r.zoneId === broken.id);
    expect(Object.keys(found.failures).sort()).toEqual(inBroken.map(recordKey).sort());
    const first = inBroken[0]!;
    expect(found.failures[recordKey(first)]).toBe(
      `record lookup at ${cf.url} for ${first.type} ${first.hostname} failed: ` +
        `listing zone ${broken.id} answered HTTP 403: Authentication error (10000)`,
    );
    // the other zones are found all the same; the broken zone asked once
    expect(Object.values(found.ids).every((id) => !id.startsWith(broken.id))).toBe(true);
    expect(Object.keys(found.ids).length).toBeGreaterThan(200);
    expect(cf.count("GET", `zones/${broken.id}/dns_records`)).toBe(1);

    // a later page failing fails the zone too, saying which page
    cf.clearFaults();
    cf.addFault({ path: `zones/${broken.id}/dns_records`, times: 1 }); // the first page answers normally
    cf.addFault({ path: `zones/${broken.id}/dns_records`, respond: { status: 502, errors: [] } });
    const paged = await lookupRecords(wanted, { token: TOKEN, api: cf.api, perPage: 100 });
    expect(paged.failures[recordKey(first)]).toMatch(
      new RegExp(`listing zone ${broken.id} \\(page 2 of \\d+\\) answered HTTP 502$`),
    );
    // and an unreachable API fails every record
    const down = await lookupRecords(wanted.slice(0, 3), {
      token: TOKEN,
      api: `http://127.0.0.1:${await closedPort()}/client/v4/`,
    });
    expect(Object.keys(down.failures).length).toBe(3);
  });

  it("sends the token to the API's origin only: a redirect is refused, not followed", async () => {
    const { wanted, existing } = thousand();
    const cf = await cloudflare(existing);
    const elsewhere = await cloudflare({}); // another origin, which would log the token if it got it
    cf.addFault({
      path: `zones/${ZONES[1]!.id}/dns_records`,
      respond: { redirect: `${elsewhere.api}zones/${ZONES[1]!.id}/dns_records`, status: 307 },
    });
    const found = await lookupRecords(wanted, { token: TOKEN, api: cf.api });
    expect(elsewhere.requests).toEqual([]);
    const inRedirected = wanted.filter((r) => r.zoneId === ZONES[1]!.id);
    expect(found.failures[recordKey(inRedirected[0]!)]).toMatch(
      /answered HTTP 307, a redirect, not followed with the token$/,
    );
    expect(Object.keys(found.failures).length).toBe(inRedirected.length);
    expect(cf.requests.every((r) => r.token === TOKEN)).toBe(true);
    expect(JSON.stringify(found)).not.toContain(TOKEN);
  });
});

/** What the local Cloudflare answers creating this record (as tenancy's Pulumi program would). */
async function create(cf: CloudflareServer, zone: string, r: DnsRecordSpec) {
  const res = await fetch(`${cf.api}zones/${zone}/dns_records`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: r.hostname,
      type: r.type,
      content: r.content,
      ttl: r.ttl,
      proxied: r.proxied,
    }),
  });
  const body = (await res.json()) as { errors: { code: number; message: string }[] };
  return { status: res.status, errors: body.errors };
}

describe("looking up Vault identities, a bounded number of tenants at once", () => {
  let model: RegistryModel;
  let tenants: TenantModel[];
  beforeAll(() => {
    model = exampleWithSharedCi();
    const template = model.tenants.find((t) => !t.offboarding)!;
    tenants = Array.from({ length: 200 }, (_, i) => {
      const id = `t${String(i).padStart(3, "0")}`;
      return { ...template, id, email: `${id}@example.com`, offboarding: i === 199 };
    });
  });
  async function vault() {
    const v = await new IdentityVault(model.environment.oidc.vaultMountAccessor).listen();
    servers.push(v);
    // every fifth tenant's entity exists by name; every seventh logged in before (Vault made an entity then)
    tenants.forEach((t, i) => {
      if (i % 5 === 0) v.entities.set(t.id, `ent-${t.id}`);
      if (i % 7 === 0) v.logins.set(t.email, { entity: `ent-login-${t.id}`, alias: `alias-${t.id}` });
    });
    v.broken.set("t014", 500); // t014's entity cannot be looked up (it logged in before)
    v.broken.set("t042@example.com", 403); // nor t042's alias
    const env = { ...model.environment, vault: { ...model.environment.vault, address: v.address } };
    return { v, env };
  }

  it("looks up 200 tenants with at most `concurrency` requests in flight, the same as one at a time", async () => {
    const { v, env } = await vault();
    const found = await lookupIdentities(env, tenants, { token: v.token });
    expect(v.maxInFlight).toBe(8);
    expect(v.requests).toBe(2 * 199); // two each; the offboarding tenant none

    // a prior login's alias found, and its entity adopted as the tenant's (t007 has no entity by name)
    expect(found.adoption.aliases.t007).toBe("alias-t007");
    expect(found.adoption.entities.t007).toBe("ent-login-t007");
    // an entity by name wins over the login's (t035: both)
    expect(found.adoption.entities.t035).toBe("ent-t035");
    expect(found.adoption.aliases.t035).toBe("alias-t035");
    expect(found.adoption.entities.t001).toBeUndefined();
    // t014's login is not taken for its entity while its entity by name could not be looked up; t042's alias
    // could not be looked up at all
    expect(found.adoption.aliases.t014).toBe("alias-t014");
    expect(found.adoption.entities.t014).toBeUndefined();
    expect(found.adoption.aliases.t042).toBeUndefined();
    expect(found.adoption.entities.t042).toBeUndefined();
    const entities = tenants
      .slice(0, 199)
      .filter((_, i) => i % 5 === 0 || (i % 7 === 0 && i !== 14 && i !== 42));
    expect(Object.keys(found.adoption.entities)).toEqual(entities.map((t) => t.id));

    // failures per tenant, one each
    expect(found.failures).toEqual({
      "vault:identity/entity:Entity:t014": `entity lookup at ${v.address}/v1/identity/entity/name/t014 failed: HTTP 500`,
      "vault:identity/entityAlias:EntityAlias:t042": `entity alias lookup at ${v.address}/v1/identity/lookup/entity failed: HTTP 403`,
    });
    expect(JSON.stringify(found)).not.toContain(v.token);

    // the answers' order does not show: the same as one tenant at a time, key order too
    v.maxInFlight = 0;
    const one = await lookupIdentities(env, tenants, { token: v.token, concurrency: 1 });
    expect(v.maxInFlight).toBe(1);
    expect(JSON.stringify(one)).toBe(JSON.stringify(found));
    v.maxInFlight = 0;
    await lookupIdentities(env, tenants, { token: v.token, concurrency: 3 });
    expect(v.maxInFlight).toBe(3);
  });

  it("still refuses one entity for two tenants", async () => {
    const { v, env } = await vault();
    v.logins.set("t151@example.com", { entity: "ent-shared", alias: "alias-151" });
    v.logins.set("t152@example.com", { entity: "ent-shared", alias: "alias-152" });
    await expect(lookupIdentities(env, tenants, { token: v.token })).rejects.toThrow(
      new SafetyError(
        "Vault entity ent-shared is the existing identity of both tenant t151 and tenant t152; merge or rename it in Vault before adopting",
      ),
    );
    await expect(lookupIdentities(env, tenants, { token: v.token, concurrency: 0 })).rejects.toThrow(
      RangeError,
    );
  });
});
