/**
 * Where a tenant's hook may point (docs/hooks.md, "What a hook may reach"), judged by components/events/hosts.ts:
 * only global unicast IPv6 (2000::/3) passes, whatever ipaddr.js labels an address. The IPv4-compatible
 * `::/96` (`::7f00:1` is 127.0.0.1 inside) and the rest of `::/8`, `100::/8` beyond the discard /64, and every
 * other block outside 2000::/3 are refused at validation and at delivery, as are the special blocks inside it.
 */
import type { LookupAddress, lookup as dnsLookup } from "node:dns";
import { describe, expect, it } from "vitest";
import { InvalidInputError, formatProblem } from "../../../components/core/problems";
import { tenantEvents } from "../../../components/events/policy";
import { bareHost, refusedAddress, refusedHostname } from "../../../components/events/hosts";
import { type Item, deliver } from "../../../deploy/events";
import type { TenantFileInput } from "../../../registry/schema";
import { registryOf } from "../../plan/registries";

/** Each refused IPv6 address and what the message says it is. */
const REFUSED_V6: [string, string][] = [
  [
    "::7f00:1",
    "::7f00:1, an IPv6 address outside global unicast (2000::/3): ::/8, IPv4-compatible and reserved",
  ],
  [
    "::a00:1",
    "::a00:1, an IPv6 address outside global unicast (2000::/3): ::/8, IPv4-compatible and reserved",
  ],
  [
    "::a9fe:a9fe",
    "::a9fe:a9fe, an IPv6 address outside global unicast (2000::/3): ::/8, IPv4-compatible and reserved",
  ],
  ["::2", "::2, an IPv6 address outside global unicast (2000::/3): ::/8, IPv4-compatible and reserved"],
  [
    "0:0:1::1",
    "0:0:1::1, an IPv6 address outside global unicast (2000::/3): ::/8, IPv4-compatible and reserved",
  ],
  ["100::1", "100::1, an address of range discard"],
  ["100:0:0:1::1", "100:0:0:1::1, an IPv6 address outside global unicast (2000::/3)"],
  ["200::1", "200::1, an IPv6 address outside global unicast (2000::/3)"],
  ["4000::1", "4000::1, an IPv6 address outside global unicast (2000::/3)"],
  ["e000::1", "e000::1, an IPv6 address outside global unicast (2000::/3)"],
  ["fc00::1", "fc00::1, a unique local address (fc00::/7)"],
  ["fd12::1", "fd12::1, a unique local address (fc00::/7)"],
  ["fe80::1", "fe80::1, a link-local address (cloud metadata lives there)"],
  ["fec0::1", "fec0::1, an address of range deprecatedSiteLocal"],
  ["ff02::1", "ff02::1, a multicast address"],
  ["2001:db8::1", "2001:db8::1, a reserved address"],
  ["2001::1", "2001::1, an address of range teredo"],
  ["2001:1::1", "2001:1::1, a reserved address"],
  ["2001:2::1", "2001:2::1, an address of range benchmarking"],
  ["2002:a00:1::1", "2002:a00:1::1, an address of range 6to4"],
  ["64:ff9b::a00:1", "64:ff9b::a00:1, an address of range rfc6052"],
  ["3fff::1", "3fff::1, a reserved address"],
  ["5f00::1", "5f00::1, an address of range segmentRouting"],
];

describe("refusedAddress: IPv6 outside global unicast", () => {
  it.each(REFUSED_V6)("refuses %s", (address, why) => {
    expect(refusedAddress(address)).toBe(why);
  });

  it("passes global unicast addresses (controls)", () => {
    for (const a of ["2606:4700:4700::1111", "2a00:1450:4001::200e", "2001:4860:4860::8888", "93.184.216.34"])
      expect(refusedAddress(a), a).toBeUndefined();
    // IPv4-mapped: judged as the IPv4 address inside
    expect(refusedAddress("::ffff:7f00:1")).toBe("127.0.0.1, a loopback address");
  });
});

/** The problems of alice's record naming a hook at `url`, as the CLI prints them. */
function problemsOf(url: string): string[] {
  const tenants = { alice: { email: "alice@example.com", hooks: [{ url }] } } as unknown as Record<
    string,
    TenantFileInput
  >;
  try {
    registryOf(tenants);
  } catch (e) {
    if (e instanceof InvalidInputError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

describe("a hook at an IPv4-compatible or other non-global IPv6 address", () => {
  it("is refused at validation, with file and field", () => {
    expect(problemsOf("https://[::7f00:1]/x")).toEqual([
      `tenants/alice.yaml: hooks[0].url: "https://[::7f00:1]/x" names ::7f00:1, an IPv6 address outside global unicast (2000::/3): ::/8, IPv4-compatible and reserved: a tenant's hook may not point into the platform's networks (events.tenantHooks.allowHosts in environments/example.yaml lists the exceptions)`,
    ]);
    expect(problemsOf("https://[::a00:1]/x")).toHaveLength(1);
    expect(problemsOf("https://[4000::1]/x")).toHaveLength(1);
    // control
    expect(problemsOf("https://[2606:4700:4700::1111]/x")).toEqual([]);
  });

  const EVENT = tenantEvents(
    undefined,
    registryOf({ alice: { email: "alice@example.com" } }),
    new Date(0),
  )[0]!;
  const item = (url: string): Item => ({
    url,
    tenantHook: {
      tenant: "alice",
      vault: { mount: "secret", path: "tenants/alice/tenancy-hooks", key: "secret" },
    },
    event: EVENT,
    attempts: 0,
  });
  const opts = (lookup?: typeof dnsLookup) => ({
    attempts: 3,
    timeoutMs: 2000,
    backoffMs: 5,
    tenantSecret: async () => "alice-hook-secret-0123456789",
    tenantHosts: { allowHosts: [] as string[], reserved: [] as string[] },
    ...(lookup ? { lookup } : {}),
  });

  it("is refused at delivery: a literal without connecting, a name resolving to one when connecting", async () => {
    const literal = await deliver([item("https://[::7f00:1]/x")], opts());
    expect(literal.failed.map((p) => [p.error, p.attempts])).toEqual([
      [
        "refused: ::7f00:1, an IPv6 address outside global unicast (2000::/3): ::/8, IPv4-compatible and reserved, which tenant hooks may not reach",
        1,
      ],
    ]);
    const lookup = ((_host: string, _o: object, cb: (e: Error | null, a: LookupAddress[]) => void) =>
      cb(null, [{ address: "::a00:1", family: 6 }])) as unknown as typeof dnsLookup;
    const named = await deliver([item("https://hooks.example.com/x")], opts(lookup));
    expect(named.failed.map((p) => [p.error, p.attempts])).toEqual([
      [
        "refused: hooks.example.com resolves to ::a00:1, an IPv6 address outside global unicast (2000::/3): ::/8, IPv4-compatible and reserved, which tenant hooks may not reach",
        1,
      ],
    ]);
  });
});

describe("host names with trailing dots or empty labels", () => {
  it("bareHost strips every trailing dot", () => {
    expect(bareHost("LOCALHOST..")).toBe("localhost");
    expect(bareHost("[::1]")).toBe("::1");
    expect(bareHost("hooks.example.org.")).toBe("hooks.example.org");
  });

  it("are refused at validation as the name without them, and a name with an empty label is refused", () => {
    const tail =
      ": a tenant's hook may not point into the platform's networks (events.tenantHooks.allowHosts in environments/example.yaml lists the exceptions)";
    expect(problemsOf("https://localhost../x")).toEqual([
      `tenants/alice.yaml: hooks[0].url: "https://localhost../x" names localhost, a name that stays on the machine or the site${tail}`,
    ]);
    expect(problemsOf("https://a.b.internal../x")).toEqual([
      `tenants/alice.yaml: hooks[0].url: "https://a.b.internal../x" names a.b.internal, a name that stays on the machine or the site${tail}`,
    ]);
    expect(problemsOf("https://metadata.../x")).toEqual([
      `tenants/alice.yaml: hooks[0].url: "https://metadata.../x" names metadata, a single-label name the runner's search domains would complete${tail}`,
    ]);
    expect(refusedHostname("hooks..example.org")).toBe(
      "names hooks..example.org, a name with an empty label, which no receiver has",
    );
    // controls
    expect(refusedHostname("hooks.example.org.")).toBeUndefined();
    expect(problemsOf("https://hooks.example.org./x")).toEqual([]);
  });
});
