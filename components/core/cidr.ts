/**
 * IP prefixes as the Kubernetes CEL library reads them (ARCHITECTURE.md, "Admission"): `cidr()` parses with Go's
 * `netip.ParsePrefix` (no leading zeros in IPv4 octets or prefix lengths, no IPv6 zone, host bits kept) and refuses
 * IPv4-mapped IPv6 addresses. What the environment lists as reserved enters the network policy's CEL as text the
 * API server must parse, so validation parses it the same way; the tests' CEL library and reach evaluator share it.
 */

export interface Prefix {
  family: 4 | 6;
  /** The address as written (host bits kept), as an unsigned integer of 32 or 128 bits. */
  addr: bigint;
  bits: number;
}

const DEC = /^(0|[1-9][0-9]{0,2})$/;

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!DEC.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseIpv6(s: string): bigint | undefined {
  if (s.includes("%")) return undefined; // zones: never in a prefix, never in Kubernetes' ip()
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): bigint[] | undefined => {
    if (h === "") return [];
    const out: bigint[] = [];
    const fields = h.split(":");
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (i === fields.length - 1 && f.includes(".")) {
        const v4 = parseIpv4(f);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(f)) out.push(BigInt(`0x${f}`));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // an embedded IPv4 address only at the very end
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  const n = head.length + tail.length;
  if (halves.length === 2 ? n > 7 : n !== 8) return undefined;
  const all = [...head, ...Array<bigint>(8 - n).fill(0n), ...tail];
  return all.reduce((v, g) => (v << 16n) | g, 0n);
}

/** An address (Go's `netip.ParseAddr` without zones), or undefined. */
export function parseIp(s: string): { family: 4 | 6; addr: bigint } | undefined {
  if (s.includes(":")) {
    const addr = parseIpv6(s);
    return addr === undefined ? undefined : { family: 6, addr };
  }
  const addr = parseIpv4(s);
  return addr === undefined ? undefined : { family: 4, addr };
}

const IS_4IN6 = (a: bigint) => a >> 32n === 0xffffn;

/** A prefix as Kubernetes' CEL `cidr()` accepts it, or undefined. */
export function parsePrefix(s: string): Prefix | undefined {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > (ip.family === 4 ? 32 : 128)) return undefined;
  if (ip.family === 6 && IS_4IN6(ip.addr)) return undefined;
  return { ...ip, bits };
}

const width = (p: { family: 4 | 6 }) => (p.family === 4 ? 32 : 128);

/** The prefix with its host bits cleared. */
export function masked(p: Prefix): Prefix {
  const host = width(p) - p.bits;
  return { ...p, addr: (p.addr >> BigInt(host)) << BigInt(host) };
}

/** Whether the prefix holds the address (Go's `Prefix.Contains`: host bits of the prefix ignored). */
export function containsIp(p: Prefix, ip: { family: 4 | 6; addr: bigint }): boolean {
  if (p.family !== ip.family) return false;
  const host = BigInt(width(p) - p.bits);
  return p.addr >> host === ip.addr >> host;
}

/** Whether `outer` holds every address of `inner`. */
export function containsPrefix(outer: Prefix, inner: Prefix): boolean {
  return outer.bits <= inner.bits && containsIp(outer, masked(inner));
}

/** Whether two prefixes share an address (prefixes either nest or are disjoint). */
export function overlaps(a: Prefix, b: Prefix): boolean {
  return containsPrefix(a, b) || containsPrefix(b, a);
}
