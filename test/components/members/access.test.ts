/**
 * TenantAccess: who is bound to what. Owner and member RoleBindings per namespace, one ClusterRoleBinding
 * per tenant, the shared ClusterRoles once, and nothing at all for offboarding tenants or members.
 * Run through the plan harness: the component alone under `runProgram`, the platform layer under `buildPlan`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type TenantAccessArgs, tenantAccess } from "../../../components/members/access";
import { runSpecs, testProvider } from "../../helpers/specs";
import { type PlannedResource, describeResource } from "../../../plan/plan";
import type { RegistryModel } from "../../../registry/model";
import { validateK8sObject } from "../../helpers/k8s-schema";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  findObject,
  generatedTenants,
  isKubernetesObject,
  loadExample,
  objectNames,
  planPlatform,
  registryOf,
} from "../../plan/registries";

interface Binding {
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { apiGroup: string; kind: string; name: string }[];
}

const BINDING_KINDS = new Set(["RoleBinding", "ClusterRoleBinding"]);
const bindings = (rs: PlannedResource[]) => rs.filter((r) => BINDING_KINDS.has(r.inputs.kind as string));
const binding = (r: PlannedResource) => r.inputs as unknown as Binding;
/** One line per binding: `Kind ns/name -> role <- subject`, sorted. */
const grants = (rs: PlannedResource[]) =>
  bindings(rs)
    .map((r) => {
      const b = binding(r);
      return `${describeResource(r)} -> ${b.roleRef.kind} ${b.roleRef.name} <- ${b.subjects.map((s) => `${s.kind} ${s.name}`).join(", ")}`;
    })
    .sort();

const planOf = planPlatform;

let model: RegistryModel;
let planned: PlannedResource[];
beforeAll(async () => {
  model = await loadExample();
  planned = await planOf(model);
});

describe("TenantAccess on its own", () => {
  const args: TenantAccessArgs = {
    tenant: "acme",
    subject: { kind: "Group", name: "tenants:acme" },
    role: "namespace-owner",
    namespaces: ["acme-web", "acme-db"],
    members: [
      {
        tenant: "zed",
        subject: { kind: "User", name: "zed@example.com" },
        role: "viewer",
        namespaces: ["acme-db"],
      },
    ],
  };

  it("binds the owner in each namespace, each member in its namespaces, and the tenant at cluster scope", async () => {
    const run = await runSpecs("test-access", (specs) => {
      tenantAccess(specs, "acme", { ...args, clusterReader: true }, testProvider(specs), []);
    });
    const objects = run.resources.filter((r) => r.custom) as PlannedResource[];
    for (const r of objects) validateK8sObject(r.inputs);
    expect(grants(objects)).toEqual([
      "ClusterRoleBinding tenancy-tenant-acme -> ClusterRole tenancy-cluster-reader <- Group tenants:acme",
      "RoleBinding acme-db/tenant-member-zed -> ClusterRole tenancy-namespace-viewer <- User zed@example.com",
      "RoleBinding acme-db/tenant-owner -> ClusterRole tenancy-namespace-owner <- Group tenants:acme",
      "RoleBinding acme-web/tenant-owner -> ClusterRole tenancy-namespace-owner <- Group tenants:acme",
    ]);
    expect(objects.length).toBe(4);
    // Pulumi names are part of the URNs: pinned
    expect(objects.map((r) => r.name).sort()).toEqual([
      "acme-cluster",
      "acme-db-member/zed",
      "acme-db-owner",
      "acme-web-owner",
    ]);
    for (const r of objects) {
      expect(r.tenant, r.name).toBe("acme");
      expect(r.parentType, r.name).toBe("tenancy:k8s:TenantAccess");
      expect(r.protect, r.name).toBe(false);
      expect(binding(r).metadata.labels).toEqual({
        "tenancy.io/tenant": "acme",
        "app.kubernetes.io/managed-by": "tenancy",
      });
      expect(binding(r).subjects.every((s) => s.apiGroup === "rbac.authorization.k8s.io")).toBe(true);
      expect(binding(r).roleRef.apiGroup).toBe("rbac.authorization.k8s.io");
    }
  });
});

describe("TenantAccess in the example plan", () => {
  it("binds each owner in its namespaces to tenancy-namespace-owner as User oidc:<email>", () => {
    expect(findObject(planned, "RoleBinding", "alice-dev/tenant-owner").inputs).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: {
        name: "tenant-owner",
        namespace: "alice-dev",
        labels: { "tenancy.io/tenant": "alice", "app.kubernetes.io/managed-by": "tenancy" },
        annotations: { "pulumi.com/patchForce": "true" },
      },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "tenancy-namespace-owner",
      },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "oidc:alice@example.com" }],
    });
    expect(model.environment.oidc.usernamePrefix).toBe("oidc:");
  });

  it("grants exactly the owner and member bindings the registry asks for", () => {
    expect(grants(planned)).toEqual([
      // alice's tier has no clusterReader: a namespace owner gets no binding at cluster scope
      "ClusterRoleBinding tenancy-tenant-bob -> ClusterRole tenancy-power-user <- User oidc:bob@example.com",
      "ClusterRoleBinding tenancy-tenant-carol -> ClusterRole cluster-admin <- User oidc:carol@example.com",
      // alice invites bob as viewer into alice-dev
      "RoleBinding alice-dev/tenant-member-bob -> ClusterRole tenancy-namespace-viewer <- User oidc:bob@example.com",
      "RoleBinding alice-dev/tenant-owner -> ClusterRole tenancy-namespace-owner <- User oidc:alice@example.com",
      "RoleBinding alice/tenant-owner -> ClusterRole tenancy-namespace-owner <- User oidc:alice@example.com",
      // bob invites carol as owner into all his namespaces
      "RoleBinding bob-prod/tenant-member-carol -> ClusterRole tenancy-namespace-owner <- User oidc:carol@example.com",
      "RoleBinding bob-prod/tenant-owner -> ClusterRole tenancy-namespace-owner <- User oidc:bob@example.com",
      // bob invites alice as developer into bob-staging only
      "RoleBinding bob-staging/tenant-member-alice -> ClusterRole tenancy-namespace-developer <- User oidc:alice@example.com",
      "RoleBinding bob-staging/tenant-member-carol -> ClusterRole tenancy-namespace-owner <- User oidc:carol@example.com",
      "RoleBinding bob-staging/tenant-owner -> ClusterRole tenancy-namespace-owner <- User oidc:bob@example.com",
      "RoleBinding carol/tenant-owner -> ClusterRole tenancy-namespace-owner <- User oidc:carol@example.com",
    ]);
  });

  it("tags member bindings with the inviting tenant, whose namespaces they grant", () => {
    for (const r of bindings(planned)) {
      const b = binding(r);
      expect(r.parentType, r.name).toBe("tenancy:k8s:TenantAccess");
      expect(b.metadata.labels["tenancy.io/tenant"], r.name).toBe(r.tenant);
      if (b.metadata.namespace !== undefined) {
        const owner = model.tenants.find((t) => t.namespaces.some((n) => n.name === b.metadata.namespace));
        expect(r.tenant, r.name).toBe(owner?.id);
      }
    }
    expect(findObject(planned, "RoleBinding", "bob-staging/tenant-member-alice").tenant).toBe("bob");
  });

  it("binds Group <oidc.groupsPrefix><rbac.groupPrefix><id> when the environment's rbac.subject is group", async () => {
    const env = exampleEnvironmentData();
    env.rbac = { subject: "group", groupPrefix: "tenant:" };
    const grouped = await planOf(exampleWithEnvironment(env));
    const subjects = (ns: string) => binding(findObject(grouped, "RoleBinding", ns)).subjects;
    expect(subjects("alice-dev/tenant-owner")).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "oidc:tenant:alice" },
    ]);
    expect(subjects("bob-staging/tenant-member-alice")).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "oidc:tenant:alice" },
    ]);
    expect(binding(findObject(grouped, "ClusterRoleBinding", "tenancy-tenant-carol")).subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "oidc:tenant:carol" },
    ]);
    // the same grants, only the subjects differ
    const asUsers = grants(planned).map((g) =>
      g.replace(/User oidc:(\w+)@example\.com$/, "Group oidc:tenant:$1"),
    );
    expect(grants(grouped)).toEqual(asUsers);
  });

  it("creates the shared ClusterRoles once, whatever the number of tenants", async () => {
    const clusterRoles = (rs: PlannedResource[]) => rs.filter((r) => r.inputs.kind === "ClusterRole");
    const SHARED = [
      "ClusterRole tenancy-bundle-gpu-jobs",
      "ClusterRole tenancy-bundle-node-viewer",
      "ClusterRole tenancy-cluster-reader",
      "ClusterRole tenancy-namespace-developer",
      "ClusterRole tenancy-namespace-manager",
      "ClusterRole tenancy-namespace-manager-rolebindings",
      "ClusterRole tenancy-namespace-owner",
      "ClusterRole tenancy-namespace-viewer",
      "ClusterRole tenancy-power-user",
    ];
    const big = registryOf(generatedTenants(20));
    const bigPlan = await planOf(big);
    for (const rs of [planned, bigPlan]) {
      expect(objectNames(clusterRoles(rs))).toEqual(SHARED);
      for (const r of clusterRoles(rs)) {
        expect(r.tenant, r.name).toBeUndefined();
        expect(r.parentType, r.name).toBe("tenancy:k8s:SharedClusterRoles");
      }
      // no per-tenant Roles either: every binding refers to a shared or a built-in ClusterRole
      expect(rs.filter((r) => r.inputs.kind === "Role")).toEqual([]);
      const refs = new Set(bindings(rs).map((r) => `${binding(r).roleRef.kind} ${binding(r).roleRef.name}`));
      for (const ref of refs) expect([...SHARED, "ClusterRole cluster-admin"], ref).toContain(ref);
    }
    // the big registry does produce per-tenant bindings: one ClusterRoleBinding per active tenant that has one
    // at cluster scope (power users, admins; namespace owners of no clusterReader tier have none)
    const active = big.tenants.filter(
      (t) => !t.offboarding && (t.role !== "namespace-owner" || t.clusterReader),
    );
    expect(active.length).toBe(3);
    expect(bindings(bigPlan).filter((r) => r.inputs.kind === "ClusterRoleBinding").length).toBe(
      active.length,
    );
  });
});

describe("offboarding", () => {
  it("leaves the offboarding tenant (dave) no bindings at all", () => {
    const dave = model.tenants.find((t) => t.id === "dave")!;
    expect(dave.offboarding).toBe(true);
    expect(bindings(planned.filter((r) => r.tenant === "dave"))).toEqual([]);
    expect(planned.filter((r) => r.parentType === "tenancy:k8s:TenantAccess" && r.tenant === "dave")).toEqual(
      [],
    );
    const subjects = bindings(planned).flatMap((r) => binding(r).subjects.map((s) => s.name));
    expect(subjects.filter((s) => s.includes("dave"))).toEqual([]);
    // its namespace stays (phase one revokes access only)
    expect(findObject(planned, "Namespace", "dave").protect).toBe(false);
  });

  it("removes an offboarding member's bindings in other tenants in the same plan, and only those", async () => {
    const changed = structuredClone(model);
    changed.tenants.find((t) => t.id === "alice")!.offboarding = true;
    const after = await planOf(changed);

    // bob's binding for alice is gone; everything else of bob's is unchanged, input for input
    const bobBefore = planned.filter((r) => r.tenant === "bob");
    const bobAfter = after.filter((r) => r.tenant === "bob");
    expect(objectNames(bobBefore).filter((n) => !objectNames(bobAfter).includes(n))).toEqual([
      "RoleBinding bob-staging/tenant-member-alice",
    ]);
    expect(bobAfter).toEqual(
      bobBefore.filter((r) => describeResource(r) !== "RoleBinding bob-staging/tenant-member-alice"),
    );
    expect(grants(bobAfter)).toEqual([
      "ClusterRoleBinding tenancy-tenant-bob -> ClusterRole tenancy-power-user <- User oidc:bob@example.com",
      "RoleBinding bob-prod/tenant-member-carol -> ClusterRole tenancy-namespace-owner <- User oidc:carol@example.com",
      "RoleBinding bob-prod/tenant-owner -> ClusterRole tenancy-namespace-owner <- User oidc:bob@example.com",
      "RoleBinding bob-staging/tenant-member-carol -> ClusterRole tenancy-namespace-owner <- User oidc:carol@example.com",
      "RoleBinding bob-staging/tenant-owner -> ClusterRole tenancy-namespace-owner <- User oidc:bob@example.com",
    ]);

    // alice herself: no bindings, namespaces kept but unprotected
    expect(bindings(after.filter((r) => r.tenant === "alice"))).toEqual([]);
    expect(after.filter((r) => r.tenant === "alice" && r.protect)).toEqual([]);
    expect(objectNames(after.filter((r) => r.tenant === "alice" && isKubernetesObject(r)))).toContain(
      "Namespace alice-dev",
    );
    // no binding anywhere names alice any more
    expect(
      bindings(after)
        .flatMap((r) => binding(r).subjects)
        .filter((s) => s.name.includes("alice")),
    ).toEqual([]);
    // other tenants are untouched
    for (const t of ["carol", "dave", undefined])
      expect(
        after.filter((r) => r.tenant === t),
        String(t),
      ).toEqual(planned.filter((r) => r.tenant === t));
  });
});
