/**
 * Organisations (issue 28, docs/organisations.md): a record's `parent`, the chain of ancestors, and the bounds
 * a parent puts on its children, each refused with the file and field.
 */
import { describe, expect, it } from "vitest";
import { ancestors, descendants } from "../../registry/model";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { RegistryModel } from "../../registry/model";
import type { TenantFileInput } from "../../registry/schema";
import { registryOf } from "../plan/registries";
import { EXAMPLE_ENV_PATH } from "../helpers/cli";
import { problemsOf } from "../helpers/problems";

const EXAMPLE_ENV = parse(readFileSync(EXAMPLE_ENV_PATH, "utf8")) as Record<string, unknown>;

/** The example environment, optionally changed by `edit` (a fresh copy every time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function environment(edit: (env: any) => void = () => {}): Record<string, unknown> {
  const env = structuredClone(EXAMPLE_ENV);
  edit(env);
  return env;
}

type Tenants = Record<string, Record<string, unknown>>;

function build(tenants: Tenants, env: unknown = EXAMPLE_ENV): RegistryModel {
  return registryOf(tenants as Record<string, TenantFileInput>, env);
}

/** Every problem the registry has, formatted as the CLI prints them; [] when it is valid. */
const problems = (tenants: Tenants, env: unknown = EXAMPLE_ENV) => problemsOf(() => build(tenants, env));

/** A tenant record with an email of its own. */
const t = (id: string, rest: Record<string, unknown> = {}) => ({ email: `${id}@example.com`, ...rest });
describe("ancestors", () => {
  const tenants = [
    { id: "acme" },
    { id: "acme-web", parent: "acme" },
    { id: "acme-web-dev", parent: "acme-web" },
    { id: "orphan", parent: "gone" },
    { id: "loop-a", parent: "loop-b" },
    { id: "loop-b", parent: "loop-a" },
  ];
  const ids = (chain: { id: string }[]) => chain.map((t) => t.id);

  it("walks parent first up to the root", () => {
    expect(ids(ancestors(tenants, "acme-web-dev"))).toEqual(["acme-web", "acme"]);
    expect(ids(ancestors({ tenants }, { id: "new", parent: "acme-web" }))).toEqual(["acme-web", "acme"]);
    expect(ancestors(tenants, "acme")).toEqual([]);
  });

  it("stops at a parent that does not exist and before a tenant repeats", () => {
    expect(ancestors(tenants, "orphan")).toEqual([]);
    expect(ids(ancestors(tenants, "loop-a"))).toEqual(["loop-b"]);
    expect(ids(ancestors(tenants, { id: "self", parent: "self" }))).toEqual([]);
  });
});

describe("the tree: parent, cycles, depth", () => {
  it("a registry without parents is as before, and a parent and child are valid", () => {
    expect(problems({ acme: t("acme"), web: t("web") })).toEqual([]);
    const model = build({ acme: t("acme"), "acme-web": t("acme-web", { parent: "acme" }) });
    expect(model.tenants.map((x) => [x.id, x.parent])).toEqual([
      ["acme", undefined],
      ["acme-web", "acme"],
    ]);
    expect(descendants(model, "acme").map((x) => x.id)).toEqual(["acme-web"]);
  });

  it("refuses a parent that is no tenant, the tenant itself, and a cycle, at parent", () => {
    expect(problems({ web: t("web", { parent: "acme" }) })).toEqual([
      'tenants/web.yaml: parent: "acme" is not a tenant of this registry',
    ]);
    expect(problems({ web: t("web", { parent: "web" }) })).toEqual([
      "tenants/web.yaml: parent: a tenant cannot be its own parent",
    ]);
    expect(
      problems({ a: t("a", { parent: "b" }), b: t("b", { parent: "a" }), c: t("c", { parent: "a" }) }),
    ).toEqual([
      "tenants/a.yaml: parent: forms a cycle (a -> b -> a): an organisation's root names no parent",
      "tenants/b.yaml: parent: forms a cycle (b -> a -> b): an organisation's root names no parent",
      "tenants/c.yaml: parent: leads into a cycle (c -> a -> b -> a): an organisation's root names no parent",
    ]);
  });

  it("limits the depth to organisations.maxDepth levels (default 3), reported at the tenant too deep", () => {
    // tier team: no namespace count to share (the organisation's totals are tested below)
    const team = { tier: "team" };
    const chain = {
      a: t("a", team),
      b: t("b", { ...team, parent: "a" }),
      c: t("c", { ...team, parent: "b" }),
    };
    expect(problems(chain)).toEqual([]);
    expect(problems({ ...chain, d: t("d", { ...team, parent: "c" }) })).toEqual([
      'tenants/d.yaml: parent: puts tenant "d" at level 4 of organisation "a" (a > b > c > d); environment "example" allows 3 (organisations.maxDepth in environments/example.yaml)',
    ]);
    const two = environment((env) => (env.organisations = { maxDepth: 2 }));
    expect(problems(chain, two)).toEqual([
      'tenants/c.yaml: parent: puts tenant "c" at level 3 of organisation "a" (a > b > c); environment "example" allows 2 (organisations.maxDepth in environments/example.yaml)',
    ]);
  });
});

describe("a child is bounded by its parent, reported at the child's field", () => {
  it("role: not above the parent's", () => {
    expect(problems({ acme: t("acme"), web: t("web", { parent: "acme", role: "power-user" }) })).toEqual([
      'tenants/web.yaml: role: "power-user" is above the role of its parent tenant "acme" (tenants/acme.yaml), "namespace-owner"',
    ]);
    expect(problems({ acme: t("acme", { role: "power-user" }), web: t("web", { parent: "acme" }) })).toEqual(
      [],
    );
  });

  it("tier: not more than the parent's, every reason named", () => {
    expect(problems({ acme: t("acme"), web: t("web", { parent: "acme", tier: "team" }) })).toEqual([
      `tenants/web.yaml: tier: tier "team" is more than tier "standard" of its parent tenant "acme" (tenants/acme.yaml): ${[
        'max requests.cpu "8" is above the parent\'s "4"',
        'max limits.cpu "16" is above the parent\'s "8"',
        'max requests.memory "32Gi" is above the parent\'s "8Gi"',
        'max limits.memory "64Gi" is above the parent\'s "16Gi"',
        // the environment's maxQuota bounds what the team tier's max leaves open
        'max pods "200" is above the parent\'s "50"',
        // service exposure: the standard tier's cap is the environment's default quota, 0
        'max services.loadbalancers "2" is above the parent\'s "0"',
        'budget requests.cpu "24" is above the parent\'s "6"',
        'budget requests.memory "64Gi" is above the parent\'s "12Gi"',
        // the team tier's LimitRange max against the environment's the standard tier keeps
        'limits.max cpu "4" is above the parent\'s "2"',
        'limits.max memory "8Gi" is above the parent\'s "4Gi"',
        "maxNamespaces (unbounded) is above the parent's 3",
        'admission serviceTypes allows "LoadBalancer" beyond the parent\'s (none)',
        'admission storageClasses allows "retained" beyond the parent\'s ("standard")',
        'admission registries allows "registry.example.com" beyond the parent\'s ("docker.io", "quay.io", "ghcr.io")',
      ].join("; ")} (tiers in environments/example.yaml)`,
    ]);
    // the other way round: nothing of the standard tier is more than the team tier
    expect(problems({ acme: t("acme", { tier: "team" }), web: t("web", { parent: "acme" }) })).toEqual([]);
  });

  it("tier: its LimitRange max (limits.max cpu, memory, ephemeral-storage) not above the parent's", () => {
    const env = environment((e) => {
      e.tiers.small = {
        description: "small containers",
        limits: { max: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" } },
      };
      e.tiers.wide = {
        description: "wide containers",
        limits: { max: { cpu: "8", memory: "1Gi", "ephemeral-storage": "4Gi" } },
      };
      // the environment's default max (cpu 2, memory 4Gi) leaves ephemeral-storage open
      e.tiers.plain = { description: "the environment's limits" };
    });
    expect(
      problems({ acme: t("acme", { tier: "small" }), web: t("web", { parent: "acme", tier: "wide" }) }, env),
    ).toEqual([
      `tenants/web.yaml: tier: tier "wide" is more than tier "small" of its parent tenant "acme" (tenants/acme.yaml): ${[
        'limits.max cpu "8" is above the parent\'s "1"',
        'limits.max ephemeral-storage "4Gi" is above the parent\'s "1Gi"',
      ].join("; ")} (tiers in environments/example.yaml)`,
    ]);
    expect(
      problems({ acme: t("acme", { tier: "small" }), web: t("web", { parent: "acme", tier: "plain" }) }, env),
    ).toEqual([
      `tenants/web.yaml: tier: tier "plain" is more than tier "small" of its parent tenant "acme" (tenants/acme.yaml): ${[
        'limits.max cpu "2" is above the parent\'s "1"',
        'limits.max memory "4Gi" is above the parent\'s "1Gi"',
        'limits.max leaves ephemeral-storage unbounded where the parent\'s is "1Gi"',
      ].join("; ")} (tiers in environments/example.yaml)`,
    ]);
    // the other way round: nothing
    expect(
      problems({ acme: t("acme", { tier: "wide" }), web: t("web", { parent: "acme", tier: "small" }) }, env),
    ).toEqual([]);
  });

  it("a tier's budget and namespace count are the organisation's: the parent's and every descendant's together", () => {
    const two = (id: string) => [
      { name: `${id}-a`, quota: { "requests.cpu": "2" } },
      { name: `${id}-b`, quota: { "requests.cpu": "2" } },
    ];
    // acme: 1 namespace (1 cpu); web: 2 (4 cpu): within standard's 3 namespaces and 6 cpu
    expect(problems({ acme: t("acme"), web: t("web", { parent: "acme", namespaces: two("web") }) })).toEqual(
      [],
    );
    expect(
      problems({
        acme: t("acme"),
        web: t("web", { parent: "acme", namespaces: two("web") }),
        api: t("api", { parent: "web", namespaces: [{ name: "api", quota: { "requests.cpu": "2" } }] }),
      }),
    ).toEqual([
      // at the parent's own namespaces too: its own namespace counts towards the excess
      'tenants/acme.yaml: namespaces: 4 namespaces in organisation "acme" (acme and its 2 descendants web, api) exceed the tier "standard" limit of 3 of tenant "acme" (tenants/acme.yaml)',
      'tenants/acme.yaml: namespaces: requests.cpu summed over organisation "acme" (acme and its 2 descendants web, api) is "7", over the tier "standard" budget of "6" of tenant "acme" (tenants/acme.yaml)',
      'tenants/web.yaml: namespaces: 4 namespaces in organisation "acme" (acme and its 2 descendants web, api) exceed the tier "standard" limit of 3 of tenant "acme" (tenants/acme.yaml)',
      'tenants/web.yaml: namespaces: requests.cpu summed over organisation "acme" (acme and its 2 descendants web, api) is "7", over the tier "standard" budget of "6" of tenant "acme" (tenants/acme.yaml)',
    ]);
    // a parent without namespaces of its own is told nothing: only its children can give some back
    expect(
      problems({
        acme: t("acme", { namespaces: [] }),
        shop: t("shop", { parent: "acme", namespaces: [{ name: "shop", quota: { "requests.cpu": "3" } }] }),
        web: t("web", { parent: "acme", namespaces: two("web") }),
      }),
    ).toEqual([
      'tenants/shop.yaml: namespaces: requests.cpu summed over organisation "acme" (acme and its 2 descendants shop, web) is "7", over the tier "standard" budget of "6" of tenant "acme" (tenants/acme.yaml)',
      'tenants/web.yaml: namespaces: requests.cpu summed over organisation "acme" (acme and its 2 descendants shop, web) is "7", over the tier "standard" budget of "6" of tenant "acme" (tenants/acme.yaml)',
    ]);
  });

  it("grants: only bundles the parent holds, only on clusters it holds them", () => {
    // main and eu-gpu (each namespace's quota counts twice against the organisation's budget)
    const everywhere = { clusterSelector: { matchLabels: { region: "eu-west" } } };
    expect(
      problems({
        acme: t("acme", everywhere),
        web: t("web", {
          ...everywhere,
          parent: "acme",
          grants: [{ bundle: "gpu-jobs", clusterSelector: everywhere.clusterSelector }],
        }),
      }),
    ).toEqual([
      'tenants/web.yaml: grants[0].bundle: bundle "gpu-jobs" is not granted to its parent tenant "acme" (tenants/acme.yaml); a child is granted only bundles its parent holds',
    ]);
    expect(
      problems({
        acme: t("acme", {
          ...everywhere,
          grants: [{ bundle: "gpu-jobs", clusterSelector: { matchLabels: { purpose: "batch" } } }],
        }),
        web: t("web", {
          ...everywhere,
          parent: "acme",
          grants: [{ bundle: "gpu-jobs", clusterSelector: everywhere.clusterSelector }],
        }),
        ok: t("ok", {
          ...everywhere,
          parent: "acme",
          grants: [{ bundle: "gpu-jobs", clusterSelector: { matchLabels: { purpose: "batch" } } }],
        }),
      }),
    ).toEqual([
      'tenants/web.yaml: grants[0].clusterSelector: grants bundle "gpu-jobs" on main, where its parent tenant "acme" (tenants/acme.yaml) does not hold it (it holds it on eu-gpu)',
    ]);
  });

  it("clusters: the child's placement and each namespace's within the parent's", () => {
    expect(
      problems({
        acme: t("acme", { tier: "team" }),
        web: t("web", {
          tier: "team",
          parent: "acme",
          clusterSelector: { matchLabels: { purpose: "general" } },
          namespaces: ["web", { name: "web-gpu", clusterSelector: { matchLabels: { purpose: "batch" } } }],
        }),
        ok: t("ok", { tier: "team", parent: "acme" }),
      }),
    ).toEqual([
      'tenants/web.yaml: clusterSelector: selects us-east, where its parent tenant "acme" (tenants/acme.yaml) is not placed (it is on main); a child stays on its parent\'s clusters',
      'tenants/web.yaml: namespaces[1].clusterSelector: selects eu-gpu, where its parent tenant "acme" (tenants/acme.yaml) is not placed (it is on main); a child stays on its parent\'s clusters',
    ]);
    expect(
      problems({
        acme: t("acme", { clusterSelector: { matchLabels: { purpose: "batch" } } }),
        web: t("web", { parent: "acme" }),
      }),
    ).toEqual([
      'tenants/web.yaml: clusterSelector: places it (no clusterSelector: the default cluster) on main, where its parent tenant "acme" (tenants/acme.yaml) is not placed (it is on eu-gpu); a child stays on its parent\'s clusters',
    ]);
  });

  it("domains: the parent's or below them; inside a domain only its claimant's descendants", () => {
    const acme = t("acme", { domains: ["acme.example.com"] });
    expect(
      problems({
        acme,
        web: t("web", { parent: "acme", domains: ["shop.acme.example.com"] }),
        api: t("api", { parent: "web", domains: ["v1.shop.acme.example.com"] }),
      }),
    ).toEqual([]);
    expect(
      problems({
        acme,
        web: t("web", { parent: "acme", domains: [{ name: "web.example.org" }, "acme.example.com"] }),
        other: t("other", { domains: ["x.acme.example.com"] }),
      }),
    ).toEqual([
      // inside acme's domain: only acme's descendants
      'tenants/other.yaml: domains[0]: "x.acme.example.com" is inside "acme.example.com", claimed by tenant "acme" (tenants/acme.yaml)',
      // equal to it: one claimant per hostname (one DNS record)
      'tenants/web.yaml: domains[1]: "acme.example.com" is already claimed by tenant "acme" (tenants/acme.yaml)',
      'tenants/web.yaml: domains[0].name: "web.example.org" is outside the domains of its parent tenant "acme" (tenants/acme.yaml) (acme.example.com); a child\'s domains are its parent\'s or below them',
    ]);
  });

  it("members: the parent and its members, each within its role there", () => {
    const acme = t("acme", {
      members: [
        { tenant: "dev", role: "developer" },
        { tenant: "lead", role: "manager" },
      ],
    });
    const others = {
      dev: t("dev", { namespaces: [] }),
      lead: t("lead", { namespaces: [] }),
      eve: t("eve", { namespaces: [] }),
    };
    expect(
      problems({
        acme,
        ...others,
        web: t("web", {
          parent: "acme",
          members: [
            { tenant: "acme", role: "owner", manager: true },
            { tenant: "lead", role: "manager" },
            { tenant: "dev", role: "viewer" },
          ],
        }),
      }),
    ).toEqual([]);
    expect(
      problems({
        acme,
        ...others,
        web: t("web", {
          parent: "acme",
          members: [
            { tenant: "eve", role: "viewer" },
            { tenant: "dev", role: "manager" },
            { tenant: "lead", role: "owner" },
          ],
        }),
        api: t("api", { parent: "acme", members: [{ tenant: "dev", role: "developer", manager: true }] }),
      }),
    ).toEqual([
      'tenants/api.yaml: members[0].manager: "dev" does not manage its parent tenant "acme" (tenants/acme.yaml), so it may not manage this record',
      'tenants/web.yaml: members[0].tenant: "eve" is neither its parent "acme" nor a member of it (its members: dev, lead); a child invites only its parent and the parent\'s members',
      'tenants/web.yaml: members[1].role: "manager" is above the role "dev" holds in its parent tenant "acme" (tenants/acme.yaml), "developer"',
      'tenants/web.yaml: members[2].role: "owner" is above the role "lead" holds in its parent tenant "acme" (tenants/acme.yaml), "manager"',
    ]);
  });
});

describe("offboarding an organisation", () => {
  it("refuses an offboarding parent with a child that is not, at the parent's offboarding", () => {
    expect(
      problems({
        acme: t("acme", { offboarding: true }),
        web: t("web", { parent: "acme" }),
        api: t("api", { parent: "acme", offboarding: true }),
      }),
    ).toEqual([
      'tenants/acme.yaml: offboarding: tenant "acme" is offboarding while its child tenant "web" (tenants/web.yaml) is not: offboard the children first, or all at once with tenancy offboard acme --recursive',
    ]);
    expect(
      problems({
        acme: t("acme", { offboarding: true }),
        web: t("web", { parent: "acme", offboarding: true }),
      }),
    ).toEqual([]);
  });
});

describe("organisations.parentView", () => {
  const tenants = {
    acme: t("acme", { tier: "team", members: [{ tenant: "lead", role: "manager" }] }),
    lead: t("lead", { namespaces: [] }),
    web: t("web", { parent: "acme", tier: "team" }),
    api: t("api", { parent: "web", tier: "team", members: [{ tenant: "web", role: "developer" }] }),
  };
  it("off by default: nobody views a descendant's namespaces", () => {
    expect(build(tenants).tenants.map((x) => x.organisationViewers)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
  it("on: each tenant's ancestors and their members view it", () => {
    const env = environment((e) => (e.organisations = { parentView: true }));
    const model = build(tenants, env);
    expect(Object.fromEntries(model.tenants.map((x) => [x.id, x.organisationViewers]))).toEqual({
      acme: undefined,
      api: ["acme", "lead", "web"],
      lead: undefined,
      web: ["acme", "lead"],
    });
  });
});

describe("a hostile chain", () => {
  it("5,000 tenants in one line validate with their depth errors, each message bounded", () => {
    const n = 5000;
    const id = (i: number) => `t${String(i).padStart(4, "0")}`;
    const chain: Tenants = {};
    for (let i = 0; i < n; i++) chain[id(i)] = t(id(i), i === 0 ? {} : { parent: id(i - 1) });
    const found = problems(chain);
    const depth = found.filter((p) => p.includes(": parent: puts tenant"));
    // every tenant below level 3 is too deep
    expect(depth).toHaveLength(n - 3);
    expect(depth.at(-1)).toMatch(
      /^tenants\/t4999\.yaml: parent: puts tenant "t4999" at level 5000 of organisation "t0000" \(t0000 > t0001 > t0002 > \.\.\. > t4997 > t4998 > t4999\)/,
    );
    // no message lists the chain: each is short, whatever the chain's length
    for (const p of found) expect(p.length).toBeLessThan(1000);
    // a cycle of 1,000 (components/shared/rules.ts still walks each tenant's whole chain: kept smaller): every
    // tenant forms it, each message a few ids long
    const ring: Tenants = {};
    for (let i = 0; i < 1000; i++) ring[id(i)] = t(id(i), { parent: id((i + 999) % 1000) });
    const cycle = problems(ring);
    expect(cycle.filter((p) => p.includes("forms a cycle"))).toHaveLength(1000);
    expect(cycle[0]).toBe(
      "tenants/t0000.yaml: parent: forms a cycle (t0000 -> t0999 -> t0998 -> t0997 -> ... -> t0000): an organisation's root names no parent",
    );
    for (const p of cycle) expect(p.length).toBeLessThan(1000);
  });
});
