/**
 * Vault's ACL path matching, as Vault itself applies it: `*` only as a trailing prefix glob, `+` for exactly
 * one path segment; policies merged (capabilities on the same pattern unioned, `deny` wins), then for a
 * request path the single highest-priority matching pattern decides.
 */
import type { Capability, PolicyRule } from "./policy";

/** Does a policy path pattern match a request path? */
export function pathMatches(pattern: string, path: string): boolean {
  const glob = pattern.endsWith("*");
  const body = glob ? pattern.slice(0, -1) : pattern;
  if (!body.includes("+")) return glob ? path.startsWith(body) : path === body;
  const ps = body.split("/");
  const xs = path.split("/");
  if (glob ? xs.length < ps.length : xs.length !== ps.length) return false;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const x = xs[i]!;
    const last = i === ps.length - 1;
    // `+` is any one segment, an empty one included (Vault's matcher does not check for emptiness)
    if (p === "+") continue;
    // the last segment of a glob pattern is a prefix of the path's segment
    if (glob && last ? !x.startsWith(p) : x !== p) return false;
  }
  return true;
}

/** Position of the first `+` or `*`, or the length when there is none. */
function firstWildcard(p: string): number {
  const i = p.search(/[+*]/);
  return i < 0 ? p.length : i;
}

/**
 * Vault's priority order: negative when `a` is lower priority than `b`.
 * 1. the first wildcard (+) or glob (*) occurring earlier is lower; 2. ending in * is lower;
 * 3. more + segments is lower; 4. shorter is lower; 5. lexicographically smaller is lower.
 */
export function comparePriority(a: string, b: string): number {
  const wa = firstWildcard(a);
  const wb = firstWildcard(b);
  if (wa !== wb) return wa - wb;
  const ga = a.endsWith("*");
  const gb = b.endsWith("*");
  if (ga !== gb) return ga ? -1 : 1;
  const pa = a.split("/").filter((s) => s === "+").length;
  const pb = b.split("/").filter((s) => s === "+").length;
  if (pa !== pb) return pb - pa;
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Merges several policies' rules the way Vault builds one ACL from a token's policies. */
export function mergeRules(rules: PolicyRule[]): Map<string, Set<Capability>> {
  const acl = new Map<string, Set<Capability>>();
  for (const r of rules) {
    const caps = acl.get(r.path) ?? new Set<Capability>();
    for (const c of r.capabilities) caps.add(c);
    acl.set(r.path, caps.has("deny") ? new Set<Capability>(["deny"]) : caps);
  }
  return acl;
}

/** The one policy path pattern that decides a request path (Vault's priority rules), or undefined. */
export function decidingPattern(acl: Map<string, Set<Capability>>, path: string): string | undefined {
  let best: string | undefined;
  for (const pattern of acl.keys()) {
    if (pathMatches(pattern, path) && (best === undefined || comparePriority(pattern, best) > 0))
      best = pattern;
  }
  return best;
}

/** The capabilities a set of policies grants on a request path (empty when nothing matches or deny wins). */
export function capabilitiesOn(
  rules: PolicyRule[] | Map<string, Set<Capability>>,
  path: string,
): Capability[] {
  const acl = rules instanceof Map ? rules : mergeRules(rules);
  const best = decidingPattern(acl, path);
  if (best === undefined) return [];
  const caps = acl.get(best)!;
  return caps.has("deny") ? [] : [...caps].sort();
}
