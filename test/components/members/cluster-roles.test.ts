/**
 * Isolation rules for RBAC (ARCHITECTURE.md), checked on the ClusterRoles as the plan would create them:
 * - no ClusterRole bound at cluster scope to a namespace-owner tenant grants any namespaced resource;
 * - no tenant-bound role (the namespace roles once aggregated, with Kubernetes' own contributions) has
 *   escalate, bind, "*", nor impersonate beyond service accounts, nor write access to Namespaces,
 *   ResourceQuotas, LimitRanges, Endpoints, EndpointSlices, services/status or cluster-wide RBAC;
 * - owners write Roles, RoleBindings and NetworkPolicies; developers do not write RBAC; viewers only read;
 * - power users see no secrets and cannot exec, attach or port-forward.
 * Each checker is also shown a role that breaks its rule, so these tests can fail.
 */
import { LAYERS } from "../../../stacks/layers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterRoleData,
  KUBERNETES_AGGREGATED,
  MANAGER_RULES,
  namespaceRoleAggregation,
  resolveAggregation,
} from "../../../components/members/aggregation";
import {
  CLUSTER_READER_RULES,
  CLUSTER_ROLE_FOR,
  NAMESPACE_ROLE_FOR,
  POWER_USER_RULES,
} from "../../../components/members/rbac";
import { type Plan, type PlannedResource, buildPlan } from "../../../plan/plan";
import type { RegistryModel } from "../../../registry/model";
import {
  exampleEnvironmentData,
  exampleWithEnvironment,
  findObject,
  loadExample,
  platformStack,
  onDefaultCluster,
} from "../../plan/registries";

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

const FORBIDDEN_VERBS = ["escalate", "bind", "*"];
const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];
/** What tenants must never write (a subresource such as `namespaces/finalize` counts as its resource). */
const PLATFORM_OWNED = [
  "namespaces",
  "resourcequotas",
  "limitranges",
  "endpoints",
  "endpointslices",
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
    // impersonating service accounts of the namespace is edit's; anything else is not
    if (r.verbs.includes("impersonate") && (r.resources ?? []).some((x) => x !== "serviceaccounts"))
      out.push(`rule ${i}: verb impersonate`);
    for (const g of r.apiGroups ?? []) if (g === "*") out.push(`rule ${i}: apiGroup *`);
    for (const res of r.resources ?? []) if (res.includes("*")) out.push(`rule ${i}: resource ${res}`);
  });
  for (const g of grantsOf(rules)) {
    const base = g.resource.split("/")[1]!;
    const writes = g.verbs.filter((v) => WRITE_VERBS.includes(v));
    const owned = PLATFORM_OWNED.includes(base) || g.resource === "core/services/status";
    if (owned && writes.length > 0) out.push(`${g.resource}: ${writes.join(",")}`);
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
  planned = onDefaultCluster(model, platformStack(plan).resources);
});

/** The planned ClusterRoles, as the aggregation resolver takes them. */
const plannedRoles = (): ClusterRoleData[] =>
  planned
    .filter((r) => r.inputs.kind === "ClusterRole")
    .map((r) => {
      const i = r.inputs as unknown as ClusterRoleData & {
        metadata: { name: string; labels: Record<string, string> };
      };
      return {
        name: i.metadata.name,
        labels: i.metadata.labels,
        rules: i.rules ?? [],
        ...(i.aggregationRule ? { aggregationRule: i.aggregationRule } : {}),
      };
    });
/** A role's rules once the cluster has aggregated them (Kubernetes' own contributions included). */
const plannedRules = (name: string) =>
  resolveAggregation([...KUBERNETES_AGGREGATED, ...plannedRoles()]).get(name) as Rule[];
const TENANT_BOUND = [
  CLUSTER_ROLE_FOR["namespace-owner"],
  CLUSTER_ROLE_FOR["power-user"],
  NAMESPACE_ROLE_FOR.owner,
  NAMESPACE_ROLE_FOR.manager,
  NAMESPACE_ROLE_FOR.developer,
  NAMESPACE_ROLE_FOR.viewer,
];
/** Resource -> every verb a role grants on it, over all its rules. */
const grants = (name: string) => {
  const out = new Map<string, string[]>();
  for (const g of grantsOf(plannedRules(name)))
    out.set(g.resource, [...(out.get(g.resource) ?? []), ...g.verbs]);
  return out;
};

describe("the planned shared ClusterRoles", () => {
  it("are the six tenant-bound roles: two with their rules, four aggregated like admin, edit (twice) and view", () => {
    expect(TENANT_BOUND).toEqual([
      "tenancy-cluster-reader",
      "tenancy-power-user",
      "tenancy-namespace-owner",
      "tenancy-namespace-manager",
      "tenancy-namespace-developer",
      "tenancy-namespace-viewer",
    ]);
    expect(
      plannedRoles()
        .map((r) => r.name)
        .sort(),
    ).toEqual(
      [
        ...TENANT_BOUND,
        "tenancy-namespace-manager-rolebindings",
        "tenancy-bundle-gpu-jobs",
        "tenancy-bundle-node-viewer",
      ].sort(),
    );
    expect(plannedRules("tenancy-cluster-reader")).toEqual(CLUSTER_READER_RULES);
    expect(plannedRules("tenancy-power-user")).toEqual(POWER_USER_RULES);
    for (const role of ["owner", "manager", "developer", "viewer"] as const) {
      const r = plannedRoles().find((x) => x.name === NAMESPACE_ROLE_FOR[role])!;
      expect(r.rules, role).toEqual([]);
      expect(r.aggregationRule).toEqual(namespaceRoleAggregation(role));
    }
    // Kubernetes' own, resolved the same way: the tenancy roles hold exactly admin, edit and view
    const all = resolveAggregation([...KUBERNETES_AGGREGATED, ...plannedRoles()]);
    expect(all.get("tenancy-namespace-owner")).toEqual(all.get("admin"));
    expect(all.get("tenancy-namespace-developer")).toEqual(all.get("edit"));
    expect(all.get("tenancy-namespace-viewer")).toEqual(all.get("view"));
    // a manager: edit, and RoleBinding writes (members invited and removed), reading Roles
    expect(all.get("tenancy-namespace-manager")).toEqual([...all.get("edit")!, ...MANAGER_RULES]);
  });

  it("a manager writes RoleBindings and what a developer writes, but no Roles, escalate or bind", () => {
    const manager = grants("tenancy-namespace-manager");
    const developer = grants("tenancy-namespace-developer");
    expect(manager.get("rbac.authorization.k8s.io/rolebindings")).toEqual(
      expect.arrayContaining(["create", "update", "patch", "delete", "get", "list"]),
    );
    expect(manager.get("rbac.authorization.k8s.io/roles")).toEqual(["get", "list", "watch"]);
    for (const [res, verbs] of developer) expect(manager.get(res), res).toEqual(verbs);
    expect(privilegeBreaches(plannedRules("tenancy-namespace-manager"))).toEqual([]);
  });

  it("bind tenants only to these roles, and cluster-admin for admins", () => {
    const refs = planned
      .filter((r) => r.inputs.kind === "RoleBinding" || r.inputs.kind === "ClusterRoleBinding")
      .map((r) => {
        const roleRef = (r.inputs as { roleRef: { kind: string; name: string } }).roleRef;
        return `${r.inputs.kind as string} -> ${roleRef.kind} ${roleRef.name}`;
      });
    expect([...new Set(refs)].sort()).toEqual([
      "ClusterRoleBinding -> ClusterRole cluster-admin",
      "ClusterRoleBinding -> ClusterRole tenancy-power-user",
      "RoleBinding -> ClusterRole tenancy-namespace-developer",
      "RoleBinding -> ClusterRole tenancy-namespace-owner",
      "RoleBinding -> ClusterRole tenancy-namespace-viewer",
    ]);
  });

  it("owners write Roles, RoleBindings and NetworkPolicies; developers do not write RBAC; viewers only read", () => {
    const owner = grants("tenancy-namespace-owner");
    for (const res of [
      "rbac.authorization.k8s.io/roles",
      "rbac.authorization.k8s.io/rolebindings",
      "networking.k8s.io/networkpolicies",
    ])
      expect(owner.get(res), res).toEqual(expect.arrayContaining(["create", "update", "delete"]));
    const developer = grants("tenancy-namespace-developer");
    expect(developer.get("networking.k8s.io/networkpolicies")).toContain("create");
    expect(developer.has("rbac.authorization.k8s.io/rolebindings")).toBe(false);
    const viewer = grantsOf(plannedRules("tenancy-namespace-viewer"));
    expect(viewer.flatMap((g) => g.verbs.filter((v) => !["get", "list", "watch"].includes(v)))).toEqual([]);
    expect(viewer.map((g) => g.resource)).not.toContain("core/secrets");
  });

  it("take the environment's extra rules through tenancy's label, a viewer's reaching the roles above it", async () => {
    const env = exampleEnvironmentData();
    const rule = {
      apiGroups: ["monitoring.coreos.com"],
      resources: ["servicemonitors"],
      verbs: ["get", "list"],
    };
    env.rbac.extraRules = { viewer: [rule] };
    const p = await buildPlan(exampleWithEnvironment(env), LAYERS);
    const roles = platformStack(p)
      .resources.filter((r) => r.inputs.kind === "ClusterRole")
      .map((r) => {
        const i = r.inputs as unknown as ClusterRoleData & { metadata: ClusterRoleData };
        return { ...i, name: i.metadata.name, labels: i.metadata.labels, rules: i.rules ?? [] };
      });
    const all = resolveAggregation([...KUBERNETES_AGGREGATED, ...roles]);
    for (const role of ["tenancy-namespace-viewer", "tenancy-namespace-developer", "tenancy-namespace-owner"])
      expect(all.get(role), role).toContainEqual(rule);
    expect(all.get("admin")).not.toContainEqual(rule);
    // and an extra rule may not cross the isolation rules
    env.rbac.extraRules = { owner: [{ apiGroups: [""], resources: ["resourcequotas"], verbs: ["update"] }] };
    expect(() => exampleWithEnvironment(env)).toThrow(
      /rbac\.extraRules\.owner\[0\]\.resources: a namespace owner may not write "resourcequotas"/,
    );
  });
});

describe("cluster scope for namespace owners", () => {
  it("a namespace owner has no binding at cluster scope unless its tier says clusterReader", () => {
    const owners = model.tenants.filter((t) => t.role === "namespace-owner" && !t.offboarding);
    expect(owners.map((t) => t.id)).toEqual(["alice"]);
    expect(() => findObject(planned, "ClusterRoleBinding", "tenancy-tenant-alice")).toThrow();
  });

  it("every ClusterRole bound at cluster scope to a namespace-owner tenant grants cluster-scoped resources only", async () => {
    const env = exampleEnvironmentData();
    env.tiers.standard.clusterReader = true;
    const reading = exampleWithEnvironment(env);
    const readingPlan = onDefaultCluster(reading, platformStack(await buildPlan(reading, LAYERS)).resources);
    const owners = reading.tenants.filter((t) => t.role === "namespace-owner" && !t.offboarding);
    expect(owners.map((t) => t.id)).toEqual(["alice"]);
    for (const t of owners) {
      const crb = findObject(readingPlan, "ClusterRoleBinding", `tenancy-tenant-${t.id}`);
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
    expect(breach({ apiGroups: [""], resources: ["users"], verbs: ["impersonate"] })).toEqual([
      `rule ${base.length}: verb impersonate`,
    ]);
    expect(breach({ apiGroups: [""], resources: ["services/status"], verbs: ["patch"] })).toEqual([
      "core/services/status: patch",
    ]);
    expect(breach({ apiGroups: ["*"], resources: ["pods"], verbs: ["get"] })).toEqual([
      `rule ${base.length}: apiGroup *`,
    ]);
    expect(breach({ apiGroups: [""], resources: ["*"], verbs: ["get"] })).toEqual([
      `rule ${base.length}: resource *`,
    ]);
    expect(
      breach({ apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["patch"] }),
    ).toEqual(["discovery.k8s.io/endpointslices: patch"]);
    expect(breach({ apiGroups: [""], resources: ["namespaces/finalize"], verbs: ["update"] })).toEqual([
      "core/namespaces/finalize: update",
    ]);
    for (const [group, resource] of [
      ["", "namespaces"],
      ["", "resourcequotas"],
      ["", "limitranges"],
      ["", "endpoints"],
      ["rbac.authorization.k8s.io", "clusterroles"],
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

  it("developers and owners write secrets; only owners bind", () => {
    expect(secretWrites(plannedRules("tenancy-namespace-developer")).sort()).toEqual([...WRITE_VERBS].sort());
    expect(secretWrites(plannedRules("tenancy-namespace-owner")).sort()).toEqual([...WRITE_VERBS].sort());
  });
});
