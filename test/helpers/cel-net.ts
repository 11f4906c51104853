/**
 * Kubernetes' CEL IP and CIDR libraries (k8s.io/apiserver/pkg/cel/library, ip.go and cidr.go; in the
 * admission policies' environment since Kubernetes 1.30's CEL base, so usable in new policies from 1.31), for the
 * independent CEL implementation of test/helpers/admission.ts. Values of the opaque types `net.IP` and `net.CIDR`
 * are maps holding one private key; a method on anything else is an error, as a missing overload is.
 *
 * Semantics kept, including the library's quirks:
 * - `cidr(s)` parses as Go's `netip.ParsePrefix` (host bits kept: `cidr("10.0.0.1/8")` is valid) and refuses
 *   IPv4-mapped IPv6; `ip(s)` as `netip.ParseAddr`, refusing zones and IPv4-mapped IPv6; a parse error is an
 *   evaluation error (the policy fails closed);
 * - `c.containsIP(ip)` masks `c`;
 * - `c.containsCIDR(o)` is `c.masked() == PrefixFrom(o.ip(), c.prefixLength()) && c.prefixLength() <= o.prefixLength()`,
 *   where PrefixFrom does not mask: `cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16")` is false on a real API
 *   server, which is why the network policy tests overlap with `containsIP` of the other's masked address.
 */
import { CelScalar, celFunc, celMethod, isCelMap, type CelFunc } from "@bufbuild/cel";
import { type Prefix, containsIp, masked, parseIp, parsePrefix } from "../../components/core/cidr";

const CIDR_KEY = "\u0000net.CIDR";
const IP_KEY = "\u0000net.IP";
const { STRING, BOOL, INT, DYN } = CelScalar;

type Ip = { family: 4 | 6; addr: bigint };
const enc = (x: Ip & { bits?: number }) => `${x.family}|${x.addr}|${x.bits ?? ""}`;
const cidrValue = (p: Prefix) => new Map([[CIDR_KEY, enc(p)]]);
const ipValue = (ip: Ip) => new Map([[IP_KEY, enc(ip)]]);

function decode(v: unknown, key: string): (Ip & { bits: number }) | undefined {
  if (!isCelMap(v) || v.size !== 1 || !v.has(key)) return undefined;
  const [family, addr, bits] = String(v.get(key)).split("|");
  return { family: Number(family) as 4 | 6, addr: BigInt(addr!), bits: Number(bits) };
}
function asCidr(v: unknown): Prefix {
  const p = decode(v, CIDR_KEY);
  if (!p) throw new Error("no such overload: not a net.CIDR");
  return p;
}
function asIp(v: unknown): Ip {
  if (typeof v === "string") return toIp(v);
  const ip = decode(v, IP_KEY);
  if (!ip) throw new Error("no such overload: not a net.IP");
  return { family: ip.family, addr: ip.addr };
}
function toCidr(s: string): Prefix {
  const p = parsePrefix(s);
  if (!p) throw new Error(`network address parse error during conversion from string: ${s}`);
  return p;
}
function toIp(s: string): Ip {
  const ip = parseIp(s);
  if (!ip || (ip.family === 6 && ip.addr >> 32n === 0xffffn))
    throw new Error(`IP address parse error during conversion from string: ${s}`);
  return ip;
}
const otherCidr = (v: unknown) => (typeof v === "string" ? toCidr(v) : asCidr(v));

export const netLibrary: CelFunc[] = [
  celFunc("cidr", [STRING], DYN, (s) => cidrValue(toCidr(s))),
  celFunc("isCIDR", [STRING], BOOL, (s) => parsePrefix(s) !== undefined),
  celFunc("ip", [STRING], DYN, (s) => ipValue(toIp(s))),
  celFunc("isIP", [STRING], BOOL, (s) => {
    try {
      toIp(s);
      return true;
    } catch {
      return false;
    }
  }),
  celMethod("containsIP", DYN, [DYN], BOOL, function (this: unknown, other: unknown) {
    return containsIp(asCidr(this), asIp(other));
  }),
  celMethod("containsCIDR", DYN, [DYN], BOOL, function (this: unknown, other: unknown) {
    const c = asCidr(this);
    const o = otherCidr(other);
    // PrefixFrom(o.Addr(), c.Bits()) keeps o's host bits: equal to c.Masked() only if o's address is c's network
    return c.family === o.family && masked(c).addr === o.addr && c.bits <= o.bits;
  }),
  celMethod("ip", DYN, [], DYN, function (this: unknown) {
    const c = asCidr(this);
    return ipValue({ family: c.family, addr: c.addr });
  }),
  celMethod("masked", DYN, [], DYN, function (this: unknown) {
    return cidrValue(masked(asCidr(this)));
  }),
  celMethod("prefixLength", DYN, [], INT, function (this: unknown) {
    return BigInt(asCidr(this).bits);
  }),
  celMethod("family", DYN, [], INT, function (this: unknown) {
    return BigInt(asIp(this).family);
  }),
];
