import { LAYERS } from "../../stacks/layers";
import { beforeAll, describe, expect, it } from "vitest";
import { accessView, filterAccess, formatAccessSummary, formatAccessTable } from "../../cli/access";
import { UsageError } from "../../components/core/problems";
import { type AccessRow, reachesTenant } from "../../policy/access";
import { accessMatrix } from "../../plan/access";
import { buildPlan } from "../../plan/plan";
import type { RegistryModel } from "../../registry/model";
import { runCliAsync } from "../helpers/cli";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  exampleWithSharedCi,
  loadExample,
} from "../plan/registries";

describe("tenancy access --tenant", () => {
  it("shows the tenant's principals and everyone who reaches it: members, admins, the shared CI identity", async () => {
    // the example tenants, with the shared CI identity of existing installations
    const model = exampleWithSharedCi();
    const bob = model.tenants.find((t) => t.id === "bob")!;
    const rows = accessMatrix(model, await buildPlan(model, LAYERS)).filter((r) => reachesTenant(r, bob));
    const who = (pred: (r: (typeof rows)[0]) => boolean) =>
      [...new Set(rows.filter(pred).map((r) => r.principal))].sort();
    expect(who(() => true)).toEqual([
      "user:alice@example.com", // member of bob-staging
      "user:bob@example.com",
      "user:carol@example.com", // member, and cluster-admin
      "vault-jwt:jwt/ci-bob",
      "vault-k8s-auth:kubernetes/woodpecker-deployer", // shared CI: bob's deployer credentials
    ]);
    expect(who((r) => r.scope === "cluster")).toEqual(["user:bob@example.com", "user:carol@example.com"]);
    expect(
      rows
        .filter((r) => r.principal.startsWith("vault-k8s-auth:") && r.system === "vault")
        .map((r) => r.resource),
    ).toEqual(["kubernetes/creds/bob-prod-deployer", "kubernetes/creds/bob-staging-deployer"]);
    // alice's own Vault paths and namespaces are not bob's business
    expect(rows.some((r) => r.resource.includes("tenants/alice") || r.scope === "namespace:alice")).toBe(
      false,
    );
    // the table has no trailing padding
    expect(
      formatAccessTable(rows)
        .split("\n")
        .every((l) => l === l.trimEnd()),
    ).toBe(true);
  });
});

describe("access at size (issue 27, item 5)", () => {
  const matrix = async (model: RegistryModel) => accessMatrix(model, await buildPlan(model, LAYERS));
  let model: RegistryModel;
  let rows: AccessRow[];
  beforeAll(async () => {
    model = await loadExample();
    rows = await matrix(model);
  }, 60_000);
  const principals = (rs: AccessRow[]) => [...new Set(rs.map((r) => r.principal))].sort();

  it("shows the RBAC subject as the API server sees it, prefix included; the principal stays the key", async () => {
    const bob = rows.filter((r) => r.principal === "user:bob@example.com" && r.system === "kubernetes");
    expect(new Set(bob.map((r) => r.subject))).toEqual(
      new Set([
        "User oidc:bob@example.com",
        // deployer credentials Vault mints: a service account of its own per lease
        "ServiceAccount system:serviceaccount:bob-prod:<vault-lease>",
        "ServiceAccount system:serviceaccount:bob-staging:<vault-lease>",
      ]),
    );
    // Vault and DNS rows name no RBAC subject
    expect(rows.filter((r) => r.system !== "kubernetes" && r.subject !== undefined)).toEqual([]);
    // with group subjects, the group with the groups prefix
    const groups = exampleWithEnvironment(
      (() => {
        const env = exampleEnvironmentData();
        env.rbac = { ...env.rbac, subject: "group" };
        return env;
      })(),
    );
    const grouped = await matrix(groups);
    const owner = grouped.find((r) => r.via.startsWith("RoleBinding bob-prod/tenant-owner "))!;
    expect(owner.principal).toMatch(/^group:oidc:/);
    expect(owner.subject).toBe(`Group ${owner.principal.slice("group:".length)}`);
    // the JSON rows keep the contract's fields, subject added
    const keys = new Set(rows.flatMap((r) => Object.keys(r)));
    expect([...keys].sort()).toEqual(
      [
        "apiGroup",
        "cluster",
        "principal",
        "resource",
        "resourceNames",
        "scope",
        "subject",
        "system",
        "tenant",
        "verbs",
        "via",
      ].filter((k) => keys.has(k)),
    );
  });

  it("--namespace keeps the grants in the namespace, at cluster scope on what it holds, and its deployer's Vault path", () => {
    const kept = filterAccess(rows, model, { namespace: "bob-staging" });
    expect(kept.length).toBeGreaterThan(0);
    for (const r of kept)
      expect(
        r.scope === "namespace:bob-staging" ||
          (r.scope === "cluster" && r.system === "kubernetes") ||
          r.resource.endsWith("/creds/bob-staging-deployer"),
        JSON.stringify(r),
      ).toBe(true);
    // alice is invited into bob-staging, not into bob-prod
    expect(principals(kept)).toContain("user:alice@example.com");
    expect(principals(filterAccess(rows, model, { namespace: "bob-prod" }))).not.toContain(
      "user:alice@example.com",
    );
    expect(kept.some((r) => r.system === "vault")).toBe(true);
    expect(() => filterAccess(rows, model, { namespace: "nobodys" })).toThrow(UsageError);
  });

  it("--principal takes the principal, the subject's name with its prefix, or a tenant id", () => {
    const alice = filterAccess(rows, model, { principal: "user:alice@example.com" });
    expect(principals(alice)).toEqual(["user:alice@example.com"]);
    expect(alice.some((r) => r.system === "vault")).toBe(true);
    expect(filterAccess(rows, model, { principal: "alice" })).toEqual(alice);
    // the name the API server sees: the Kubernetes rows bound to it
    const bySubject = filterAccess(rows, model, { principal: "oidc:alice@example.com" });
    expect(bySubject).toEqual(alice.filter((r) => r.subject === "User oidc:alice@example.com"));
    expect(filterAccess(rows, model, { principal: "User oidc:alice@example.com" })).toEqual(bySubject);
    expect(() => filterAccess(rows, model, { principal: "user:mallory@example.com" })).toThrow(UsageError);
  });

  it("--system and the filters combine with --tenant and --cluster", () => {
    expect(new Set(filterAccess(rows, model, { system: "vault" }).map((r) => r.system))).toEqual(
      new Set(["vault"]),
    );
    const combined = filterAccess(rows, model, {
      tenant: "bob",
      cluster: "main",
      namespace: "bob-staging",
      principal: "alice",
      system: "kubernetes",
    });
    expect(combined.length).toBeGreaterThan(0);
    for (const r of combined) {
      expect(r.principal).toBe("user:alice@example.com");
      expect(r.scope).toBe("namespace:bob-staging");
      expect(r.cluster).toBe("main");
    }
    // a principal that exists elsewhere is not a typo: the filters just leave nothing
    expect(filterAccess(rows, model, { namespace: "alice-dev", principal: "vault-jwt:jwt/ci-bob" })).toEqual(
      [],
    );
  });

  it("through the CLI: the filters, --json's rows with their subject, and a usage error for an unknown system", async () => {
    const r = await runCliAsync([
      "access",
      "--json",
      "--namespace",
      "bob-staging",
      "--principal",
      "oidc:alice@example.com",
      "--system",
      "kubernetes",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as AccessRow[];
    expect(got.length).toBeGreaterThan(0);
    expect(new Set(got.map((x) => `${x.principal} ${x.subject} ${x.scope}`))).toEqual(
      new Set(["user:alice@example.com User oidc:alice@example.com namespace:bob-staging"]),
    );
    const bad = await runCliAsync(["access", "--system", "ldap"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("ldap");
  }, 120_000);

  it("summarises by default on a terminal: a line per principal and binding, with counts", () => {
    expect(accessView({}, true)).toBe("summary");
    expect(accessView({}, false)).toBe("rows");
    expect(accessView({ rows: true }, true)).toBe("rows");
    expect(accessView({ all: true }, true)).toBe("rows");
    expect(accessView({ summary: true }, false)).toBe("summary");
    expect(accessView({ json: true, summary: true }, true)).toBe("json");
    const bob = model.tenants.find((t) => t.id === "bob")!;
    const reaching = rows.filter((r) => reachesTenant(r, bob));
    const summary = formatAccessSummary(reaching).split("\n");
    const bindings = new Set(
      reaching.map((r) =>
        JSON.stringify([r.principal, r.cluster ?? r.system, r.scope, r.system === "dns" ? "" : r.via]),
      ),
    );
    // a head, a line per binding, the count
    expect(summary.length).toBe(bindings.size + 2);
    expect(summary.at(-1)).toBe(
      `${bindings.size} bindings, ${reaching.length} grants, ${principals(reaching).length} principals (--rows for every grant)`,
    );
    const owner = reaching.filter(
      (r) =>
        r.via === "RoleBinding bob-prod/tenant-owner -> ClusterRole tenancy-namespace-owner" &&
        r.cluster === "main",
    );
    const line = summary.find(
      (l) => l.startsWith("main") && l.includes("RoleBinding bob-prod/tenant-owner"),
    )!;
    expect(line.split(/\s{2,}/)).toEqual([
      "main",
      "user:bob@example.com",
      "User oidc:bob@example.com",
      "bob",
      "bob-prod",
      String(owner.length),
      [...new Set(owner.flatMap((r) => r.verbs))].join(", "),
      "RoleBinding bob-prod/tenant-owner -> ClusterRole tenancy-namespace-owner",
    ]);
  });

  it("fits the terminal's width: wide columns wrap, and every value is escaped", () => {
    const bob = model.tenants.find((t) => t.id === "bob")!;
    const reaching = rows.filter((r) => reachesTenant(r, bob));
    const unwrapped = formatAccessTable(reaching).split("\n");
    expect(Math.max(...unwrapped.map((l) => l.length))).toBeGreaterThan(400);
    for (const [format, width] of [
      [formatAccessTable, 160],
      [formatAccessSummary, 120],
    ] as const) {
      const out = format(reaching, { width });
      const lines = out.split("\n");
      expect(Math.max(...lines.map((l) => l.length)), format.name).toBeLessThanOrEqual(width);
      // nothing cut: a name too long for its cell is broken across lines
      expect(out).not.toContain("…");
    }
    const hostile: AccessRow = {
      principal: "user:\u001b[2Jmallory@example.com",
      tenant: "mallory",
      system: "kubernetes",
      subject: "User oidc:\u202emallory",
      cluster: "main",
      scope: "namespace:mallory",
      resource: "pods",
      apiGroup: "",
      verbs: ["get"],
      via: "RoleBinding x\nforged line",
    };
    for (const out of [
      formatAccessTable([hostile]),
      formatAccessSummary([hostile]),
      formatAccessSummary([hostile], { width: 200 }),
    ]) {
      expect(out).not.toMatch(/[\u001b\u202e]/);
      expect(out).toContain("\\x1b[2J");
      expect(out).toContain("\\u202e");
      expect(out).toContain("x\\nforged line");
    }
  });
});
