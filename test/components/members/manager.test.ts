/**
 * The `manager` member role (issue 27, item 7; ARCHITECTURE.md, "Roles"): between owner and developer. A manager
 * may do what a developer does and invite and remove members (RoleBindings in the namespaces it manages), but
 * may not bind or unbind the owner's roles: RBAC gives it `tenancy-namespace-manager` (edit plus RoleBinding
 * writes), the roleBindings admission policy keeps `tenancy-namespace-owner`, `admin` and `cluster-admin` to
 * the tenant itself and the platform. Registry, single-secret document, access rows, can-i and admission.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LAYERS } from "../../../stacks/layers";
import { type Plan, buildPlan } from "../../../plan/plan";
import { accessMatrix } from "../../../plan/access";
import { canI } from "../../../plan/can-i";
import type { AccessRow } from "../../../policy/access";
import type { RegistryModel } from "../../../registry/model";
import { codeowners } from "../../../policy/codeowners";
import { singleSecretDocuments } from "../../../registry/single-secret";
import { buildRegistry } from "../../../registry/validate";
import { type Request, clusterOf, request } from "../../helpers/admission";
import { verdicts } from "../../helpers/verdicts";
import { exampleEnvironmentData, registryOf } from "../../plan/registries";

type Json = Record<string, unknown>;
type User = Request["user"];

const ALICE: User = { username: "oidc:alice@example.com", groups: ["system:authenticated"] };
const BOB: User = { username: "oidc:bob@example.com", groups: ["system:authenticated"] };
const NAMESPACE_CONTROLLER: User = {
  username: "system:serviceaccount:kube-system:namespace-controller",
  groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
};

/** alice invites bob as manager of alice-dev, carol as developer; bob's own namespaces stay his. */
const tenants = () => ({
  alice: {
    email: "alice@example.com",
    namespaces: ["alice", "alice-dev"],
    members: [
      { tenant: "bob", role: "manager" as const, namespaces: ["alice-dev"] },
      { tenant: "carol", role: "developer" as const },
    ],
  },
  bob: { email: "bob@example.com", git: ["@bob"] },
  carol: { email: "carol@example.com" },
});

let model: RegistryModel;
let plan: Plan;
let rows: AccessRow[];
beforeAll(async () => {
  model = registryOf(tenants());
  plan = await buildPlan(model, LAYERS);
  rows = accessMatrix(model, plan);
});

const binding = (roleRef: string, subject: Json = { kind: "User", name: "oidc:alice@example.com" }) => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name: "invite", namespace: "alice-dev" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleRef },
  subjects: [{ ...subject, apiGroup: "rbac.authorization.k8s.io" }],
});

describe("the manager member role in the registry", () => {
  it("is accepted, binds tenancy-namespace-manager, and makes the member a reviewer of the record", () => {
    const bob = model.tenants.find((t) => t.id === "alice")!.members.find((m) => m.tenant === "bob")!;
    expect(bob).toMatchObject({ role: "manager", manager: true, namespaces: ["alice-dev"] });
    const refs = plan.stacks
      .flatMap((s) => s.resources)
      .filter((r) => r.inputs.kind === "RoleBinding")
      .map(
        (r) => r.inputs as { metadata: { namespace: string }; roleRef: { name: string }; subjects: Json[] },
      )
      .filter(
        (b) =>
          b.metadata.namespace.startsWith("alice") &&
          b.subjects.some((s) => s.name === "oidc:bob@example.com"),
      )
      .map((b) => `${b.metadata.namespace} ${b.roleRef.name}`);
    expect(refs).toEqual(["alice-dev tenancy-namespace-manager"]);
    expect(codeowners(model, [], (s) => s)).toMatch(/alice\.yaml.*@bob/);
  });

  it("refuses a role that is none of owner, manager, developer, viewer", () => {
    expect(() =>
      registryOf({
        ...tenants(),
        alice: { ...tenants().alice, members: [{ tenant: "bob", role: "admin" as never }] },
      }),
    ).toThrow(/members\.0\.role|owner.*manager.*developer.*viewer/);
  });

  it("loads from the single-secret document: a user's members with role manager", () => {
    const doc = JSON.stringify({
      alice: {
        role: "namespace-owner",
        email: "alice@example.com",
        namespaces: ["alice-dev"],
        domains: [],
        quota: {},
        members: [{ tenant: "bob", role: "manager" }],
      },
      bob: {
        role: "namespace-owner",
        email: "bob@example.org",
        namespaces: ["bob-web"],
        domains: [],
        quota: {},
      },
    });
    const docs = singleSecretDocuments(doc, "vault:secret/platform#k8s_users");
    if (!docs.ok) throw new Error(JSON.stringify(docs.problems));
    const m = buildRegistry(
      { name: "example", source: "environments/example.yaml", data: exampleEnvironmentData() },
      docs.docs,
    );
    expect(m.tenants.find((t) => t.id === "alice")!.members).toEqual([
      { tenant: "bob", role: "manager", manager: true, namespaces: ["alice-dev"] },
    ]);
  });
});

describe("what a manager may do (access rows, can-i)", () => {
  const BOB_P = "user:bob@example.com";
  it("writes RoleBindings and Deployments in the namespace it manages, no Roles, nothing in the others", () => {
    for (const [verb, resource] of [
      ["create", "rbac.authorization.k8s.io/rolebindings"],
      ["delete", "rbac.authorization.k8s.io/rolebindings"],
      ["create", "apps/deployments"],
      ["get", "secrets"],
    ] as const) {
      const a = canI(rows, { principal: BOB_P, verb, resource, namespace: "alice-dev" });
      expect(a.allowed, `${verb} ${resource}`).toBe(true);
      expect(a.via.join(" ")).toContain("ClusterRole tenancy-namespace-manager");
    }
    expect(
      canI(rows, {
        principal: BOB_P,
        verb: "create",
        resource: "rbac.authorization.k8s.io/roles",
        namespace: "alice-dev",
      }).allowed,
    ).toBe(false);
    expect(canI(rows, { principal: BOB_P, verb: "get", resource: "pods", namespace: "alice" }).allowed).toBe(
      false,
    );
    // a developer writes no RoleBindings
    expect(
      canI(rows, {
        principal: "user:carol@example.com",
        verb: "create",
        resource: "rbac.authorization.k8s.io/rolebindings",
        namespace: "alice-dev",
      }).allowed,
    ).toBe(false);
  });
});

describe("a manager's RoleBindings at admission", () => {
  const v = verdicts(() => clusterOf(plan));
  const create = (u: User, roleRef: string) => request("CREATE", u, binding(roleRef));
  it("bind the roles below the owner's; the owner's, admin and cluster-admin only the tenant itself", () => {
    for (const role of [
      "tenancy-namespace-manager",
      "tenancy-namespace-developer",
      "tenancy-namespace-viewer",
      "edit",
    ])
      v.allowed(create(BOB, role));
    for (const role of ["tenancy-namespace-owner", "admin", "cluster-admin"]) {
      v.denied(
        create(BOB, role),
        "tenancy-role-bindings",
        /only the tenant itself may bind or unbind the owner's roles/,
      );
      v.allowed(create(ALICE, role));
    }
  });

  it("remove members below the owner; a binding of the owner's roles only the tenant (or the namespace's deletion) removes", () => {
    v.allowed(request("DELETE", BOB, null, binding("tenancy-namespace-developer")));
    v.denied(request("DELETE", BOB, null, binding("tenancy-namespace-owner")), "tenancy-role-bindings");
    v.allowed(request("DELETE", ALICE, null, binding("tenancy-namespace-owner")));
    v.allowed(request("DELETE", NAMESPACE_CONTROLLER, null, binding("tenancy-namespace-owner")));
  });

  it("still bind only the tenant's own principals, whoever writes them", () => {
    v.denied(
      request(
        "CREATE",
        BOB,
        binding("tenancy-namespace-developer", { kind: "User", name: "oidc:mallory@example.com" }),
      ),
      "tenancy-role-bindings",
      /may bind only the tenant's own user/,
    );
  });
});
