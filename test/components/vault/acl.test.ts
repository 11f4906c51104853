/**
 * components/vault/acl.ts against Vault's documented ACL rules (developer.hashicorp.com/vault/docs/concepts/policies,
 * "Priority matching", and vault/acl.go `CheckAllowedFromNonExactPaths`, which implements them):
 * `*` only as a trailing prefix glob, `+` for exactly one path segment, an exact path before any wildcard,
 * then the single highest-priority matching pattern decides; capabilities of the same pattern in several
 * policies are unioned and `deny` on it wins.
 */
import { describe, expect, it } from "vitest";
import type { PolicyRule } from "../../../components/vault/policy";
import { capabilitiesOn, comparePriority, mergeRules, pathMatches } from "../../../components/vault/acl";

/** `higher` outranks `lower` in both argument orders. */
function expectOutranks(higher: string, lower: string): void {
  expect(comparePriority(higher, lower), `${higher} over ${lower}`).toBeGreaterThan(0);
  expect(comparePriority(lower, higher), `${lower} under ${higher}`).toBeLessThan(0);
}

describe("pathMatches: `*` is a trailing prefix glob, and only that", () => {
  it("a glob right after a name also matches names that merely start with it: why tenant paths end in /<id>/*", () => {
    expect(pathMatches("secret/data/alice*", "secret/data/alice-dev/x")).toBe(true);
    expect(pathMatches("secret/data/alice*", "secret/data/alice")).toBe(true);
    expect(pathMatches("secret/data/alice*", "secret/data/alicex")).toBe(true);
    expect(pathMatches("secret/data/alice*", "secret/data/alic")).toBe(false);
    expect(pathMatches("secret/data/alice*", "secret/data/bob/x")).toBe(false);
  });

  it("/<id>/* reaches everything below the tenant and nothing of a tenant sharing its prefix", () => {
    expect(pathMatches("secret/data/tenants/alice/*", "secret/data/tenants/alice/x")).toBe(true);
    expect(pathMatches("secret/data/tenants/alice/*", "secret/data/tenants/alice/x/y/z")).toBe(true);
    expect(pathMatches("secret/data/tenants/alice/*", "secret/data/tenants/alice-dev/x")).toBe(false);
    expect(pathMatches("secret/data/tenants/alice/*", "secret/data/tenants/alice-dev")).toBe(false);
    // the glob's prefix ends in "/": the bare name is not below it
    expect(pathMatches("secret/data/tenants/alice/*", "secret/data/tenants/alice")).toBe(false);
    expect(pathMatches("secret/data/tenants/alice/*", "secret/metadata/tenants/alice/x")).toBe(false);
  });

  it("a `*` anywhere but at the end is a literal character", () => {
    expect(pathMatches("secret/*/alice", "secret/data/alice")).toBe(false);
    expect(pathMatches("secret/*/alice", "secret/*/alice")).toBe(true);
  });

  it("`*` alone matches every path", () => {
    expect(pathMatches("*", "secret/data/alice")).toBe(true);
    expect(pathMatches("*", "sys/policies/acl/tenant-alice")).toBe(true);
  });

  it("a pattern without wildcards matches exactly that path", () => {
    expect(pathMatches("secret/data/alice", "secret/data/alice")).toBe(true);
    expect(pathMatches("secret/data/alice", "secret/data/alice/")).toBe(false);
    expect(pathMatches("secret/data/alice", "secret/data/alice/x")).toBe(false);
    expect(pathMatches("secret/data/alice", "secret/data/alice-dev")).toBe(false);
    expect(pathMatches("secret/data/alice", "secret/data/alic")).toBe(false);
  });
});

describe("pathMatches: `+` is exactly one path segment", () => {
  it("matches any one segment in its place", () => {
    expect(pathMatches("secret/+/alice", "secret/data/alice")).toBe(true);
    expect(pathMatches("secret/+/alice", "secret/metadata/alice")).toBe(true);
    expect(pathMatches("secret/+/+/x", "secret/a/b/x")).toBe(true);
    expect(pathMatches("+/data/alice", "secret/data/alice")).toBe(true);
  });

  it("never two segments, never none, never a longer path without a trailing glob", () => {
    expect(pathMatches("secret/+/alice", "secret/data/x/alice")).toBe(false);
    expect(pathMatches("secret/+/alice", "secret/alice")).toBe(false);
    expect(pathMatches("secret/+/alice", "secret/data/alice/x")).toBe(false);
    expect(pathMatches("secret/+/alice", "secret/data/alice-dev")).toBe(false);
    expect(pathMatches("secret/+/+/x", "secret/a/x")).toBe(false);
  });

  // Decision: Vault's matcher compares `+` with the request path's segments as strings.Split gives them,
  // with no check for emptiness (vault/acl.go), and the docs say "any number of characters bounded within a
  // single path segment": zero characters included. So `+` matches an empty segment: `secret/+/alice`
  // matches `secret//alice`, and `secret/metadata/tenants/+` matches the LIST request path
  // `secret/metadata/tenants/` (Go's HTTP mux collapses `//` before Vault sees it, but keeps a trailing
  // "/", so the second case is reachable by any client: listing every tenant's name).
  it("matches an empty segment, as Vault's matcher does", () => {
    expect(pathMatches("secret/metadata/tenants/+", "secret/metadata/tenants/")).toBe(true);
    expect(pathMatches("secret/+/alice", "secret//alice")).toBe(true);
    expect(
      capabilitiesOn(
        [{ path: "secret/metadata/tenants/+", capabilities: ["list"] }],
        "secret/metadata/tenants/",
      ),
    ).toEqual(["list"]);
  });

  it("combined with a trailing `*`: the fixed segments, then a prefix glob on the last one", () => {
    expect(pathMatches("secret/+/alice/*", "secret/data/alice/x")).toBe(true);
    expect(pathMatches("secret/+/alice/*", "secret/metadata/alice/x/y")).toBe(true);
    expect(pathMatches("secret/+/alice/*", "secret/data/alice")).toBe(false);
    expect(pathMatches("secret/+/alice/*", "secret/data/alice-dev/x")).toBe(false);
    expect(pathMatches("secret/+/alice/*", "secret/data/x/alice/y")).toBe(false);
    // the glob applies to the last segment of the pattern: a prefix match again
    expect(pathMatches("secret/+/alice*", "secret/data/alice-dev/x")).toBe(true);
    expect(pathMatches("secret/+/alice*", "secret/data/alice")).toBe(true);
    expect(pathMatches("secret/+/alice*", "secret/data/bob")).toBe(false);
    expect(pathMatches("secret/+/alice*", "secret/alice")).toBe(false);
  });
});

describe("comparePriority: Vault's five rules, in order", () => {
  it("1. the first wildcard (+) or glob (*) occurring earlier is lower", () => {
    // Vault's own examples
    expectOutranks("foo/a*", "foo/+");
    expectOutranks("foo/bar/+/baz", "foo/+/bar/baz");
    expectOutranks("secret/data/tenants/alice/*", "secret/data/*");
    expectOutranks("secret/data/+", "secret/+/alice");
    // decided here even though the other pattern has fewer `+` and no trailing glob
    expectOutranks("secret/data/*", "secret/+/alice");
  });

  it("2. with the first wildcard in the same place, ending in * is lower", () => {
    expectOutranks("foo/+/bar", "foo/+/ba*");
    expectOutranks("foo/+", "foo/*");
  });

  it("3. then more + segments is lower", () => {
    expectOutranks("foo/+/bar/baz", "foo/+/+/baz");
    expectOutranks("foo/+/bar/*", "foo/+/+/*");
  });

  it("4. then shorter is lower", () => {
    expectOutranks("foo/+/bar/ba*", "foo/+/bar/b*");
    expectOutranks("secret/+/alice/*", "secret/+/alice*");
  });

  it("5. then lexicographically smaller is lower", () => {
    // same first wildcard, no glob, two `+` each, same length: "+" sorts before "a"
    expectOutranks("foo/+/a/+", "foo/+/+/b");
    expect(comparePriority("foo/+/a/+", "foo/+/a/+")).toBe(0);
  });

  it("an exact path outranks every wildcard pattern matching it (Vault looks exact paths up first)", () => {
    expectOutranks("secret/data/alice", "secret/data/alice*");
    expectOutranks("secret/data/alice", "secret/data/+");
    expectOutranks("secret/data/alice", "secret/+/alice");
    expectOutranks("secret/data/alice", "*");
  });
});

describe("capabilitiesOn: the highest-priority match alone decides", () => {
  it("a more specific path with fewer capabilities overrides a glob: no union across patterns", () => {
    const rules: PolicyRule[] = [
      { path: "secret/data/*", capabilities: ["create", "read", "update", "delete"] },
      { path: "secret/data/alice", capabilities: ["read"] },
    ];
    expect(capabilitiesOn(rules, "secret/data/alice")).toEqual(["read"]);
    expect(capabilitiesOn(rules, "secret/data/bob")).toEqual(["create", "delete", "read", "update"]);
  });

  it("the longer glob decides below it", () => {
    const rules: PolicyRule[] = [
      { path: "secret/*", capabilities: ["read"] },
      { path: "secret/data/tenants/alice/*", capabilities: ["list"] },
    ];
    expect(capabilitiesOn(rules, "secret/data/tenants/alice/x")).toEqual(["list"]);
    expect(capabilitiesOn(rules, "secret/data/tenants/bob/x")).toEqual(["read"]);
  });

  it("a later glob outranks an earlier `+` (rule 1)", () => {
    const rules: PolicyRule[] = [
      { path: "secret/+/alice", capabilities: ["read"] },
      { path: "secret/data/*", capabilities: ["update"] },
    ];
    expect(capabilitiesOn(rules, "secret/data/alice")).toEqual(["update"]);
    expect(capabilitiesOn(rules, "secret/metadata/alice")).toEqual(["read"]);
  });

  it("an exact path and a glob with the same text are different patterns: not unioned", () => {
    const rules: PolicyRule[] = [
      { path: "secret/data/alice", capabilities: ["read"] },
      { path: "secret/data/alice*", capabilities: ["update"] },
    ];
    expect(capabilitiesOn(rules, "secret/data/alice")).toEqual(["read"]);
    expect(capabilitiesOn(rules, "secret/data/alice-dev")).toEqual(["update"]);
  });

  it("nothing matching grants nothing", () => {
    expect(
      capabilitiesOn([{ path: "secret/data/alice/*", capabilities: ["read"] }], "secret/data/bob/x"),
    ).toEqual([]);
    expect(capabilitiesOn([], "secret/data/alice")).toEqual([]);
  });
});

describe("merging policies", () => {
  it("capabilities on the same pattern from two policies are unioned", () => {
    const alice: PolicyRule[] = [{ path: "secret/data/shared/*", capabilities: ["read"] }];
    const team: PolicyRule[] = [{ path: "secret/data/shared/*", capabilities: ["list", "update"] }];
    expect(capabilitiesOn([...alice, ...team], "secret/data/shared/x")).toEqual(["list", "read", "update"]);
    expect([...mergeRules([...alice, ...team]).get("secret/data/shared/*")!].sort()).toEqual([
      "list",
      "read",
      "update",
    ]);
  });

  it("deny on a pattern wins over every grant on it, in any order of policies", () => {
    const grant: PolicyRule = { path: "secret/data/alice/*", capabilities: ["read", "update"] };
    const deny: PolicyRule = { path: "secret/data/alice/*", capabilities: ["deny"] };
    expect(capabilitiesOn([grant, deny], "secret/data/alice/x")).toEqual([]);
    expect(capabilitiesOn([deny, grant], "secret/data/alice/x")).toEqual([]);
    expect(
      capabilitiesOn(
        [{ path: "secret/data/alice/*", capabilities: ["read", "deny"] }],
        "secret/data/alice/x",
      ),
    ).toEqual([]);
    expect([...mergeRules([deny, grant]).get("secret/data/alice/*")!]).toEqual(["deny"]);
  });

  it("deny on the deciding pattern removes a grant of a lower-priority glob; deny on a lower one does not", () => {
    const rules: PolicyRule[] = [
      { path: "secret/data/*", capabilities: ["read"] },
      { path: "secret/data/alice", capabilities: ["deny"] },
    ];
    expect(capabilitiesOn(rules, "secret/data/alice")).toEqual([]);
    expect(capabilitiesOn(rules, "secret/data/bob")).toEqual(["read"]);
    const lowDeny: PolicyRule[] = [
      { path: "secret/*", capabilities: ["deny"] },
      { path: "secret/data/alice", capabilities: ["read"] },
    ];
    expect(capabilitiesOn(lowDeny, "secret/data/alice")).toEqual(["read"]);
    expect(capabilitiesOn(lowDeny, "secret/data/bob")).toEqual([]);
  });

  it("a merged ACL answers as the rules it was merged from", () => {
    const rules: PolicyRule[] = [
      { path: "secret/data/*", capabilities: ["read"] },
      { path: "secret/data/alice", capabilities: ["update"] },
      { path: "secret/+/bob", capabilities: ["list"] },
    ];
    const acl = mergeRules(rules);
    for (const path of ["secret/data/alice", "secret/data/bob", "secret/metadata/bob", "other/x"])
      expect(capabilitiesOn(acl, path), path).toEqual(capabilitiesOn(rules, path));
  });
});
