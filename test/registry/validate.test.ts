/**
 * The registry's rules (issue 2), one test per rule, each with the exact message a user sees.
 * Registries are built in memory from the example environment and small tenant documents.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { RegistryModel } from "../../registry/model";
import { MAX_FILE_BYTES, parseYaml, unknownKeyMessage } from "../../registry/parse";
import { formatProblem } from "../../components/core/problems";
import { formatQuantity, isQuantity, parseQuantity } from "../../components/core/quantity";
import { EnvironmentFile, TenantFile } from "../../registry/schema";
import type { TenantFileInput } from "../../registry/schema";
import { registryOf } from "../plan/registries";
import { buildRegistry } from "../../registry/validate";
import { EXAMPLE_ENV_PATH } from "../helpers/cli";
import { refusedWith } from "../helpers/problems";

const ENV_SOURCE = "environments/example.yaml";
// the lists of known fields follow the schemas (which grow); the rest of each message is pinned
const TENANT_FIELDS = `(known fields: ${Object.keys(TenantFile.shape).join(", ")})`;
const ENV_FIELDS = `(known fields: ${Object.keys(EnvironmentFile.shape).join(", ")})`;
const EXAMPLE_ENV = parse(readFileSync(EXAMPLE_ENV_PATH, "utf8")) as Record<string, unknown>;

/** The example environment, optionally changed by `edit` (a fresh copy every time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function environment(edit: (env: any) => void = () => {}): Record<string, unknown> {
  const env = structuredClone(EXAMPLE_ENV);
  edit(env);
  return env;
}

type Tenants = Record<string, unknown>;

function build(tenants: Tenants, env: unknown = EXAMPLE_ENV): RegistryModel {
  return registryOf(tenants as Record<string, TenantFileInput>, env);
}

/** Every problem the registry has, formatted as the CLI prints them. Fails if the registry is valid. */
const problems = (tenants: Tenants, env: unknown = EXAMPLE_ENV) => refusedWith(() => build(tenants, env));

const alice = { email: "alice@example.com" };
const bob = { email: "bob@example.com" };

describe("strict schemas: unknown keys are typos", () => {
  it("refuses an unknown tenant field and suggests the nearest one", () => {
    expect(problems({ alice: { ...alice, namspaces: ["alice"] } })).toEqual([
      `tenants/alice.yaml: namspaces: unknown field "namspaces"; did you mean "namespaces"? ${TENANT_FIELDS}`,
    ]);
  });

  it("accepts ephemeral-storage and count/<resource> quota keys, refuses malformed counts and caps exposure by the tier", () => {
    const quota = {
      "requests.ephemeral-storage": "1Gi",
      "limits.ephemeral-storage": "2Gi",
      "count/deployments.apps": 10,
      "count/configmaps": "20",
    };
    const model = build({ alice: { ...alice, namespaces: [{ name: "alice", quota }] } });
    expect(model.tenants[0]!.namespaces[0]!.quota).toMatchObject({
      ...quota,
      "count/deployments.apps": "10",
      "services.nodeports": "0",
    });
    expect(
      problems({
        alice: {
          ...alice,
          namespaces: [
            {
              name: "alice",
              quota: { "count/Deployments": 1, "count/pods": "1.5" },
            },
          ],
        },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0].quota.count/Deployments: unknown field "count/Deployments" (known fields: requests.cpu, limits.cpu, requests.memory, limits.memory, requests.storage, requests.ephemeral-storage, limits.ephemeral-storage, persistentvolumeclaims, pods, services, services.loadbalancers, services.nodeports, count/<resource>[.<group>])',
      'tenants/alice.yaml: namespaces[0].quota.count/pods: "1.5" is not a whole number of objects',
    ]);
    // the tier allows no NodePorts (no max, no default): a tenant file cannot raise that
    expect(
      problems({ alice: { ...alice, namespaces: [{ name: "alice", quota: { "services.nodeports": 1 } }] } }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0].quota.services.nodeports: services.nodeports "1" for namespace "alice" exceeds the tier "standard" cap on service exposure of "0" (environments/example.yaml)',
    ]);
  });

  it("refuses an unknown field deep inside a namespace's quota, with the Kubernetes key suggested", () => {
    expect(
      problems({ alice: { ...alice, namespaces: [{ name: "alice", quota: { "request.cpu": "1" } }] } }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0].quota.request.cpu: unknown field "request.cpu"; did you mean "requests.cpu"? (known fields: requests.cpu, limits.cpu, requests.memory, limits.memory, requests.storage, requests.ephemeral-storage, limits.ephemeral-storage, persistentvolumeclaims, pods, services, services.loadbalancers, services.nodeports, count/<resource>[.<group>])',
    ]);
  });

  it("refuses an unknown member field", () => {
    expect(
      problems({
        alice: { ...alice, members: [{ tenant: "bob", role: "viewer", namespace: ["alice"] }] },
        bob,
      }),
    ).toEqual([
      'tenants/alice.yaml: members[0].namespace: unknown field "namespace"; did you mean "namespaces"? (known fields: tenant, role, manager, namespaces)',
    ]);
  });

  it("refuses an unknown environment field", () => {
    const env = environment((e) => {
      e.dnss = e.dns;
    });
    expect(problems({ alice }, env)).toEqual([
      `environments/example.yaml: dnss: unknown field "dnss"; did you mean "dns"? ${ENV_FIELDS}`,
    ]);
  });

  it("refuses an unknown field inside an environment tier", () => {
    const env = environment((e) => {
      e.tiers.team.maxNamespace = 3;
    });
    expect(problems({ alice }, env)).toEqual([
      'environments/example.yaml: tiers.team.maxNamespace: unknown field "maxNamespace"; did you mean "maxNamespaces"? (known fields: description, quota, limits, max, budget, podSecurity, maxNamespaces, clusterReader, admission, sharedObjects)',
    ]);
  });
});

describe("the unknown-key suggestion", () => {
  const known = ["email", "role", "namespaces", "domains"];

  it("suggests the nearest known key within a few edits", () => {
    expect(unknownKeyMessage("domain", known)).toBe(
      'unknown field "domain"; did you mean "domains"? (known fields: email, role, namespaces, domains)',
    );
    expect(unknownKeyMessage("emial", known)).toBe(
      'unknown field "emial"; did you mean "email"? (known fields: email, role, namespaces, domains)',
    );
  });

  it("suggests nothing when no key is near", () => {
    expect(unknownKeyMessage("colour", known)).toBe(
      'unknown field "colour" (known fields: email, role, namespaces, domains)',
    );
  });

  it("does not pass a rewrite of a whole short word off as a typo", () => {
    expect(unknownKeyMessage("<<", ["role", "ci"])).toBe('unknown field "<<" (known fields: role, ci)');
    expect(unknownKeyMessage("cj", ["role", "ci"])).toBe(
      'unknown field "cj"; did you mean "ci"? (known fields: role, ci)',
    );
  });

  it("says only that the field is unknown when no keys are known", () => {
    expect(unknownKeyMessage("x", [])).toBe('unknown field "x"');
  });
});

describe("names: tenant ids, namespaces, emails, hostnames", () => {
  it("refuses a tenant id (file name) that is not a lowercase RFC 1123 label", () => {
    expect(problems({ Alice: alice })).toEqual([
      'tenants/Alice.yaml: tenant id "Alice" (from the file name or key) is not a valid tenant id (lowercase RFC 1123 label, at most 63 characters)',
    ]);
  });

  it("refuses an uppercase namespace (the ARCHITECTURE.md example)", () => {
    expect(problems({ alice: { ...alice, namespaces: ["alice", "Alice-Dev"] } })).toEqual([
      'tenants/alice.yaml: namespaces[1]: "Alice-Dev" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
    ]);
  });

  it("accepts a 63-character namespace and refuses a 64-character one", () => {
    const ns63 = "a".repeat(63);
    expect(build({ alice: { ...alice, namespaces: [ns63] } }).tenants[0]!.namespaces[0]!.name).toBe(ns63);
    expect(problems({ alice: { ...alice, namespaces: ["a".repeat(64)] } })).toEqual([
      `tenants/alice.yaml: namespaces[0]: "${"a".repeat(64)}" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)`,
    ]);
  });

  it("refuses a namespace with a dot, a leading dash or a trailing dash (object form too)", () => {
    expect(
      problems({
        alice: { ...alice, namespaces: ["alice.dev", "-alice", { name: "alice-" }] },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0]: "alice.dev" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
      'tenants/alice.yaml: namespaces[1]: "-alice" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
      'tenants/alice.yaml: namespaces[2].name: "alice-" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
    ]);
  });

  it("refuses an email that is not an email address", () => {
    expect(problems({ alice: { email: "alice at example.com" } })).toEqual([
      'tenants/alice.yaml: email: "alice at example.com" is not a valid email address',
    ]);
  });

  it("names a single-secret record without email by the environment's identity rule, and only such a record", () => {
    const env = environment((e) => (e.oidc.identityFromId = "{id}@corp.example.com"));
    const docs = (identityFromId: boolean) => [
      { id: "alice", source: "vault:secret/platform#k8s_users.alice", data: {}, identityFromId },
    ];
    const withRule = buildRegistry({ name: "example", source: ENV_SOURCE, data: env }, docs(true));
    expect(withRule.tenants[0]!.email).toBe("alice@corp.example.com");
    // a user name as the identity, where the identity provider's username is the OIDC identity
    const byName = environment((e) => (e.oidc.identityFromId = "{id}"));
    expect(
      buildRegistry({ name: "example", source: ENV_SOURCE, data: byName }, docs(true)).tenants[0]!.email,
    ).toBe("alice");
    // a YAML file still needs its email; a record without the rule is told where the rule goes
    expect(() => buildRegistry({ name: "example", source: ENV_SOURCE, data: env }, docs(false))).toThrow(
      "email: is required (the tenant's OIDC identity)",
    );
    expect(() =>
      buildRegistry({ name: "example", source: ENV_SOURCE, data: EXAMPLE_ENV }, docs(true)),
    ).toThrow(
      'email: is required: this record has no email and the environment has no identity rule (oidc.identityFromId in environments/example.yaml, e.g. "{id}@example.com")',
    );
    // the rule's result is an identity like any other: one tenant each
    expect(() =>
      buildRegistry({ name: "example", source: ENV_SOURCE, data: env }, [
        ...docs(true),
        { id: "bob", source: "tenants/bob.yaml", data: { email: "alice@corp.example.com" } },
      ]),
    ).toThrow(/already the identity of tenant "alice"; an email belongs to one tenant/);
    for (const bad of ["{id}{id}@x.com", "@example.com", "{id} x", "{id}@bad_host"])
      expect(
        problems(
          { alice },
          environment((e) => (e.oidc.identityFromId = bad)),
        ),
      ).toEqual([
        `environments/example.yaml: oidc.identityFromId: ${JSON.stringify(bad)} is not a template with one {id} giving an email ("{id}@example.com") or a user name ("{id}")`,
      ]);
  });

  it("requires the email", () => {
    expect(problems({ alice: { displayName: "Alice" } })).toEqual([
      "tenants/alice.yaml: email: is required (the tenant's OIDC identity)",
    ]);
  });

  it("refuses a hostname with uppercase letters, a single label, or more than 253 characters", () => {
    const long = `${Array.from({ length: 4 }, () => "a".repeat(63)).join(".")}.example.com`;
    expect(long.length).toBeGreaterThan(253);
    expect(problems({ alice: { ...alice, domains: ["Alice.example.com", "localhost", long] } })).toEqual([
      'tenants/alice.yaml: domains[0]: "Alice.example.com" is not a valid hostname (lowercase RFC 1123 labels separated by dots, at most 253 characters)',
      'tenants/alice.yaml: domains[1]: "localhost" is not a valid hostname (lowercase RFC 1123 labels separated by dots, at most 253 characters)',
      `tenants/alice.yaml: domains[2]: "${long.slice(0, 76)}... is not a valid hostname (lowercase RFC 1123 labels separated by dots, at most 253 characters)`,
    ]);
  });

  it("refuses a wildcard domain unless the environment allows wildcards", () => {
    const tenants = { alice: { ...alice, domains: ["*.alice.example.com"] } };
    expect(problems(tenants)).toEqual([
      'tenants/alice.yaml: domains[0]: "*.alice.example.com" is a wildcard; the environment does not allow wildcard domains (dns.allowWildcards)',
    ]);
    const model = build(
      tenants,
      environment((e) => {
        e.dns.allowWildcards = true;
      }),
    );
    expect(model.tenants[0]!.domains).toEqual([
      {
        name: "*.alice.example.com",
        zone: "example.com",
        zoneId: "0123456789abcdef0123456789abcdef",
        namespace: "alice",
      },
    ]);
  });
});

describe("namespaces across tenants", () => {
  it("gives a namespace one owner", () => {
    expect(
      problems({ alice: { ...alice, namespaces: ["shared"] }, bob: { ...bob, namespaces: ["shared"] } }),
    ).toEqual([
      'tenants/bob.yaml: namespaces[0]: "shared" is already owned by tenant "alice" (tenants/alice.yaml); a namespace has one owner',
    ]);
  });

  it("refuses a namespace named after another tenant, once, whichever file comes first", () => {
    // alice sorts before bob: alice's "bob" is seen before bob's default namespace "bob"
    expect(problems({ alice: { ...alice, namespaces: ["bob"] }, bob })).toEqual([
      'tenants/alice.yaml: namespaces[0]: "bob" is the id of tenant "bob" (tenants/bob.yaml); a namespace may not be named after another tenant',
    ]);
    // zed sorts after bob: bob's default namespace "bob" is seen first
    expect(problems({ bob, zed: { email: "zed@example.com", namespaces: ["zed", "bob"] } })).toEqual([
      'tenants/zed.yaml: namespaces[1]: "bob" is the id of tenant "bob" (tenants/bob.yaml); a namespace may not be named after another tenant',
    ]);
  });

  it("refuses a namespace listed twice by one tenant", () => {
    expect(problems({ alice: { ...alice, namespaces: ["alice", { name: "alice" }] } })).toEqual([
      'tenants/alice.yaml: namespaces[1].name: "alice" is listed twice',
    ]);
  });

  it("refuses the reserved namespaces: default, kube-*, the platform's own and the environment's list", () => {
    expect(
      problems({
        alice: {
          ...alice,
          tier: "team",
          namespaces: ["default", "kube-foo", "ingress-nginx", "kube-system", "monitoring", "platform-x"],
        },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0]: "default" is a reserved namespace (platform or system); choose another name',
      'tenants/alice.yaml: namespaces[1]: "kube-foo" starts with the reserved prefix "kube-"; choose another name',
      'tenants/alice.yaml: namespaces[2]: "ingress-nginx" is a reserved namespace (platform or system); choose another name',
      'tenants/alice.yaml: namespaces[3]: "kube-system" is a reserved namespace (platform or system); choose another name',
      'tenants/alice.yaml: namespaces[4]: "monitoring" is a reserved namespace (platform or system); choose another name',
      'tenants/alice.yaml: namespaces[5]: "platform-x" starts with the reserved prefix "platform-"; choose another name',
    ]);
  });

  it("locates a reserved default namespace (no namespaces field) at the missing field", () => {
    expect(problems({ monitoring: { email: "mon@example.com" } })).toEqual([
      'tenants/monitoring.yaml: namespaces: "monitoring" is a reserved namespace (platform or system); choose another name',
    ]);
  });

  it("refuses more namespaces than the tier allows (maxNamespaces)", () => {
    expect(problems({ alice: { ...alice, namespaces: ["a1", "a2", "a3", "a4"] } })).toEqual([
      'tenants/alice.yaml: namespaces: 4 namespaces exceed the tier "standard" limit of 3',
    ]);
  });

  it("accepts a tenant without namespaces, and refuses what would need one", () => {
    const model = build({ alice: { ...alice, role: "admin", namespaces: [] } });
    expect(model.tenants[0]!.namespaces).toEqual([]);
    expect(
      problems({
        alice: {
          ...alice,
          namespaces: [],
          domains: ["alice.example.com"],
          apps: [{ name: "jupyter" }],
          ci: { boundClaims: { repository_owner_id: "1" } },
        },
      }),
    ).toEqual([
      'tenants/alice.yaml: domains[0]: tenant "alice" has no namespace to serve "alice.example.com" from (namespaces: [])',
      'tenants/alice.yaml: apps[0].name: app "jupyter" runs in one of the tenant\'s namespaces, and tenant "alice" has none (namespaces: [])',
      'tenants/alice.yaml: ci: tenant "alice" has no namespaces for its pipelines to deploy to (namespaces: [])',
    ]);
  });
});

describe("domains across tenants", () => {
  it("claims a domain once", () => {
    expect(
      problems({
        alice: { ...alice, domains: ["www.example.com"] },
        bob: { ...bob, domains: ["www.example.com"] },
      }),
    ).toEqual([
      'tenants/bob.yaml: domains[0]: "www.example.com" is already claimed by tenant "alice" (tenants/alice.yaml)',
    ]);
  });

  it("treats a wildcard as a claim on its base name", () => {
    const env = environment((e) => {
      e.dns.allowWildcards = true;
    });
    expect(
      problems(
        { alice: { ...alice, domains: ["a.example.com"] }, bob: { ...bob, domains: ["*.a.example.com"] } },
        env,
      ),
    ).toEqual([
      'tenants/bob.yaml: domains[0]: "*.a.example.com" is already claimed by tenant "alice" (tenants/alice.yaml)',
    ]);
  });

  it("refuses a domain listed twice by one tenant", () => {
    expect(problems({ alice: { ...alice, domains: ["a.example.com", "a.example.com"] } })).toEqual([
      'tenants/alice.yaml: domains[1]: "a.example.com" is listed twice',
    ]);
  });

  it("refuses a domain inside another tenant's domain, whichever file comes first", () => {
    // the parent's owner sorts first
    expect(
      problems({
        alice: { ...alice, domains: ["shop.example.com"] },
        bob: { ...bob, domains: ["eu.shop.example.com"] },
      }),
    ).toEqual([
      'tenants/bob.yaml: domains[0]: "eu.shop.example.com" is inside "shop.example.com", claimed by tenant "alice" (tenants/alice.yaml)',
    ]);
    // the nested domain's owner sorts first
    expect(
      problems({
        alice: { ...alice, domains: ["eu.shop.example.com"] },
        bob: { ...bob, domains: ["shop.example.com"] },
      }),
    ).toEqual([
      'tenants/alice.yaml: domains[0]: "eu.shop.example.com" is inside "shop.example.com", claimed by tenant "bob" (tenants/bob.yaml)',
    ]);
  });

  it("lets a tenant nest its own domains", () => {
    const model = build({ alice: { ...alice, domains: ["a.example.com", "api.a.example.com"] } });
    expect(model.tenants[0]!.domains.map((d) => d.name)).toEqual(["a.example.com", "api.a.example.com"]);
  });

  it("requires every domain to sit in a configured zone (a suffix match on labels, not text)", () => {
    expect(problems({ alice: { ...alice, domains: ["alice.example.net", "alice.notexample.com"] } })).toEqual(
      [
        'tenants/alice.yaml: domains[0]: "alice.example.net" is not in a configured DNS zone (zones: example.com, example.org, apps.example.com)',
        'tenants/alice.yaml: domains[1]: "alice.notexample.com" is not in a configured DNS zone (zones: example.com, example.org, apps.example.com)',
      ],
    );
  });
});

describe("members, apps and CI", () => {
  it("refuses a member that is not a tenant", () => {
    expect(problems({ alice: { ...alice, members: [{ tenant: "zed", role: "viewer" }] } })).toEqual([
      'tenants/alice.yaml: members[0].tenant: "zed" is not a tenant of this registry',
    ]);
  });

  it("refuses a member invited into a namespace the inviting tenant does not own", () => {
    expect(
      problems({
        alice: { ...alice, members: [{ tenant: "bob", role: "viewer", namespaces: ["bob"] }] },
        bob,
      }),
    ).toEqual([
      'tenants/alice.yaml: members[0].namespaces[0]: "bob" is not a namespace of tenant "alice" (its namespaces: alice)',
    ]);
  });

  it("refuses a tenant inviting itself", () => {
    expect(problems({ alice: { ...alice, members: [{ tenant: "alice", role: "owner" }] } })).toEqual([
      "tenants/alice.yaml: members[0].tenant: a tenant cannot invite itself",
    ]);
  });

  it("refuses a member invited twice", () => {
    expect(
      problems({
        alice: {
          ...alice,
          members: [
            { tenant: "bob", role: "viewer" },
            { tenant: "bob", role: "owner" },
          ],
        },
        bob,
      }),
    ).toEqual([
      'tenants/alice.yaml: members[1].tenant: "bob" is invited twice; list its namespaces in one entry',
    ]);
  });

  it("refuses an unknown member role", () => {
    expect(problems({ alice: { ...alice, members: [{ tenant: "bob", role: "boss" }] }, bob })).toEqual([
      'tenants/alice.yaml: members[0].role: "boss" is not one of "owner", "manager", "developer", "viewer"',
    ]);
  });

  it("refuses an app that is not in the catalog", () => {
    expect(problems({ alice: { ...alice, apps: [{ name: "wordpress" }] } })).toEqual([
      `tenants/alice.yaml: apps[0].name: "wordpress" is not in the environment's app catalog (catalog: jupyter, code-server, actual-budget)`,
    ]);
  });

  it("refuses an app listed twice", () => {
    expect(problems({ alice: { ...alice, apps: [{ name: "jupyter" }, { name: "jupyter" }] } })).toEqual([
      'tenants/alice.yaml: apps[1].name: "jupyter" is listed twice',
    ]);
  });

  it("refuses an unknown app setting and a setting of the wrong type", () => {
    expect(
      problems({ alice: { ...alice, apps: [{ name: "jupyter", settings: { gpus: true, storage: 20 } }] } }),
    ).toEqual([
      'tenants/alice.yaml: apps[0].settings.gpus: unknown setting for app "jupyter" (its settings: storage)',
      "tenants/alice.yaml: apps[0].settings.storage: expected a string, got 20",
    ]);
  });

  it("refuses CI namespaces the tenant does not own", () => {
    expect(
      problems({
        alice: { ...alice, ci: { boundClaims: { repository_owner_id: "1" }, namespaces: ["alice", "bob"] } },
        bob,
      }),
    ).toEqual(['tenants/alice.yaml: ci.namespaces[1]: "bob" is not a namespace of tenant "alice"']);
  });

  it("refuses an empty CI claim", () => {
    expect(problems({ alice: { ...alice, ci: { boundClaims: { repository_owner: "" } } } })).toEqual([
      'tenants/alice.yaml: ci.boundClaims.repository_owner: expected at least 1 character, got ""',
    ]);
  });
});

describe("identities", () => {
  it("gives an email to one tenant, whatever its case", () => {
    expect(problems({ alice, bob: { email: "Alice@Example.com" } })).toEqual([
      'tenants/bob.yaml: email: "Alice@Example.com" is already the identity of tenant "alice"; an email belongs to one tenant',
    ]);
  });
});

describe("quotas, tiers and limits", () => {
  it("merges limits in the order the layers first set each section (the model's JSON is digested)", () => {
    const env = environment((e) => {
      e.defaults.limits = { max: { cpu: "4" } };
    });
    const model = build(
      {
        alice: {
          ...alice,
          limits: { default: { cpu: "500m" } },
          namespaces: ["alice", { name: "alice-dev", limits: { defaultRequest: { cpu: "100m" } } }],
        },
      },
      env,
    );
    const [plain, dev] = model.tenants[0]!.namespaces;
    expect(Object.keys(plain!.limits)).toEqual(["max", "default"]);
    expect(Object.keys(dev!.limits)).toEqual(["max", "default", "defaultRequest"]);
    expect(dev!.limits).toEqual({
      max: { cpu: "4" },
      default: { cpu: "500m" },
      defaultRequest: { cpu: "100m" },
    });
    // each namespace its own objects
    expect(plain!.limits.max).not.toBe(dev!.limits.max);
  });

  it("refuses a namespace quota over the tier's maximum", () => {
    expect(
      problems({
        alice: {
          ...alice,
          namespaces: [{ name: "alice", quota: { "requests.cpu": "5", "limits.cpu": "5" } }],
        },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0].quota.requests.cpu: requests.cpu "5" for namespace "alice" exceeds the tier "standard" maximum of "4" (environments/example.yaml)',
    ]);
  });

  it("refuses a tenant-wide quota over the tier's maximum, naming each namespace", () => {
    expect(
      problems({
        alice: { ...alice, namespaces: ["alice", "alice-dev"], quota: { "limits.memory": "17Gi" } },
      }),
    ).toEqual([
      'tenants/alice.yaml: quota.limits.memory: limits.memory "17Gi" for namespace "alice" exceeds the tier "standard" maximum of "16Gi" (environments/example.yaml)',
      'tenants/alice.yaml: quota.limits.memory: limits.memory "17Gi" for namespace "alice-dev" exceeds the tier "standard" maximum of "16Gi" (environments/example.yaml)',
    ]);
  });

  it("refuses a quota over the environment's maxQuota where the tier sets no maximum", () => {
    expect(
      problems({ alice: { ...alice, tier: "team", namespaces: [{ name: "alice", quota: { pods: 201 } }] } }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0].quota.pods: pods "201" for namespace "alice" exceeds the environment\'s maxQuota of "200" (environments/example.yaml)',
    ]);
  });

  it("compares quantities, not text (8Gi is within 16Gi; 16384Mi is not above 16Gi)", () => {
    const model = build({
      alice: { ...alice, quota: { "limits.memory": "16384Mi", "requests.cpu": "3500m", "limits.cpu": "4" } },
    });
    expect(model.tenants[0]!.namespaces[0]!.quota["limits.memory"]).toBe("16384Mi");
  });

  it("keeps a tenant's namespace quotas, summed, within its tier's budget", () => {
    expect(
      problems({
        alice: {
          ...alice,
          namespaces: [
            { name: "alice", quota: { "requests.cpu": "4", "limits.cpu": "4" } },
            { name: "alice-dev", quota: { "requests.cpu": "2500m", "limits.cpu": "4" } },
          ],
        },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces: requests.cpu summed over 2 namespaces is "6500m", over the tier "standard" budget of "6"',
    ]);
    // exactly at the budget is fine
    expect(
      build({
        alice: {
          ...alice,
          namespaces: [
            { name: "alice", quota: { "requests.cpu": "4", "limits.cpu": "4" } },
            { name: "alice-dev", quota: { "requests.cpu": "2000m", "limits.cpu": "4" } },
          ],
        },
      }).tenants[0]!.namespaces.map((n) => n.quota["requests.cpu"]),
    ).toEqual(["4", "2000m"]);
  });

  it("requires a quota on every namespace for a budgeted key", () => {
    const env = environment((e) => {
      delete e.defaults.quota.pods;
      e.tiers.standard.budget.pods = 40;
    });
    expect(
      problems(
        { alice: { ...alice, namespaces: [{ name: "alice", quota: { pods: 10 } }, "alice-dev"] } },
        env,
      ),
    ).toEqual([
      'tenants/alice.yaml: namespaces: the tier "standard" budgets pods, so every namespace needs a pods quota; missing in alice-dev',
    ]);
  });

  it("refuses an unknown tier", () => {
    expect(problems({ alice: { ...alice, tier: "gold" } })).toEqual([
      'tenants/alice.yaml: tier: "gold" is not a tier of environment "example" (tiers: standard, team)',
    ]);
  });

  it("keeps defaultRequest <= default <= max, reporting a tenant's own limits once", () => {
    expect(
      problems({
        alice: { ...alice, namespaces: ["alice", "alice-dev"], limits: { defaultRequest: { cpu: "1" } } },
      }),
    ).toEqual([
      'tenants/alice.yaml: limits.defaultRequest.cpu: "1" is above default.cpu "500m"; expected defaultRequest <= default <= max',
    ]);
  });

  it("locates a namespace's own limits at the namespace", () => {
    expect(
      problems({
        alice: { ...alice, namespaces: [{ name: "alice", limits: { max: { memory: "256Mi" } } }] },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0].limits.default.memory: "512Mi" is above max.memory "256Mi"; expected defaultRequest <= default <= max',
    ]);
  });

  it("refuses quantities that are not quantities, and negative ones", () => {
    expect(
      problems({
        alice: {
          ...alice,
          quota: { "requests.cpu": "lots", "limits.memory": "-1Gi", "limits.cpu": "2 cores" },
        },
      }),
    ).toEqual([
      'tenants/alice.yaml: quota.requests.cpu: "lots" is not a Kubernetes quantity such as "500m", "2", "4Gi" or "1e3"',
      'tenants/alice.yaml: quota.limits.cpu: "2 cores" is not a Kubernetes quantity such as "500m", "2", "4Gi" or "1e3"',
      'tenants/alice.yaml: quota.limits.memory: "-1Gi" is not a Kubernetes quantity such as "500m", "2", "4Gi" or "1e3"',
    ]);
  });

  it("refuses object counts that are not whole numbers", () => {
    expect(
      problems({ alice: { ...alice, quota: { pods: "1.5", services: -1, persistentvolumeclaims: "500m" } } }),
    ).toEqual([
      'tenants/alice.yaml: quota.persistentvolumeclaims: "500m" is not a whole number of objects',
      'tenants/alice.yaml: quota.pods: "1.5" is not a whole number of objects',
      "tenants/alice.yaml: quota.services: -1 is not a whole number of objects",
    ]);
  });

  it("accepts counts written as whole quantities (1e1, 2k) and numbers as quantities", () => {
    const model = build({ alice: { ...alice, quota: { pods: "1e1", "requests.cpu": 0.5 } } });
    expect(model.tenants[0]!.namespaces[0]!.quota).toMatchObject({ pods: "1e1", "requests.cpu": "0.5" });
  });
});

describe("wrong types", () => {
  it("names the field and the value received", () => {
    expect(
      problems({ alice: { ...alice, namespaces: "alice", offboarding: "yes", domains: "a.example.com" } }),
    ).toEqual([
      'tenants/alice.yaml: namespaces: expected a list, got "alice"',
      'tenants/alice.yaml: domains: expected a list, got "a.example.com"',
      'tenants/alice.yaml: offboarding: expected a boolean, got "yes"',
    ]);
  });

  it("refuses a tenant record that is not a mapping", () => {
    expect(problems({ alice: ["alice@example.com"] })).toEqual([
      'tenants/alice.yaml: expected a mapping, got ["alice@example.com"]',
    ]);
  });

  it("says in plain words what a too-long value should be", () => {
    expect(problems({ alice: { ...alice, displayName: "x".repeat(201) } })).toEqual([
      `tenants/alice.yaml: displayName: expected at most 200 characters, got "${"x".repeat(76)}...`,
    ]);
  });
});

describe("the environment", () => {
  it("requires defaults.tier to be one of its tiers, reported once, not once per tenant", () => {
    const env = environment((e) => {
      e.defaults.tier = "gold";
    });
    expect(problems({ alice, bob }, env)).toEqual([
      'environments/example.yaml: defaults.tier: "gold" is not a tier of this environment (tiers: standard, team)',
    ]);
  });

  it("keeps a tier's default quota within its own max", () => {
    const env = environment((e) => {
      e.tiers.standard.quota = { "requests.cpu": "5", "limits.cpu": "5" };
    });
    expect(problems({}, env)).toEqual([
      `environments/example.yaml: tiers.standard.quota.requests.cpu: "5" exceeds the tier's own max of "4"`,
    ]);
  });

  it("refuses a wildcard DNS zone", () => {
    const env = environment((e) => {
      e.dns.zones = { "*.example.com": "abc" };
    });
    expect(problems({}, env)).toEqual([
      "environments/example.yaml: dns.zones.*.example.com: a zone name cannot be a wildcard (entry 0)",
    ]);
  });

  it("words zod's own checks in the house style", () => {
    const env = environment((e) => {
      e.oidc.issuerUrl = "sso.example.com";
      e.tiers.standard.maxNamespaces = 1.5;
      e.tiers.team.maxNamespaces = 0;
      e.clusters = [];
    });
    expect(problems({}, env)).toEqual([
      "environments/example.yaml: clusters: expected a list of at least 1 item, got []",
      'environments/example.yaml: oidc.issuerUrl: "sso.example.com" is not a valid URL',
      "environments/example.yaml: tiers.standard.maxNamespaces: expected a whole number, got 1.5",
      "environments/example.yaml: tiers.team.maxNamespaces: expected at least 1, got 0",
    ]);
  });

  it("several clusters: names listed once, exactly one default", () => {
    const env = environment((e) => {
      e.clusters = [
        { ...e.clusters[0], default: false },
        { ...e.clusters[1], name: e.clusters[0].name },
      ];
    });
    expect(problems({}, env)).toEqual([
      'environments/example.yaml: clusters[1].name: "main" is listed twice',
      "environments/example.yaml: clusters: no cluster is marked default: true; mark exactly one (tenants without a clusterSelector land there)",
    ]);
  });

  it("reports the environment's problems and the tenants' schema problems together", () => {
    const env = environment((e) => {
      e.tls.mode = "letsencrypt";
    });
    expect(problems({ alice: { ...alice, role: "root" } }, env)).toEqual([
      'environments/example.yaml: tls.mode: "letsencrypt" is not one of "cert-manager", "copy", "none"',
      'tenants/alice.yaml: role: "root" is not one of "namespace-owner", "power-user", "admin"',
    ]);
  });
});

describe("validation in one pass (issue 27)", () => {
  it("checks every item of a list when one is bad: the valid items still claim, at their own index", () => {
    const bobProd = { email: "bob@example.com", namespaces: ["bob-prod"], domains: ["shop.example.org"] };
    expect(
      problems({
        bob: bobProd,
        mallory: {
          email: "m@example.com",
          namespaces: ["Bad_NS", "bob-prod", "mallory"],
          domains: ["Bad Host", "shop.example.org"],
        },
      }),
    ).toEqual([
      'tenants/mallory.yaml: namespaces[0]: "Bad_NS" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
      expect.stringMatching(/^tenants\/mallory\.yaml: domains\[0\]: "Bad Host" /),
      'tenants/mallory.yaml: namespaces[1]: "bob-prod" is already owned by tenant "bob" (tenants/bob.yaml); a namespace has one owner',
      'tenants/mallory.yaml: domains[1]: "shop.example.org" is already claimed by tenant "bob" (tenants/bob.yaml)',
    ]);
    // the issue's case: the bad item and the claim on bob's namespace in one run
    expect(
      problems({ bob: bobProd, carol: { email: "c@example.com", namespaces: ["bob-prod", "Bad_NS"] } }),
    ).toEqual([
      'tenants/carol.yaml: namespaces[1]: "Bad_NS" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
      'tenants/carol.yaml: namespaces[0]: "bob-prod" is already owned by tenant "bob" (tenants/bob.yaml); a namespace has one owner',
    ]);
    // a list with no valid item claims nothing (not the default namespace named after the tenant)
    expect(
      problems({
        mallory: { email: "m@example.com", namespaces: ["Bad_NS"], domains: ["mallory.example.com"] },
      }),
    ).toEqual([
      'tenants/mallory.yaml: namespaces[0]: "Bad_NS" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
    ]);
  });

  it("reports a tier typo with the unknown-field errors of the same file", () => {
    expect(problems({ alice: { ...alice, tier: "standrad", colour: "red" } })).toEqual([
      `tenants/alice.yaml: colour: unknown field "colour" ${TENANT_FIELDS}`,
      'tenants/alice.yaml: tier: "standrad" is not a tier of environment "example" (tiers: standard, team)',
    ]);
    // and the quotas of the valid items: over the tier's maximum, requests above limits
    expect(
      problems({
        alice: {
          ...alice,
          colour: "red",
          quota: { "requests.memory": "4Gi", "limits.memory": "1Gi" },
          namespaces: ["Bad_NS", { name: "alice", quota: { "requests.cpu": "5", "limits.cpu": "5" } }],
        },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0]: "Bad_NS" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
      `tenants/alice.yaml: colour: unknown field "colour" ${TENANT_FIELDS}`,
      'tenants/alice.yaml: namespaces[1].quota.requests.cpu: requests.cpu "5" for namespace "alice" exceeds the tier "standard" maximum of "4" (environments/example.yaml)',
      `tenants/alice.yaml: quota.requests.memory: requests.memory "4Gi" is above limits.memory "1Gi": a container's request is at most its limit, so this requests.memory can never be used; expected requests.memory <= limits.memory`,
    ]);
  });

  it("blames a refused apex claim on its own file only, not on the tenants inside the zone", () => {
    expect(
      problems({
        alice: { ...alice, domains: ["alice.example.org"] },
        bob: { ...bob, domains: ["shop.example.org"] },
        erin: { email: "erin@example.com", domains: ["example.org"] },
      }),
    ).toEqual([
      'tenants/erin.yaml: domains[0]: "example.org" is the apex of the zone "example.org"; tenants claim names inside a zone, not the zone',
    ]);
    // control: a hostname that stands still takes the names inside it
    expect(
      problems({
        alice: { ...alice, domains: ["alice.example.org"] },
        erin: { email: "erin@example.com", domains: ["example.org", "team.example.org"] },
        zed: { email: "zed@example.com", domains: ["app.team.example.org"] },
      }),
    ).toEqual([
      'tenants/erin.yaml: domains[0]: "example.org" is the apex of the zone "example.org"; tenants claim names inside a zone, not the zone',
      'tenants/zed.yaml: domains[0]: "app.team.example.org" is inside "team.example.org", claimed by tenant "erin" (tenants/erin.yaml)',
    ]);
  });

  const ABOVE = (req: string, r: string, lim: string, l: string) =>
    `${req} "${r}" is above ${lim} "${l}": a container's request is at most its limit, so this ${req} can never be used; expected ${req} <= ${lim}`;

  it("refuses quota requests above limits, per namespace and tenant-wide, at the field the tenant set", () => {
    expect(
      problems({
        alice: {
          ...alice,
          quota: { "requests.memory": "4Gi", "limits.memory": "1Gi" },
          namespaces: [
            "alice",
            { name: "alice-dev", quota: { "requests.cpu": "2", "limits.cpu": "500m" } },
            { name: "alice-ok", quota: { "limits.memory": "4Gi" } },
          ],
        },
        bob: {
          ...bob,
          namespaces: [
            {
              name: "bob",
              quota: { "requests.ephemeral-storage": "2Gi", "limits.ephemeral-storage": "1Gi" },
            },
          ],
        },
      }),
    ).toEqual([
      // tenant-wide: once, though two namespaces inherit it; alice-ok raises its limit and passes
      `tenants/alice.yaml: quota.requests.memory: ${ABOVE("requests.memory", "4Gi", "limits.memory", "1Gi")}`,
      // a namespace's own limit against the tenant's request
      `tenants/alice.yaml: namespaces[1].quota.requests.cpu: ${ABOVE("requests.cpu", "2", "limits.cpu", "500m")}`,
      `tenants/bob.yaml: namespaces[0].quota.requests.ephemeral-storage: ${ABOVE("requests.ephemeral-storage", "2Gi", "limits.ephemeral-storage", "1Gi")}`,
    ]);
    // control: equal requests and limits, and quantities compared as quantities (2048Mi is 2Gi); a request
    // above a limit the tenant does not write is left alone (an installation's entry writes requests only)
    expect(() =>
      build({
        alice: {
          ...alice,
          quota: { "requests.memory": "2048Mi", "limits.memory": "2Gi", "requests.cpu": "4" },
        },
      }),
    ).not.toThrow();
  });

  it("refuses requests above limits in the environment's default quota, a tier's quota and a tier's max", () => {
    const env = environment((e) => {
      e.defaults.quota["requests.memory"] = "8Gi";
      e.defaults.quota["limits.memory"] = "8Gi";
      e.tiers.standard.quota = { "limits.memory": "4Gi" };
      e.tiers.team.max = { ...e.tiers.team.max, "requests.cpu": "16", "limits.cpu": "8" };
    });
    expect(problems({}, env)).toEqual([
      `environments/example.yaml: tiers.standard.quota.limits.memory: ${ABOVE("requests.memory", "8Gi", "limits.memory", "4Gi")}`,
      `environments/example.yaml: tiers.team.max.requests.cpu: ${ABOVE("requests.cpu", "16", "limits.cpu", "8")}`,
    ]);
    const defaults = environment((e) => {
      e.defaults.quota["limits.cpu"] = "500m";
    });
    expect(problems({}, defaults)).toEqual([
      `environments/example.yaml: defaults.quota.requests.cpu: ${ABOVE("requests.cpu", "1", "limits.cpu", "500m")}`,
    ]);
  });
});

describe("every problem at once", () => {
  it("reports several problems in several files in one error", () => {
    expect(
      problems({
        alice: { ...alice, namespaces: ["alice", "Alice-Dev"], domains: ["alice.example.net"] },
        bob: { email: "bob", namespaces: ["alice"] },
        carol: {
          email: "carol@example.com",
          namespaces: ["alice"],
          members: [{ tenant: "zed", role: "viewer" }],
        },
        dave: { email: "dave@example.com", tier: "gold", apps: [{ name: "wordpress" }], colour: "red" },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[1]: "Alice-Dev" is not a valid namespace name (lowercase RFC 1123 label, at most 63 characters)',
      'tenants/bob.yaml: email: "bob" is not a valid email address',
      `tenants/dave.yaml: colour: unknown field "colour" ${TENANT_FIELDS}`,
      // cross-tenant rules run for the files that passed their schema, and on the valid namespaces and domains
      // of those that did not: a typo does not hide a theft
      'tenants/alice.yaml: domains[0]: "alice.example.net" is not in a configured DNS zone (zones: example.com, example.org, apps.example.com)',
      'tenants/bob.yaml: namespaces[0]: "alice" is the id of tenant "alice" (tenants/alice.yaml); a namespace may not be named after another tenant',
      'tenants/carol.yaml: namespaces[0]: "alice" is the id of tenant "alice" (tenants/alice.yaml); a namespace may not be named after another tenant',
      'tenants/carol.yaml: members[0].tenant: "zed" is not a tenant of this registry',
      // the tier of a file that failed its schema is judged with the schema's problems, not after the fix
      'tenants/dave.yaml: tier: "gold" is not a tier of environment "example" (tiers: standard, team)',
    ]);
  });

  it("reports cross-tenant problems of every file", () => {
    expect(
      problems({
        alice: { ...alice, domains: ["alice.example.net"], namespaces: ["alice", "default"] },
        bob: { ...bob, tier: "gold", domains: ["x.alice.example.com"] },
        carol: {
          email: "carol@example.com",
          apps: [{ name: "wordpress" }],
          members: [{ tenant: "carol", role: "owner" }],
        },
      }),
    ).toEqual([
      'tenants/alice.yaml: namespaces[1]: "default" is a reserved namespace (platform or system); choose another name',
      'tenants/alice.yaml: domains[0]: "alice.example.net" is not in a configured DNS zone (zones: example.com, example.org, apps.example.com)',
      'tenants/bob.yaml: tier: "gold" is not a tier of environment "example" (tiers: standard, team)',
      "tenants/carol.yaml: members[0].tenant: a tenant cannot invite itself",
      `tenants/carol.yaml: apps[0].name: "wordpress" is not in the environment's app catalog (catalog: jupyter, code-server, actual-budget)`,
    ]);
  });
});

describe("YAML hazards (parseYaml)", () => {
  /** The problems parsing `text` as tenants/alice.yaml gives, formatted; fails if it parses. */
  function yamlProblems(text: string | Uint8Array): string[] {
    const r = parseYaml(typeof text === "string" ? Buffer.from(text) : text, "tenants/alice.yaml");
    if (r.ok) return expect.fail(`expected a refusal, got ${JSON.stringify(r.data)}`);
    return r.problems.map(formatProblem);
  }

  it("parses a mapping", () => {
    expect(parseYaml(Buffer.from("email: alice@example.com\nnamespaces: [a, b]\n"), "t.yaml")).toEqual({
      ok: true,
      data: { email: "alice@example.com", namespaces: ["a", "b"] },
    });
  });

  it("names a duplicate key and where it is, at any depth", () => {
    expect(yamlProblems("email: a@example.com\nemail: b@example.com\n")).toEqual([
      'tenants/alice.yaml: email: line 2, column 1: duplicate key "email"; a key may appear only once in a mapping',
    ]);
    expect(
      yamlProblems(
        "email: a@example.com\nnamespaces:\n  - name: alice\n    quota:\n      pods: 10\n      pods: 20\n",
      ),
    ).toEqual([
      'tenants/alice.yaml: namespaces[0].quota.pods: line 6, column 7: duplicate key "pods"; a key may appear only once in a mapping',
    ]);
    // quoting does not make a key different
    expect(yamlProblems("\"email\": a@example.com\n'email': b@example.com\n")).toEqual([
      'tenants/alice.yaml: email: line 2, column 1: duplicate key "email"; a key may appear only once in a mapping',
    ]);
  });

  it("refuses an alias bomb without expanding it, and without the library's error name", () => {
    const bomb = [
      "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]",
    ].join("\n");
    expect(yamlProblems(bomb)).toEqual([
      "tenants/alice.yaml: YAML aliases expand too far (more than 50); write the values out instead",
    ]);
    // a few anchors used by hand are fine
    expect(parseYaml(Buffer.from("a: &q {cpu: 1}\nb: *q\n"), "t.yaml")).toEqual({
      ok: true,
      data: { a: { cpu: 1 }, b: { cpu: 1 } },
    });
  });

  it("refuses bytes that are not UTF-8, and NUL characters", () => {
    expect(yamlProblems(Uint8Array.from([0x65, 0x3a, 0x20, 0xc3, 0x28]))).toEqual([
      "tenants/alice.yaml: file is not valid UTF-8 text",
    ]);
    expect(yamlProblems("email: a@example.com\0\n")).toEqual([
      "tenants/alice.yaml: file contains NUL characters; expected YAML text",
    ]);
  });

  it("refuses more than MAX_FILE_BYTES", () => {
    expect(MAX_FILE_BYTES).toBe(256 * 1024);
    expect(yamlProblems(`#${"x".repeat(MAX_FILE_BYTES)}`)).toEqual([
      `tenants/alice.yaml: file is ${MAX_FILE_BYTES + 1} bytes; at most ${MAX_FILE_BYTES} bytes are accepted`,
    ]);
  });

  it("refuses a file that is not a mapping: a list, a scalar, nothing, comments only", () => {
    expect(yamlProblems("- a\n- b\n")).toEqual([
      "tenants/alice.yaml: expected a mapping of fields at the top level, got a list",
    ]);
    expect(yamlProblems("42\n")).toEqual([
      "tenants/alice.yaml: expected a mapping of fields at the top level, got 42",
    ]);
    expect(yamlProblems("")).toEqual(["tenants/alice.yaml: file is empty; expected a mapping of fields"]);
    expect(yamlProblems("# nothing\n")).toEqual([
      "tenants/alice.yaml: file is empty; expected a mapping of fields",
    ]);
  });

  it("refuses several documents in one file", () => {
    expect(yamlProblems("email: a@example.com\n---\nemail: b@example.com\n")).toEqual([
      'tenants/alice.yaml: line 2, column 1: a second YAML document ("---"); expected one document',
    ]);
  });

  it("locates a syntax error", () => {
    expect(yamlProblems('email: "a@example.com\n')).toEqual([
      'tenants/alice.yaml: line 2, column 1: YAML syntax error: Missing closing "quote',
    ]);
  });
});

describe("a valid registry", () => {
  it("produces the model: defaults resolved environment <- tier <- tenant <- namespace", () => {
    const model = build({
      bob: {
        email: "bob@example.com",
        role: "power-user",
        tier: "team",
        namespaces: [{ name: "bob-prod", quota: { "services.loadbalancers": 2 } }, "bob-staging"],
        domains: ["shop.example.org"],
        quota: { pods: 40 },
        limits: { defaultRequest: { cpu: "200m" } },
        members: [{ tenant: "alice", role: "developer", namespaces: ["bob-staging"] }],
        apps: [{ name: "code-server", settings: { storage: "8Gi" } }],
        ci: { boundClaims: { repository_owner: "bob-team", repository_owner_id: "2" } },
      },
      alice: { email: "alice@example.com" },
    });
    expect(model.environment).toMatchObject({ name: "example", source: ENV_SOURCE });
    expect(model.tenants.map((t) => t.id)).toEqual(["alice", "bob"]);
    const teamQuota = {
      "requests.cpu": "4",
      "limits.cpu": "8",
      "requests.memory": "8Gi",
      "limits.memory": "16Gi",
      "requests.storage": "10Gi",
      persistentvolumeclaims: "5",
      pods: "40",
      services: "10",
      "services.loadbalancers": "1",
      "services.nodeports": "0",
      "requests.ephemeral-storage": "2Gi",
      "limits.ephemeral-storage": "4Gi",
      "count/configmaps": "50",
      "count/secrets": "50",
      "count/replicationcontrollers": "0",
      "count/resourcequotas": "1",
    };
    const limits = {
      defaultRequest: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "100Mi" },
      default: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" },
      max: { cpu: "4", memory: "8Gi" },
    };
    expect(model.tenants[1]).toEqual({
      id: "bob",
      source: "tenants/bob.yaml",
      email: "bob@example.com",
      git: [],
      role: "power-user",
      tier: "team",
      podSecurity: { enforce: "restricted", audit: "restricted", warn: "restricted", version: "v1.30" },
      clusterReader: false,
      // the team tier's allowances over the environment's defaults and the built-in ones
      admission: {
        serviceTypes: ["LoadBalancer"],
        storageClasses: ["standard", "retained"],
        priorityClasses: [],
        runtimeClasses: ["*"],
        requireRuntimeClass: false,
        ingressClasses: ["nginx"],
        registries: ["docker.io", "quay.io", "ghcr.io", "registry.example.com"],
        imagePullPolicies: ["Always"],
        gatewayClasses: [],
        clusterIssuers: ["letsencrypt-prod"],
        nodePools: ["*"],
        tolerations: [],
      },
      namespaces: [
        {
          name: "bob-prod",
          quota: { ...teamQuota, "services.loadbalancers": "2" },
          limits,
          offboarding: false,
          clusters: ["main"],
          // alice is invited to bob-staging only: bob-staging does not reach bob-prod (network.from: members)
          reachFrom: ["bob-prod"],
        },
        {
          name: "bob-staging",
          quota: teamQuota,
          limits,
          offboarding: false,
          clusters: ["main"],
          reachFrom: ["bob-staging", "bob-prod"],
        },
      ],
      // no clusterSelector: the environment's default cluster
      clusters: ["main"],
      grants: [],
      domains: [
        {
          name: "shop.example.org",
          zone: "example.org",
          zoneId: "fedcba9876543210fedcba9876543210",
          namespace: "bob-prod",
        },
      ],
      members: [{ tenant: "alice", role: "developer", manager: false, namespaces: ["bob-staging"] }],
      apps: [
        {
          name: "code-server",
          settings: { storage: "8Gi" },
          enabled: true,
          namespace: "bob-prod",
          placement: "tenant",
          host: "bob.code.apps.example.com",
          zone: "apps.example.com",
          zoneId: "00112233445566778899aabbccddeeff",
        },
      ],
      ci: {
        boundClaims: { repository_owner: "bob-team", repository_owner_id: "2" },
        namespaces: ["bob-prod", "bob-staging"],
      },
      offboarding: false,
    });
    // a tenant with nothing but an email: one namespace named after it, the default tier
    expect(model.tenants[0]).toMatchObject({
      id: "alice",
      role: "namespace-owner",
      tier: "standard",
      namespaces: [{ name: "alice", quota: { "requests.cpu": "1", pods: "20" } }],
      domains: [],
      members: [],
      apps: [],
      offboarding: false,
    });
    expect(model.tenants[0]).not.toHaveProperty("ci");
  });

  it("accepts an empty registry", () => {
    expect(build({}).tenants).toEqual([]);
  });
});

describe("quantities", () => {
  it("parses Kubernetes quantities into nano-units", () => {
    expect(parseQuantity("1")).toBe(1_000_000_000n);
    expect(parseQuantity(2)).toBe(2_000_000_000n);
    expect(parseQuantity("500m")).toBe(500_000_000n);
    expect(parseQuantity("0.5")).toBe(500_000_000n);
    expect(parseQuantity(".5")).toBe(500_000_000n);
    expect(parseQuantity("100u")).toBe(100_000n);
    expect(parseQuantity("7n")).toBe(7n);
    expect(parseQuantity("1Ki")).toBe(1024n * 1_000_000_000n);
    expect(parseQuantity("4Gi")).toBe(4n * 2n ** 30n * 1_000_000_000n);
    expect(parseQuantity("1k")).toBe(1000n * 1_000_000_000n);
    expect(parseQuantity("1M")).toBe(10n ** 6n * 1_000_000_000n);
    expect(parseQuantity("1e3")).toBe(1000n * 1_000_000_000n);
    expect(parseQuantity("5E-3")).toBe(5_000_000n);
    expect(parseQuantity("+3")).toBe(3_000_000_000n);
  });

  it("rounds a fraction of a nano-unit up, as the API server does", () => {
    expect(parseQuantity("0.1n")).toBe(1n);
    expect(parseQuantity("1.5n")).toBe(2n);
  });

  it("rejects negatives and garbage", () => {
    for (const bad of [
      "-1",
      "-500m",
      "-1Gi",
      "",
      "abc",
      "1.2.3",
      "1 Gi",
      "1gi",
      "1KB",
      "Gi",
      "1e",
      "1e31",
      "0x10",
      " 1",
    ])
      expect(parseQuantity(bad), JSON.stringify(bad)).toBeUndefined();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e21])
      expect(parseQuantity(bad), String(bad)).toBeUndefined();
    expect(isQuantity("2Gi")).toBe(true);
    expect(isQuantity(null)).toBe(false);
    expect(isQuantity(true)).toBe(false);
    expect(isQuantity("-2Gi")).toBe(false);
  });

  it("compares across units", () => {
    expect(parseQuantity("1Gi")! > parseQuantity("1G")!).toBe(true);
    expect(parseQuantity("1024Mi")).toBe(parseQuantity("1Gi"));
    expect(parseQuantity("1000m")).toBe(parseQuantity("1"));
    expect(parseQuantity("1500m")! < parseQuantity("2")!).toBe(true);
  });

  it("formats nano-units back to the shortest exact quantity", () => {
    expect(formatQuantity(parseQuantity("4Gi")!)).toBe("4Gi");
    expect(formatQuantity(parseQuantity("1536Mi")!)).toBe("1536Mi");
    expect(formatQuantity(parseQuantity("2")!)).toBe("2");
    expect(formatQuantity(parseQuantity("6500m")!)).toBe("6500m");
    expect(formatQuantity(parseQuantity("1.5u")!)).toBe("1500n");
    expect(formatQuantity(parseQuantity("3u")!)).toBe("3u");
    expect(formatQuantity(0n)).toBe("0");
    // round trip
    for (const q of ["1", "250m", "3Ki", "5Ti", "7n"])
      expect(parseQuantity(formatQuantity(parseQuantity(q)!))).toBe(parseQuantity(q));
  });
});

describe("review hardening: what would pass validation and then break or widen access at `up`", () => {
  it("tier and app names are the environment's own keys, not JavaScript's", () => {
    expect(problems({ alice: { ...alice, tier: "hasOwnProperty" } })).toEqual([
      'tenants/alice.yaml: tier: "hasOwnProperty" is not a tier of environment "example" (tiers: standard, team)',
    ]);
    expect(problems({ alice: { ...alice, apps: [{ name: "toString", settings: { x: 1 } }] } })).toEqual([
      'tenants/alice.yaml: apps[0].name: "toString" is not in the environment\'s app catalog (catalog: jupyter, code-server, actual-budget)',
    ]);
    expect(
      problems({ alice: { ...alice, apps: [{ name: "jupyter", settings: { constructor: "x" } }] } }),
    ).toEqual([
      'tenants/alice.yaml: apps[0].settings.constructor: "constructor" cannot be a key (empty or a prototype key)',
    ]);
    expect(
      problems(
        { alice },
        environment((env) => (env.defaults.tier = "constructor")),
      ),
    ).toEqual([
      'environments/example.yaml: defaults.tier: "constructor" is not a tier of this environment (tiers: standard, team)',
    ]);
  });

  it("a CI role needs at least one bound claim", () => {
    expect(problems({ alice: { ...alice, ci: { boundClaims: {} } } })).toEqual([
      "tenants/alice.yaml: ci.boundClaims: needs at least one claim: without one, any ID token of the CI provider would get this tenant's deployer credentials",
    ]);
  });

  it("namespaces listed twice for a member or for CI", () => {
    expect(
      problems({
        alice: {
          ...alice,
          members: [{ tenant: "bob", role: "viewer", namespaces: ["alice", "alice"] }],
          ci: { boundClaims: { repository_owner_id: "1" }, namespaces: ["alice", "alice"] },
        },
        bob,
      }),
    ).toEqual([
      'tenants/alice.yaml: members[0].namespaces[1]: "alice" is listed twice',
      'tenants/alice.yaml: ci.namespaces[1]: "alice" is listed twice',
    ]);
  });

  it("legacy Vault layout: the per-tenant registry prefix is reserved too", () => {
    const legacy = environment((env) => (env.vault.tenantPaths = "top-level"));
    expect(problems({ tenants: { email: "t@example.com" } }, legacy)).toEqual([
      `tenants/tenants.yaml: tenant id "tenants" is a reserved Vault path (vault.reservedPaths in environments/example.yaml, or the registry's own); with top-level tenant paths its policy would grant secret/data/tenants; choose another id`,
    ]);
  });

  it("environment values the API server or Vault would refuse", () => {
    const env = environment((e) => {
      e.podSecurity.version = "1.30";
      e.network.dns.podLabels = { "k8s app": "kube dns!" };
      e.network.extraEgress = [{ cidr: "999.1.2.3/99" }];
      e.vault.deployer = { ttlSeconds: 7200, maxTtlSeconds: 60 };
    });
    expect(problems({ alice }, env)).toEqual([
      'environments/example.yaml: podSecurity.version: "1.30" is not a Pod Security version: "latest" or "v1.<minor>"',
      'environments/example.yaml: network.dns.podLabels.k8s app: "k8s app" is not a valid label key',
      'environments/example.yaml: network.dns.podLabels.k8s app: "kube dns!" is not a valid label value (at most 63 characters: letters, digits, -, _, .)',
      'environments/example.yaml: network.extraEgress[0].cidr: "999.1.2.3/99" is not a CIDR such as 10.0.0.0/16',
      "environments/example.yaml: vault.deployer.ttlSeconds: ttlSeconds must not exceed maxTtlSeconds",
    ]);
  });

  it("deployer rules never cross the isolation rules", () => {
    const env = environment((e) => {
      e.vault.deployer = {
        rules: [
          { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["escalate", "bind"] },
          { apiGroups: [""], resources: ["resourcequotas", "services/status"], verbs: ["patch"] },
          { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["delete"] },
        ],
      };
    });
    expect(problems({ alice }, env)).toEqual([
      'environments/example.yaml: vault.deployer.rules[0].verbs: "escalate" is never granted to a tenant\'s deployer',
      'environments/example.yaml: vault.deployer.rules[0].verbs: "bind" is never granted to a tenant\'s deployer',
      "environments/example.yaml: vault.deployer.rules[1].resources: a tenant's deployer may not write \"resourcequotas\" (the tenant's isolation)",
      "environments/example.yaml: vault.deployer.rules[1].resources: a tenant's deployer may not write \"services/status\" (the tenant's isolation)",
    ]);
  });
});

describe("identities", () => {
  it("allows plus-addressing, as a distinct identity", () => {
    const model = build({
      alice: { email: "alice@example.com" },
      ops: { email: "alice+ops@example.com" },
    });
    expect(model.tenants.map((t) => t.email)).toEqual(["alice@example.com", "alice+ops@example.com"]);
  });

  it("refuses invisible characters in CI claim values", () => {
    expect(
      problems({
        alice: { email: "alice@example.com", ci: { boundClaims: { repository_owner: "acme\u200b" } } },
      }),
    ).toEqual([
      'tenants/alice.yaml: ci.boundClaims.repository_owner: "acme\u200b" is not visible text (it holds control or invisible characters)',
    ]);
  });
});

describe("the platform's own Vault paths", () => {
  it("with top-level tenant paths, refuses a tenant named like the registry's own secret when it comes from Vault", () => {
    const env = environment((e) => (e.vault.tenantPaths = "top-level"));
    const docs = [
      {
        id: "registry",
        source: "vault:secret/registry#k8s_users.registry",
        data: { email: "r@example.com" },
      },
    ];
    const load = (platformVaultPaths: string[]) => () =>
      buildRegistry({ name: "example", source: ENV_SOURCE, data: env }, docs, { platformVaultPaths });
    expect(load([])).not.toThrow();
    expect(load(["registry"])).toThrow(
      /tenant id "registry" is a reserved Vault path \(vault.reservedPaths in environments\/example.yaml, or the registry's own\)/,
    );
  });
});

describe("CI claim sets no single ID token satisfies for two tenants (issue 25)", () => {
  const ci = (boundClaims: Record<string, string>) => ({ ci: { boundClaims } });
  const sets = (a: Record<string, string>, b: Record<string, string>, c?: Record<string, string>) =>
    build({
      alice: { ...alice, ...ci(a) },
      bob: { ...bob, ...ci(b) },
      ...(c ? { carol: { email: "carol@example.com", ...ci(c) } } : {}),
    });

  it("accepts two repositories of one owner, told apart by their repository ids", () => {
    const model = sets(
      { repository_owner: "acme", repository_owner_id: "1", repository_id: "5" },
      { repository_owner: "acme", repository_owner_id: "1", repository_id: "6" },
    );
    expect(model.tenants.map((t) => t.ci?.boundClaims.repository_id)).toEqual(["5", "6"]);
  });

  it("accepts one owner name bound with two owner ids: no token carries both ids", () => {
    expect(() =>
      sets(
        { repository_owner: "acme", repository_owner_id: "1" },
        { repository_owner: "acme", repository_owner_id: "2" },
      ),
    ).not.toThrow();
  });

  it("compares a set with every earlier one, whatever claims they share", () => {
    // carol shares repository_id with alice and repository_owner_id with bob; bob's owner is alice's
    expect(
      problems({
        alice: { ...alice, ...ci({ repository_id: "5", repository_owner_id: "1" }) },
        bob: { ...bob, ...ci({ repository_owner_id: "2" }) },
        carol: { email: "carol@example.com", ...ci({ repository_id: "7", repository_owner_id: "2" }) },
      }),
    ).toEqual([
      expect.stringMatching(
        /^tenants\/carol\.yaml: ci\.boundClaims: these claims bind the same repository_owner_id "2" as tenant "bob"'s \(tenants\/bob\.yaml: ci\.boundClaims\)/,
      ),
    ]);
  });

  it("refuses the later of two identical sets, and keeps comparing after a refusal", () => {
    const found = problems({
      alice: { ...alice, ...ci({ repository_id: "5" }) },
      bob: { ...bob, ...ci({ repository_id: "5" }) },
      carol: { email: "carol@example.com", ...ci({ repository_id: "5" }) },
    });
    expect(found.map((p) => p.split(":")[0])).toEqual(["tenants/bob.yaml", "tenants/carol.yaml"]);
    // a refused set is not an owner: carol is reported against alice, not bob
    expect(found[1]).toContain(`tenant "alice"'s (tenants/alice.yaml: ci.boundClaims)`);
  });
});

describe("the OIDC username prefix (issue 25)", () => {
  it("is prepended verbatim, one ending in - included, as the API server does", () => {
    const model = build(
      { alice },
      environment((env) => (env.oidc.usernamePrefix = "oidc-")),
    );
    expect(model.environment.oidc.usernamePrefix).toBe("oidc-");
  });

  it('refuses "-", the API server\'s "no prefix", at its field', () => {
    expect(
      problems(
        { alice },
        environment((env) => (env.oidc.usernamePrefix = "-")),
      ),
    ).toEqual([
      expect.stringMatching(
        /^environments\/example\.yaml: oidc\.usernamePrefix: "-" is the API server's "no prefix"/,
      ),
    ]);
  });
});
