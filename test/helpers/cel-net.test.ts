/**
 * The tests' Kubernetes IP and CIDR CEL libraries (./cel-net.ts) on the examples of Kubernetes' own library
 * (cidr.go's documentation and tests), including the containsCIDR quirk a real API server has.
 */
import { describe, expect, it } from "vitest";
import { evaluate } from "./admission";

const e = (x: string) => evaluate(x, {});

describe("Kubernetes' CIDR library, as the tests evaluate it", () => {
  it.each([
    ['cidr("192.168.0.0/24").containsIP(ip("192.168.0.1"))', true],
    ['cidr("192.168.0.0/24").containsIP(ip("192.168.1.1"))', false],
    ['cidr("192.168.0.0/24").containsIP("192.168.0.1")', true],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/25"))', true],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/23"))', false],
    ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/25")', true],
    ['cidr("2001:db8::/32").containsIP(ip("2001:db8::1"))', true],
    ['cidr("2001:db8::/32").containsIP("2001:dc8::1")', false],
    ['cidr("2001:db8::/32").containsCIDR("2001:db8::/33")', true],
    ['cidr("2001:db8::/32").containsCIDR("2001:db8::/31")', false],
    ['cidr("192.168.0.1/24").masked() == cidr("192.168.0.0/24")', true],
    ['cidr("2001:db8:1::/32").masked() == cidr("2001:db8::/32")', true],
    ['cidr("192.168.0.1/24") == cidr("192.168.0.1/24").masked()', false],
    ['cidr("192.168.0.1/24").ip() == ip("192.168.0.1")', true],
    ['cidr("::1/128").ip().family()', 6n],
    ['cidr("192.168.0.0/16").prefixLength()', 16n],
    ['isCIDR("192.168.0.0/16")', true],
    ['isCIDR("::1/128")', true],
    ['isCIDR("192.168.0.0/33")', false],
    ['isCIDR("::1/129")', false],
    // netip.ParsePrefix: no leading zeros, no zones; Kubernetes: no IPv4-mapped IPv6
    ['isCIDR("010.0.0.0/8")', false],
    ['isCIDR("10.0.0.0/08")', false],
    ['isCIDR("fe80::1%eth0/64")', false],
    ['isCIDR("::ffff:169.254.169.254/128")', false],
    ['isIP("::ffff:169.254.169.254")', false],
    // PrefixFrom keeps host bits: a real API server answers false here
    ['cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16")', false],
    ['cidr("10.0.0.0/8").containsIP(cidr("10.1.0.0/16").masked().ip())', true],
  ])("%s is %s", (expr, want) => expect(e(expr)).toBe(want));

  it("a parse error is an evaluation error, and a method on a non-CIDR too", () => {
    expect(e('cidr("192.168.0.0/")')).toBeInstanceOf(Error);
    expect(e('cidr("999.0.0.0/8")')).toBeInstanceOf(Error);
    expect(e('{"a": 1}.prefixLength()')).toBeInstanceOf(Error);
  });
});
