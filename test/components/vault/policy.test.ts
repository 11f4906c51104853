/**
 * Vault policies as data: the JSON of every `vault:index/policy:Policy` the example registry plans, pinned
 * for both KV layouts; names that could widen a grant (`*`, `+`, `/`, quotes, newlines, uppercase, > 63
 * characters) refused by validation and again by the policy builder; and the JSON form round-tripping.
 */
import { LAYERS } from "../../../stacks/layers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type PolicyRule,
  type VaultPaths,
  deployerCredsRule,
  deployerRoleName,
  parsePolicy,
  safeSegment,
  serialisePolicy,
  tenantKvRules,
  tenantPolicyRules,
} from "../../../components/vault/policy";
import { type Plan, buildPlan } from "../../../plan/plan";
import { InvalidInputError, type Problem } from "../../../components/core/problems";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  exampleWithSharedCi,
  registryOf,
  withSharedCi,
} from "../../plan/registries";

const POLICY = "vault:index/policy:Policy";

/** Policy name -> its `policy` input, over every stack of a plan. */
function policies(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of plan.stacks.flatMap((s) => s.resources).filter((r) => r.type === POLICY)) {
    const name = String(r.inputs.name);
    expect(out, `policy ${name} planned twice`).not.toHaveProperty(name);
    out[name] = r.inputs.policy as string;
  }
  return out;
}

// The example registry (environments/example.yaml: layout prefixed, tenantPrefix tenants, kubernetes
// secrets mount "kubernetes"), written out by hand.
const PREFIXED: Record<string, string> = {
  "tenant-alice":
    '{"path":{"secret/data/tenants/alice/*":{"capabilities":["create","read","update","patch","delete"]},"secret/metadata/tenants/alice/*":{"capabilities":["list","read","delete"]},"kubernetes/creds/alice-deployer":{"capabilities":["update"]},"kubernetes/creds/alice-dev-deployer":{"capabilities":["update"]}}}',
  "tenant-bob":
    '{"path":{"secret/data/tenants/bob/*":{"capabilities":["create","read","update","patch","delete"]},"secret/metadata/tenants/bob/*":{"capabilities":["list","read","delete"]},"kubernetes/creds/bob-prod-deployer":{"capabilities":["update"]},"kubernetes/creds/bob-staging-deployer":{"capabilities":["update"]}}}',
  "tenant-carol":
    '{"path":{"secret/data/tenants/carol/*":{"capabilities":["create","read","update","patch","delete"]},"secret/metadata/tenants/carol/*":{"capabilities":["list","read","delete"]},"kubernetes/creds/carol-deployer":{"capabilities":["update"]}}}',
  "ci-bob":
    '{"path":{"kubernetes/creds/bob-prod-deployer":{"capabilities":["update"]},"kubernetes/creds/bob-staging-deployer":{"capabilities":["update"]}}}',
  "ci_shared_woodpecker-deployer":
    '{"path":{"kubernetes/creds/alice-deployer":{"capabilities":["update"]},"kubernetes/creds/alice-dev-deployer":{"capabilities":["update"]},"kubernetes/creds/bob-prod-deployer":{"capabilities":["update"]},"kubernetes/creds/bob-staging-deployer":{"capabilities":["update"]},"kubernetes/creds/carol-deployer":{"capabilities":["update"]}}}',
};

// The same tenants with `vault.tenantPaths: top-level`: one KV entry per user at the mount's top level, and
// everything below it; CI policies only name deployer credentials, so they do not change.
const LEGACY: Record<string, string> = {
  "tenant-alice":
    '{"path":{"secret/data/alice":{"capabilities":["create","read","update","patch","delete"]},"secret/data/alice/*":{"capabilities":["create","read","update","patch","delete"]},"secret/metadata/alice":{"capabilities":["list","read","delete"]},"secret/metadata/alice/*":{"capabilities":["list","read","delete"]},"kubernetes/creds/alice-deployer":{"capabilities":["update"]},"kubernetes/creds/alice-dev-deployer":{"capabilities":["update"]}}}',
  "tenant-bob":
    '{"path":{"secret/data/bob":{"capabilities":["create","read","update","patch","delete"]},"secret/data/bob/*":{"capabilities":["create","read","update","patch","delete"]},"secret/metadata/bob":{"capabilities":["list","read","delete"]},"secret/metadata/bob/*":{"capabilities":["list","read","delete"]},"kubernetes/creds/bob-prod-deployer":{"capabilities":["update"]},"kubernetes/creds/bob-staging-deployer":{"capabilities":["update"]}}}',
  "tenant-carol":
    '{"path":{"secret/data/carol":{"capabilities":["create","read","update","patch","delete"]},"secret/data/carol/*":{"capabilities":["create","read","update","patch","delete"]},"secret/metadata/carol":{"capabilities":["list","read","delete"]},"secret/metadata/carol/*":{"capabilities":["list","read","delete"]},"kubernetes/creds/carol-deployer":{"capabilities":["update"]}}}',
  "ci-bob": PREFIXED["ci-bob"]!,
  "ci_shared_woodpecker-deployer": PREFIXED["ci_shared_woodpecker-deployer"]!,
};

const PREFIXED_LAYOUT: VaultPaths = {
  kvMount: "secret",
  tenantPaths: "prefixed",
  tenantPrefix: "tenants",
  kubernetesSecretsMount: "kubernetes",
};
const LEGACY_LAYOUT: VaultPaths = { ...PREFIXED_LAYOUT, tenantPaths: "top-level" };
const LAYOUTS = [PREFIXED_LAYOUT, LEGACY_LAYOUT];

let prefixed: Record<string, string>;
let legacy: Record<string, string>;
beforeAll(async () => {
  // with the shared CI identity of existing installations, whose policy is pinned too
  prefixed = policies(await buildPlan(exampleWithSharedCi(), LAYERS));
  const env = withSharedCi(exampleEnvironmentData());
  env.vault.tenantPaths = "top-level";
  legacy = policies(await buildPlan(exampleWithEnvironment(env), LAYERS));
});

describe("the example registry's policies, exactly", () => {
  it("prefixed layout: tenant-alice, tenant-bob, tenant-carol, ci-bob, the shared CI policy; none for dave (offboarding)", () => {
    expect(Object.keys(prefixed).sort()).toEqual(Object.keys(PREFIXED).sort());
    for (const [name, json] of Object.entries(PREFIXED)) expect(prefixed[name], name).toBe(json);
    expect(Object.values(prefixed).join()).not.toContain("dave");
  });

  it("legacy layout: secret/data/<user> and secret/data/<user>/*, metadata list/read/delete on both", () => {
    expect(Object.keys(legacy).sort()).toEqual(Object.keys(LEGACY).sort());
    for (const [name, json] of Object.entries(LEGACY)) expect(legacy[name], name).toBe(json);
  });

  it("the builder gives the same JSON the plan carries", () => {
    const alice = ["alice", "alice-dev"];
    expect(serialisePolicy(tenantPolicyRules(PREFIXED_LAYOUT, "alice", alice))).toBe(
      PREFIXED["tenant-alice"],
    );
    expect(serialisePolicy(tenantPolicyRules(LEGACY_LAYOUT, "alice", alice))).toBe(LEGACY["tenant-alice"]);
  });

  it("every planned policy parses as JSON in Vault's shape and round-trips through parsePolicy", () => {
    for (const [name, json] of [...Object.entries(prefixed), ...Object.entries(legacy)]) {
      const doc = JSON.parse(json) as { path: Record<string, { capabilities: string[] }> };
      expect(Object.keys(doc), name).toEqual(["path"]);
      for (const rule of Object.values(doc.path)) expect(Object.keys(rule), name).toEqual(["capabilities"]);
      const rules = parsePolicy(json);
      expect(rules.length, name).toBe(Object.keys(doc.path).length);
      expect(serialisePolicy(rules), name).toBe(json);
    }
  });

  it("round-trips rules, order and capabilities included", () => {
    const rules: PolicyRule[] = [
      { path: "secret/data/tenants/x/*", capabilities: ["read", "create"] },
      { path: "kubernetes/creds/x-deployer", capabilities: ["update"] },
      { path: "secret/data/tenants/x/y", capabilities: ["deny"] },
    ];
    expect(parsePolicy(serialisePolicy(rules))).toEqual(rules);
  });
});

/** Names that must never reach a Vault path. */
const HOSTILE = [
  "al*ce",
  "alice*",
  "*",
  "al+ce",
  "+",
  "al/ce",
  "../alice",
  'al"ce',
  "al\nce",
  "al\rce",
  "al\\ce",
  "al ce",
  "Alice",
  "ALICE",
  "a".repeat(64),
  "",
  "-alice",
  "alice-",
  "al.ce",
];

/** The problems of an invalid registry; fails the test if it is valid. */
function problemsOf(build: () => unknown): Problem[] {
  let error: unknown;
  try {
    build();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidInputError);
  return (error as InvalidInputError).problems;
}

const ID_EXPECTED = "is not a valid tenant id (lowercase RFC 1123 label, at most 63 characters)";
const NS_EXPECTED = "is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)";

describe("hostile names are refused at validation", () => {
  it.each(HOSTILE)("tenant id %j", (id) => {
    expect(problemsOf(() => registryOf({ [id]: { email: "x@example.com", namespaces: ["okns"] } }))).toEqual([
      {
        source: `tenants/${id}.yaml`,
        path: [],
        message: `tenant id ${JSON.stringify(id)} (from the file name or key) ${ID_EXPECTED}`,
      },
    ]);
  });

  it.each(HOSTILE.filter((n) => n !== ""))("namespace %j, wherever a namespace is named", (ns) => {
    const source = "tenants/ok.yaml";
    const message = `${JSON.stringify(ns)} ${NS_EXPECTED}`;
    expect(problemsOf(() => registryOf({ ok: { email: "ok@example.com", namespaces: [ns] } }))).toEqual([
      { source, path: ["namespaces", 0], message },
    ]);
    expect(
      problemsOf(() => registryOf({ ok: { email: "ok@example.com", namespaces: [{ name: ns }] } })),
    ).toEqual([{ source, path: ["namespaces", 0, "name"], message }]);
    expect(
      problemsOf(() =>
        registryOf({
          ok: { email: "ok@example.com", ci: { boundClaims: { repository_owner: "ok" }, namespaces: [ns] } },
        }),
      ),
    ).toEqual([{ source, path: ["ci", "namespaces", 0], message }]);
    expect(
      problemsOf(() =>
        registryOf({
          ok: { email: "ok@example.com", members: [{ tenant: "bo", role: "viewer", namespaces: [ns] }] },
          bo: { email: "bo@example.com" },
        }),
      ),
    ).toEqual([{ source, path: ["members", 0, "namespaces", 0], message }]);
  });

  it("the empty namespace name too", () => {
    expect(problemsOf(() => registryOf({ ok: { email: "ok@example.com", namespaces: [""] } }))).toEqual([
      { source: "tenants/ok.yaml", path: ["namespaces", 0], message: `"" ${NS_EXPECTED}` },
    ]);
  });

  it("63 characters is still a name", () => {
    const id = "a".repeat(63);
    const model = registryOf({ [id]: { email: "x@example.com", namespaces: [`b${"c".repeat(62)}`] } });
    expect(model.tenants.map((t) => t.id)).toEqual([id]);
  });
});

const refusal = (name: string) =>
  `refusing to build a Vault path from ${JSON.stringify(name)}: expected a lowercase RFC 1123 label`;

describe("hostile names are refused by the policy builder too", () => {
  it.each(HOSTILE)("%j as a tenant id or a namespace, in both layouts", (name) => {
    expect(() => safeSegment(name)).toThrow(refusal(name));
    expect(() => deployerRoleName(name)).toThrow(refusal(name));
    for (const layout of LAYOUTS) {
      expect(() => tenantKvRules(layout, name)).toThrow(refusal(name));
      expect(() => tenantPolicyRules(layout, name, ["okns"])).toThrow(refusal(name));
      expect(() => tenantPolicyRules(layout, "ok", ["okns", name])).toThrow(refusal(name));
      expect(() => deployerCredsRule(layout, name)).toThrow(refusal(name));
    }
  });

  it("serialisePolicy refuses quotes, backslashes and newlines in a path, and a path listed twice", () => {
    for (const path of [
      'secret/data/a"b/*',
      "secret/data/a\nb/*",
      "secret/data/a\rb/*",
      "secret/data/a\\b/*",
    ]) {
      expect(() => serialisePolicy([{ path, capabilities: ["read"] }])).toThrow(
        `refusing a policy path with quotes, backslashes or newlines: ${JSON.stringify(path)}`,
      );
    }
    const rule: PolicyRule = { path: "kubernetes/creds/a-deployer", capabilities: ["update"] };
    expect(() => serialisePolicy([rule, rule])).toThrow("policy lists kubernetes/creds/a-deployer twice");
  });

  it("any string: either a plain label that becomes one path segment, or refused", () => {
    const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[a-z0-9][-a-z0-9*+/"\n]{0,66}$/)),
        fc.constantFrom(...LAYOUTS),
        (name, layout) => {
          const valid = name.length <= 63 && label.test(name);
          if (!valid) {
            expect(() => tenantPolicyRules(layout, name, [])).toThrow(refusal(name));
            expect(() => tenantPolicyRules(layout, "ok", [name])).toThrow(refusal(name));
            return;
          }
          const rules = tenantPolicyRules(layout, name, [name]);
          for (const { path } of rules) {
            // no `+` at all, and `*` only as the final "/*"
            expect(path).not.toContain("+");
            expect(path.indexOf("*") === -1 || path.indexOf("*") === path.length - 1).toBe(true);
            expect(path.endsWith("*") ? path.endsWith("/*") : true).toBe(true);
            expect(path.split("/")).toContain(path.startsWith("kubernetes/") ? `${name}-deployer` : name);
          }
          expect(parsePolicy(serialisePolicy(rules))).toEqual(rules);
        },
      ),
      { numRuns: 500 },
    );
  });
});
