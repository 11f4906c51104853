/**
 * Where a tenant's hook may point (docs/hooks.md, "What a hook may reach"): tenant records come from people the
 * platform does not trust, and the runner that delivers events sits inside the platform's networks. A hook's
 * host is judged twice with the same rules: its name at validation (an IP literal, `localhost`, a single label,
 * `.internal`, `.local` ...), and at delivery every address the name resolves to, when the connection is made
 * (deploy/events.ts), so a name pointed at a private address after review is refused too. Only global unicast
 * addresses pass, and none in the environment's reserved ranges (`network.reserved`, which the network concern
 * keeps tenants' pods from too). `events.tenantHooks.allowHosts` names the exceptions.
 */
import ipaddr from "ipaddr.js";
import { deniedRanges } from "../network/policy";

/** Names that never leave the machine or the site (RFC 6761, RFC 6762, RFC 8375, ICANN's `.internal`). */
const LOCAL_SUFFIXES = [".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan"];

/** What ipaddr.js calls each range it knows but global unicast, as a message says it. */
const RANGE_NAMES: Record<string, string> = {
  unspecified: "the unspecified address",
  broadcast: "the broadcast address",
  multicast: "a multicast address",
  linkLocal: "a link-local address (cloud metadata lives there)",
  loopback: "a loopback address",
  carrierGradeNat: "a carrier-grade NAT address (100.64.0.0/10)",
  private: "a private address",
  uniqueLocal: "a unique local address (fc00::/7)",
  reserved: "a reserved address",
};

/** IANA's global unicast block: every other IPv6 address is reserved, local, multicast or special. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");
/** ::/8, reserved by the IETF: the IPv4-compatible ::/96 (deprecated, RFC 4291) and the other embeddings. */
const IETF_RESERVED_V6 = ipaddr.parseCIDR("::/8");

/** A host as the URL parser gives it, without IPv6 brackets and final dots (`localhost..`), lowercase. */
export function bareHost(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "")
    .toLowerCase();
}

/** Whether `host` (a URL's hostname) is one of `allowHosts`, which list names or addresses as written. */
export function allowedHost(host: string, allowHosts: readonly string[]): boolean {
  const h = bareHost(host);
  return allowHosts.some((a) => {
    const b = bareHost(a);
    if (b === h) return true;
    // the same address written two ways (::1 and 0:0:0:0:0:0:0:1)
    return (
      ipaddr.isValid(b) && ipaddr.isValid(h) && ipaddr.process(b).toString() === ipaddr.process(h).toString()
    );
  });
}

/**
 * Why a tenant hook may not connect to `address` (an IP address), as the address and what it is
 * (`10.0.0.5, a private address`), or undefined when it may: only global
 * unicast, outside the environment's reserved ranges. An IPv4-mapped IPv6 address is judged as the IPv4 one;
 * NAT64, 6to4 and Teredo addresses (which carry an IPv4 address inside) are refused.
 */
export function refusedAddress(address: string, reserved: readonly string[] = []): string | undefined {
  if (!ipaddr.isValid(address)) return `${address}, not an IP address`;
  const ip = ipaddr.process(address);
  const range = ip.range();
  if (range !== "unicast") return `${ip.toString()}, ${RANGE_NAMES[range] ?? `an address of range ${range}`}`;
  // ipaddr.js labels unicast what its table leaves out, IPv4-compatible ::/96 (::7f00:1 is 127.0.0.1) among
  // them: IPv6 passes only inside the global unicast block
  if (ip.kind() === "ipv6" && !ip.match(GLOBAL_UNICAST_V6))
    return `${ip.toString()}, an IPv6 address outside global unicast (2000::/3)${ip.match(IETF_RESERVED_V6) ? ": ::/8, IPv4-compatible and reserved" : ""}`;
  for (const cidr of deniedRanges({ reserved })) {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    if (net.kind() === ip.kind() && ip.match([net, bits] as [typeof ip, number]))
      return `${ip.toString()}, in ${cidr}, a range reserved by the environment (network.reserved)`;
  }
  return undefined;
}

/**
 * Why a hook's host name may not be used, or undefined when it may (its addresses are judged at delivery):
 * an IP literal is judged as an address; `localhost`, a single label and names under local suffixes are refused.
 */
export function refusedHostname(hostname: string, reserved: readonly string[] = []): string | undefined {
  const host = bareHost(hostname);
  if (ipaddr.isValid(host)) {
    const why = refusedAddress(host, reserved);
    return why === undefined ? undefined : `names ${why}`;
  }
  if (host.split(".").includes("")) return `names ${host}, a name with an empty label, which no receiver has`;
  if (host === "localhost" || LOCAL_SUFFIXES.some((s) => host.endsWith(s)))
    return `names ${host}, a name that stays on the machine or the site`;
  if (!host.includes("."))
    return `names ${host}, a single-label name the runner's search domains would complete`;
  return undefined;
}
