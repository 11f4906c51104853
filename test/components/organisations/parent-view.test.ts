/**
 * organisations.parentView (docs/organisations.md): a tenant's ancestors and their members get read-only view in
 * its active namespaces, planned as RoleBindings by the members concern, so the access matrix and can-i show
 * them; off (the default), the organisation reaches nothing of its children's. Every object checked against the
 * Kubernetes schema.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { accessMatrix } from "../../../plan/access";
import { canI } from "../../../plan/can-i";
import { buildPlan } from "../../../plan/plan";
import type { AccessRow } from "../../../policy/access";
import type { TenantFileInput } from "../../../registry/schema";
import { exampleEnvironmentData, registryOf } from "../../plan/registries";
import { validateK8sObject } from "../../helpers/k8s-schema";

const TENANTS: Record<string, TenantFileInput> = {
  acme: { email: "acme@example.com", tier: "team", members: [{ tenant: "lead", role: "manager" }] },
  lead: { email: "lead@example.com", namespaces: [] },
  web: {
    email: "web@example.com",
    tier: "team",
    parent: "acme",
    namespaces: ["web", { name: "web-old", offboarding: true }],
    members: [{ tenant: "lead", role: "developer", namespaces: ["web"] }],
  },
  shop: { email: "shop@example.com", tier: "team", parent: "acme" },
  api: { email: "api@example.com", tier: "team", parent: "web" },
};

async function rowsOf(parentView: boolean) {
  const env = exampleEnvironmentData() as Record<string, unknown>;
  env.organisations = { parentView };
  const model = registryOf(TENANTS, env);
  const plan = await buildPlan(model, LAYERS);
  return { plan, rows: accessMatrix(model, plan) };
}

const ask = (rows: AccessRow[], who: string, verb: string, namespace: string) =>
  canI(rows, { principal: `user:${who}@example.com`, verb, resource: "pods", namespace, cluster: "main" });

describe("organisations.parentView", () => {
  let off: AccessRow[];
  let on: AccessRow[];
  let bindings: Record<string, unknown>[];
  beforeAll(async () => {
    off = (await rowsOf(false)).rows;
    const planned = await rowsOf(true);
    on = planned.rows;
    bindings = planned.plan.stacks
      .flatMap((s) => s.resources)
      .filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
      .map((r) => r.inputs as Record<string, unknown>);
  }, 60_000);

  it("off: the parent and its members reach none of the children's namespaces", () => {
    for (const who of ["acme", "lead"])
      for (const ns of ["shop", "api"]) expect(ask(off, who, "get", ns).allowed).toBe(false);
    // lead is invited into web by web's record: that stands
    expect(ask(off, "lead", "create", "web").allowed).toBe(true);
  });

  it("on: the ancestors and their members view every active namespace of each descendant, read-only", () => {
    for (const [who, ns] of [
      ["acme", "web"],
      ["acme", "shop"],
      ["acme", "api"],
      ["lead", "shop"],
      ["lead", "api"],
      ["web", "api"],
    ] as const) {
      const view = ask(on, who, "get", ns);
      expect(view.allowed, `${who} get pods in ${ns}`).toBe(true);
      expect(view.via.join()).toContain("tenancy-namespace-viewer");
      expect(ask(on, who, "create", ns).allowed, `${who} create pods in ${ns}`).toBe(false);
      expect(
        canI(on, {
          principal: `user:${who}@example.com`,
          verb: "get",
          resource: "secrets",
          namespace: ns,
          cluster: "main",
        }).allowed,
      ).toBe(false);
    }
    // lead's own invitation into web (developer) is kept, not doubled by a viewer binding
    expect(ask(on, "lead", "create", "web").allowed).toBe(true);
  });

  it("on: nothing upwards or sideways, and nothing in an offboarding namespace", () => {
    for (const [who, ns] of [
      ["web", "acme"],
      ["api", "web"],
      ["api", "acme"],
      ["shop", "web"],
      ["web", "shop"],
      ["acme", "web-old"],
    ] as const)
      expect(ask(on, who, "get", ns).allowed, `${who} get pods in ${ns}`).toBe(false);
  });

  it("on: the viewers' RoleBindings are valid Kubernetes objects, one per viewer and namespace", () => {
    const viewers = bindings.filter(
      (b) => (b.roleRef as { name: string }).name === "tenancy-namespace-viewer",
    );
    expect(
      viewers
        .map(
          (b) =>
            `${(b.metadata as { namespace: string }).namespace} ${(b.subjects as { name: string }[])[0]!.name}`,
        )
        .sort(),
    ).toEqual([
      "api oidc:acme@example.com",
      "api oidc:lead@example.com",
      "api oidc:web@example.com",
      "shop oidc:acme@example.com",
      "shop oidc:lead@example.com",
      "web oidc:acme@example.com",
    ]);
    for (const b of viewers) expect(() => validateK8sObject(b)).not.toThrow();
  });
});

describe("organisations.parentView: who of an ancestor's members views", () => {
  const env = exampleEnvironmentData() as Record<string, unknown>;
  env.organisations = { parentView: true };
  const model = registryOf(
    {
      acme: {
        email: "acme@example.com",
        tier: "team",
        namespaces: ["acme", "acme-tools"],
        members: [
          // invited into one of acme's namespaces: a child, a manager and someone else
          { tenant: "acme-api", role: "developer", namespaces: ["acme"] },
          { tenant: "lead", role: "manager", namespaces: ["acme"] },
          { tenant: "carol", role: "developer", namespaces: ["acme-tools"] },
          // invited into all of them: a child, someone else
          { tenant: "acme-web", role: "viewer" },
          { tenant: "bob", role: "viewer" },
        ],
      },
      "acme-web": { email: "web@example.com", tier: "team", parent: "acme" },
      "acme-api": { email: "api@example.com", tier: "team", parent: "acme" },
      "acme-web-x": { email: "x@example.com", tier: "team", parent: "acme-web" },
      lead: { email: "lead@example.com", namespaces: [] },
      carol: { email: "carol@example.com", namespaces: [] },
      bob: { email: "bob@example.com", namespaces: [] },
    },
    env,
  );
  const viewersOf = (id: string) => model.tenants.find((t) => t.id === id)!.organisationViewers;

  it("the ancestors, their managers and their members invited into all of their namespaces; never a descendant of the ancestor", () => {
    // acme-api, invited into one namespace of acme, views nothing of its sibling; acme-web, invited into all of
    // acme, is acme's descendant: it views its sibling neither
    expect(viewersOf("acme-web")).toEqual(["acme", "bob", "lead"]);
    expect(viewersOf("acme-api")).toEqual(["acme", "bob", "lead"]);
    // acme-web views its own child as its ancestor
    expect(viewersOf("acme-web-x")).toEqual(["acme", "acme-web", "bob", "lead"]);
    expect(viewersOf("acme")).toBeUndefined();
  });
});
