/**
 * Isolation rules for RBAC (ARCHITECTURE.md), checked on the ClusterRoles as the plan would create them:
 * - no ClusterRole bound at cluster scope to a namespace-owner tenant grants any namespaced resource;
 * - no tenant-bound role has escalate, bind, impersonate or "*", nor write access to Namespaces,
 *   ResourceQuotas, LimitRanges, NetworkPolicies or RBAC objects;
 * - power users see no secrets and cannot exec, attach or port-forward; developers cannot write secrets.
 * Each checker is also shown a role that breaks its rule, so these tests can fail.
 */
import { LAYERS } from "../../stacks/layers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CLUSTER_READER_RULES,
  CLUSTER_ROLE_FOR,
  NAMESPACE_DEVELOPER_RULES,
  NAMESPACE_OWNER_RULES,
  NAMESPACE_ROLE_FOR,
  POWER_USER_RULES,
} from "../../policy/rbac";
import { type Plan, type PlannedResource, buildPlan } from "../../plan/plan";
import type { RegistryModel } from "../../registry/model";
import { findObject, loadExample, platformStack } from "../plan/registries";

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
  resourceNames?: string[];
}

/**
 * The cluster-scoped resources of Kubernetes (`kubectl api-resources --namespaced=false`, v1.30-1.32),
 * as `group/resource` with "core" for the core group. Anything not listed here is treated as namespaced,
 * so a rule naming an unknown or new resource fails the check rather than slipping through.
 */
const CLUSTER_SCOPED = new Set([
  "core/namespaces",
  "core/nodes",
  "core/persistentvolumes",
  "core/componentstatuses",
  "admissionregistration.k8s.io/mutatingwebhookconfigurations",
  "admissionregistration.k8s.io/validatingwebhookconfigurations",
  "admissionregistration.k8s.io/validatingadmissionpolicies",
  "admissionregistration.k8s.io/validatingadmissionpolicybindings",
  "apiextensions.k8s.io/customresourcedefinitions",
  "apiregistration.k8s.io/apiservices",
  "authentication.k8s.io/selfsubjectreviews",
  "authentication.k8s.io/tokenreviews",
  "authorization.k8s.io/selfsubjectaccessreviews",
  "authorization.k8s.io/selfsubjectrulesreviews",
  "authorization.k8s.io/subjectaccessreviews",
  "certificates.k8s.io/certificatesigningrequests",
  "flowcontrol.apiserver.k8s.io/flowschemas",
  "flowcontrol.apiserver.k8s.io/prioritylevelconfigurations",
  "networking.k8s.io/ingressclasses",
  "networking.k8s.io/ipaddresses",
  "networking.k8s.io/servicecidrs",
  "node.k8s.io/runtimeclasses",
  "rbac.authorization.k8s.io/clusterroles",
  "rbac.authorization.k8s.io/clusterrolebindings",
  "resource.k8s.io/deviceclasses",
  "resource.k8s.io/resourceslices",
  "scheduling.k8s.io/priorityclasses",
  "storage.k8s.io/csidrivers",
  "storage.k8s.io/csinodes",
  "storage.k8s.io/storageclasses",
  "storage.k8s.io/volumeattachments",
]);

const FORBIDDEN_VERBS = ["escalate", "bind", "impersonate", "*"];
const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];
/** What tenants must never write (a subresource such as `namespaces/finalize` counts as its resource). */
const PLATFORM_OWNED = [
  "namespaces",
  "resourcequotas",
  "limitranges",
  "networkpolicies",
  "roles",
  "rolebindings",
  "clusterroles",
  "clusterrolebindings",
];

/** Every (group/resource, verbs) a set of rules grants. */
function grantsOf(rules: Rule[]): { resource: string; verbs: string[] }[] {
  return rules.flatMap((r) =>
    (r.apiGroups ?? []).flatMap((g) =>
      (r.resources ?? []).map((res) => ({ resource: `${g === "" ? "core" : g}/${res}`, verbs: r.verbs })),
    ),
  );
}

/** Resources of the rules that are namespaced (not in CLUSTER_SCOPED), plus any non-resource URL grant. */
function namespacedResources(rules: Rule[]): string[] {
  return [
    ...grantsOf(rules)
      .map((g) => g.resource)
      .filter((r) => !CLUSTER_SCOPED.has(r)),
    ...rules.flatMap((r) => r.nonResourceURLs ?? []).map((u) => `url:${u}`),
  ];
}

/** Breaches of the rules every tenant-bound role keeps. */
function privilegeBreaches(rules: Rule[]): string[] {
  const out: string[] = [];
  rules.forEach((r, i) => {
    for (const v of r.verbs) if (FORBIDDEN_VERBS.includes(v)) out.push(`rule ${i}: verb ${v}`);
    for (const g of r.apiGroups ?? []) if (g === "*") out.push(`rule ${i}: apiGroup *`);
    for (const res of r.resources ?? []) if (res.includes("*")) out.push(`rule ${i}: resource ${res}`);
  });
  for (const g of grantsOf(rules)) {
    const base = g.resource.split("/")[1]!;
    const writes = g.verbs.filter((v) => WRITE_VERBS.includes(v));
    if (PLATFORM_OWNED.includes(base) && writes.length > 0) out.push(`${g.resource}: ${writes.join(",")}`);
  }
  return out;
}

/** Power users: nothing on secrets, no interactive access to pods, no token minting. */
function powerUserBreaches(rules: Rule[]): string[] {
  const banned = [
    "core/secrets",
    "core/pods/exec",
    "core/pods/attach",
    "core/pods/portforward",
    "core/serviceaccounts/token",
  ];
  return grantsOf(rules)
    .filter((g) => banned.includes(g.resource))
    .map((g) => `${g.resource}: ${g.verbs.join(",")}`);
}

/** Verbs other than reading on secrets. */
function secretWrites(rules: Rule[]): string[] {
  return grantsOf(rules)
    .filter((g) => g.resource === "core/secrets")
    .flatMap((g) => g.verbs.filter((v) => !["get", "list", "watch"].includes(v)));
}

let model: RegistryModel;
let plan: Plan;
let planned: PlannedResource[];
beforeAll(async () => {
  model = await loadExample();
  plan = await buildPlan(model, LAYERS);
  planned = platformStack(plan).resources;
});

const plannedRules = (name: string) =>
  (findObject(planned, "ClusterRole", name).inputs as unknown as { rules: Rule[] }).rules;
const TENANT_BOUND = [
  CLUSTER_ROLE_FOR["namespace-owner"],
  CLUSTER_ROLE_FOR["power-user"],
  NAMESPACE_ROLE_FOR.owner,
  NAMESPACE_ROLE_FOR.developer,
];

describe("the planned shared ClusterRoles", () => {
  it("are the four tenant-bound roles, with the rules the component defines", () => {
    expect(TENANT_BOUND).toEqual([
      "tenancy-cluster-reader",
      "tenancy-power-user",
      "tenancy-namespace-owner",
      "tenancy-namespace-developer",
    ]);
    expect(plannedRules("tenancy-cluster-reader")).toEqual(CLUSTER_READER_RULES);
    expect(plannedRules("tenancy-power-user")).toEqual(POWER_USER_RULES);
    expect(plannedRules("tenancy-namespace-owner")).toEqual(NAMESPACE_OWNER_RULES);
    expect(plannedRules("tenancy-namespace-developer")).toEqual(NAMESPACE_DEVELOPER_RULES);
  });

  it("bind tenants only to themselves, Kubernetes' view inside a namespace, and cluster-admin for admins", () => {
    const refs = planned
      .filter((r) => r.inputs.kind === "RoleBinding" || r.inputs.kind === "ClusterRoleBinding")
      .map((r) => {
        const roleRef = (r.inputs as { roleRef: { kind: string; name: string } }).roleRef;
        return `${r.inputs.kind as string} -> ${roleRef.kind} ${roleRef.name}`;
      });
    expect([...new Set(refs)].sort()).toEqual([
      "ClusterRoleBinding -> ClusterRole cluster-admin",
      "ClusterRoleBinding -> ClusterRole tenancy-cluster-reader",
      "ClusterRoleBinding -> ClusterRole tenancy-power-user",
      "RoleBinding -> ClusterRole tenancy-namespace-developer",
      "RoleBinding -> ClusterRole tenancy-namespace-owner",
      "RoleBinding -> ClusterRole view",
    ]);
  });
});

describe("cluster scope for namespace owners", () => {
  it("every ClusterRole bound at cluster scope to a namespace-owner tenant grants cluster-scoped resources only", () => {
    const owners = model.tenants.filter((t) => t.role === "namespace-owner" && !t.offboarding);
    expect(owners.map((t) => t.id)).toEqual(["alice"]);
    for (const t of owners) {
      const crb = findObject(planned, "ClusterRoleBinding", `tenancy-tenant-${t.id}`);
      const roleName = (crb.inputs as { roleRef: { name: string } }).roleRef.name;
      expect(roleName).toBe("tenancy-cluster-reader");
      const rules = plannedRules(roleName);
      expect(grantsOf(rules).length).toBeGreaterThan(0);
      expect(namespacedResources(rules), roleName).toEqual([]);
    }
  });

  it("the check catches a namespaced resource, a wildcard and a non-resource URL", () => {
    const rules = plannedRules("tenancy-cluster-reader");
    expect(namespacedResources([...rules, { apiGroups: [""], resources: ["pods"], verbs: ["get"] }])).toEqual(
      ["core/pods"],
    );
    expect(
      namespacedResources([...rules, { apiGroups: ["apps"], resources: ["*"], verbs: ["get"] }]),
    ).toEqual(["apps/*"]);
    expect(namespacedResources([...rules, { nonResourceURLs: ["/metrics"], verbs: ["get"] }])).toEqual([
      "url:/metrics",
    ]);
    // the built-in `view` at cluster scope is exactly what the rule forbids
    expect(
      namespacedResources([{ apiGroups: [""], resources: ["configmaps", "namespaces"], verbs: ["get"] }]),
    ).toEqual(["core/configmaps"]);
  });
});

describe("tenant-bound roles", () => {
  it("have no escalate, bind, impersonate or *, and no write access to what the platform owns", () => {
    for (const name of TENANT_BOUND) expect(privilegeBreaches(plannedRules(name)), name).toEqual([]);
  });

  it("the check catches each forbidden verb, a wildcard and each platform-owned write", () => {
    const base = plannedRules("tenancy-namespace-owner");
    const breach = (rule: Rule) => privilegeBreaches([...base, rule]);
    for (const verb of ["escalate", "bind", "impersonate", "*"])
      expect(
        breach({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: [verb] }),
      ).toContain(`rule ${base.length}: verb ${verb}`);
    expect(breach({ apiGroups: ["*"], resources: ["pods"], verbs: ["get"] })).toEqual([
      `rule ${base.length}: apiGroup *`,
    ]);
    expect(breach({ apiGroups: [""], resources: ["*"], verbs: ["get"] })).toEqual([
      `rule ${base.length}: resource *`,
    ]);
    expect(
      breach({ apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["patch"] }),
    ).toEqual(["networking.k8s.io/networkpolicies: patch"]);
    expect(breach({ apiGroups: [""], resources: ["namespaces/finalize"], verbs: ["update"] })).toEqual([
      "core/namespaces/finalize: update",
    ]);
    for (const [group, resource] of [
      ["", "namespaces"],
      ["", "resourcequotas"],
      ["", "limitranges"],
      ["rbac.authorization.k8s.io", "rolebindings"],
      ["rbac.authorization.k8s.io", "clusterrolebindings"],
    ] as const)
      expect(breach({ apiGroups: [group], resources: [resource], verbs: ["delete"] }), resource).toHaveLength(
        1,
      );
  });

  it("power users see no secrets and cannot exec, attach or port-forward", () => {
    const rules = plannedRules("tenancy-power-user");
    expect(powerUserBreaches(rules)).toEqual([]);
    expect(grantsOf(rules).map((g) => g.resource)).toContain("core/pods");
    expect(
      powerUserBreaches([...rules, { apiGroups: [""], resources: ["secrets", "pods/exec"], verbs: ["get"] }]),
    ).toEqual(["core/secrets: get", "core/pods/exec: get"]);
    // and it reads, never writes
    expect(
      grantsOf(rules).flatMap((g) => g.verbs.filter((v) => !["get", "list", "watch"].includes(v))),
    ).toEqual([]);
  });

  it("so do the namespaced Roles any layer gives tenants (e.g. the vault layer's deployer Roles)", () => {
    const roles = plan.stacks.flatMap((s) => s.resources.filter((r) => r.inputs.kind === "Role"));
    for (const r of roles) {
      expect(r.tenant, r.name).toBeDefined();
      expect(privilegeBreaches((r.inputs as unknown as { rules: Rule[] }).rules), r.name).toEqual([]);
    }
  });

  it("developers read secrets but cannot write them (owners can)", () => {
    expect(secretWrites(plannedRules("tenancy-namespace-developer"))).toEqual([]);
    expect(
      grantsOf(plannedRules("tenancy-namespace-developer")).filter((g) => g.resource === "core/secrets"),
    ).toEqual([{ resource: "core/secrets", verbs: ["get", "list", "watch"] }]);
    expect(secretWrites(plannedRules("tenancy-namespace-owner"))).toEqual(WRITE_VERBS);
    expect(grantsOf(plannedRules("tenancy-namespace-developer")).map((g) => g.resource)).not.toContain(
      "core/serviceaccounts/token",
    );
  });
});
