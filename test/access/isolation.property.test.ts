/**
 * Isolation, as a property: generated registries (prefix-sharing ids such as `alice` / `alice-dev`,
 * namespaces named after other tenants' ids plus a suffix, members, CI, offboarding tenants, both Vault KV
 * layouts) are planned, the access matrix computed, and no principal of one tenant may reach another
 * tenant's Vault paths, deployer credentials or namespaces, except namespaces it was invited into.
 * Cluster-wide reach belongs only to the declared shared principals.
 *
 * Two properties: the planned one (buildPlan + accessMatrix, the real thing, ~0.3-0.6 s per registry) and a
 * pure one over many more registries, with the policies computed by components/vault/policy.ts directly.
 * A test injects bad grants into a plan to show the checker reports them.
 */
import { LAYERS } from "../../stacks/layers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLUSTER_SCOPED_RESOURCES } from "../../components/members/rbac";
import {
  type PolicyRule,
  type VaultPaths,
  deployerCredsRule,
  parsePolicy,
  tenantPolicyRules,
} from "../../components/vault/policy";
import { type AccessRow, accessMatrix } from "../../plan/access";
import { type Plan, type PlannedResource, buildPlan } from "../../plan/plan";
import { capabilitiesOn } from "../../components/vault/acl";
import { namespaceCiRoleName, tenantCiRoleName } from "../../components/ci/specs";
import { type RegistryModel, type TenantModel, ancestors } from "../../registry/model";
import { tenantSubject } from "../../components/members/rbac";
import { type Request, admit, clusterOf, request } from "../helpers/admission";
import { InvalidInputError } from "../../components/core/problems";
import type { TenantFileInput } from "../../registry/schema";
import { exampleEnvironmentData, registryOf, withSharedCi } from "../plan/registries";
import { generatedRegistries } from "../helpers/generated-registries";
import { serviceAccountViolations } from "../helpers/service-account-reach";
import { type NetworkWorld, addressReach, decide, podReach } from "../helpers/network-reach";

// ---------------------------------------------------------------------------------------------------------
// Generated registries (test/helpers/generated-registries.ts), without the features this property predates

const registries = generatedRegistries(false);
/**
 * The same with AdminNetworkPolicies on, on clusters that do not bound tenants' NetworkPolicies (the networkPolicies
 * admission policy off, as on a cluster without it): the AdminNetworkPolicies alone keep tenants apart.
 */
const anpRegistries = generatedRegistries(false, (env) => {
  env.network.adminNetworkPolicy = { enabled: true };
  env.admission.policies = { ...env.admission.policies, networkPolicies: false };
});

// ---------------------------------------------------------------------------------------------------------
// The checker

function layoutOf(model: RegistryModel): VaultPaths {
  const { kvMount, tenantPaths, tenantPrefix, kubernetesSecretsMount, sops } = model.environment.vault;
  return { kvMount, tenantPaths, tenantPrefix, kubernetesSecretsMount, ...(sops ? { sops } : {}) };
}

/** A namespace's SOPS transit paths, written from the documented layout (not from the policy builder). */
const transitPaths = (model: RegistryModel, ns: string) => {
  const sops = model.environment.vault.sops;
  return sops ? ["encrypt", "decrypt"].map((op) => `${sops.mount}/${op}/${sops.keyPrefix}${ns}`) : [];
};

/**
 * Paths inside a tenant's KV space, written from the documented path layouts (not from the policy builder);
 * per namespace: each of its namespaces' (`active`: those not offboarding).
 */
function samplePaths(model: RegistryModel, tenant: string, active = false): string[] {
  const { kvMount: kv, tenantPaths, tenantPrefix } = model.environment.vault;
  if (tenantPaths === "per-namespace")
    return model.tenants
      .find((t) => t.id === tenant)!
      .namespaces.filter((n) => !active || !n.offboarding)
      .flatMap((n) => [`${kv}/data/${n.name}/x`, `${kv}/metadata/${n.name}/x`]);
  if (tenantPaths === "top-level")
    return ["data", "metadata"].flatMap((k) => [`${kv}/${k}/${tenant}`, `${kv}/${k}/${tenant}/x`]);
  return ["data", "metadata"].map((k) => `${kv}/${k}/${tenantPrefix}/${tenant}/x`);
}
/** The environment's default cluster, read from the environment as documented (not from components/clusters/placement.ts). */
const homeCluster = (model: RegistryModel) =>
  (model.environment.clusters.find((c) => c.default) ?? model.environment.clusters[0]!).name;
const credsPath = (model: RegistryModel, ns: string) =>
  `${model.environment.vault.kubernetesSecretsMount}/creds/${ns}-deployer`;

/** A Vault identity: an entity (tenant login), a JWT role (tenant CI) or a Kubernetes auth role (shared CI). */
interface VaultPrincipal {
  name: string;
  tenant?: string;
  rules: PolicyRule[];
}

const SHARED_CI = (model: RegistryModel) =>
  model.environment.ci.shared
    ? `vault-k8s-auth:${model.environment.ci.shared.authMount}/${model.environment.ci.shared.role}`
    : undefined;

/** Vault principals as the plan defines them: identities and auth roles, with the rules of their policies. */
function vaultPrincipals(plan: Plan, problems: string[]): VaultPrincipal[] {
  const resources = plan.stacks.flatMap((s) => s.resources);
  const policies = new Map<string, PolicyRule[]>();
  for (const p of resources.filter((r) => r.type === "vault:index/policy:Policy")) {
    const name = String(p.inputs.name);
    if (policies.has(name)) problems.push(`policy ${name} is planned twice`);
    policies.set(name, parsePolicy(String(p.inputs.policy)));
  }
  const rulesOf = (names: unknown) => ((names ?? []) as string[]).flatMap((n) => policies.get(n) ?? []);
  const kinds: [string, string, (r: PlannedResource) => string, string][] = [
    ["vault:identity/entity:Entity", "vault-entity", (r) => String(r.inputs.name), "policies"],
    [
      "vault:jwt/authBackendRole:AuthBackendRole",
      "vault-jwt",
      (r) => `${r.inputs.backend}/${r.inputs.roleName}`,
      "tokenPolicies",
    ],
    [
      "vault:kubernetes/authBackendRole:AuthBackendRole",
      "vault-k8s-auth",
      (r) => `${r.inputs.backend}/${r.inputs.roleName}`,
      "tokenPolicies",
    ],
  ];
  return kinds.flatMap(([type, prefix, name, field]) =>
    resources
      .filter((r) => r.type === type)
      .map((r) => ({
        name: `${prefix}:${name(r)}`,
        ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
        rules: rulesOf(r.inputs[field]),
      })),
  );
}

/** (a) and (b): Vault paths and deployer credentials of other tenants; each tenant's own reach; the shared CI's. */
function vaultViolations(model: RegistryModel, principals: VaultPrincipal[]): string[] {
  const out: string[] = [];
  const active = model.tenants.filter((t) => !t.offboarding);
  const shared = SHARED_CI(model);
  for (const p of principals) {
    if (p.tenant === undefined && p.name !== shared)
      out.push(`${p.name} belongs to no tenant and is not the declared shared CI identity`);
    for (const b of model.tenants) {
      if (b.id === p.tenant) continue;
      for (const path of samplePaths(model, b.id)) {
        const caps = capabilitiesOn(p.rules, path);
        if (caps.length > 0)
          out.push(`${p.name} (tenant ${p.tenant ?? "-"}) has ${caps} on ${path} of tenant ${b.id}`);
      }
      for (const ns of b.namespaces) {
        const path = credsPath(model, ns.name);
        const caps = capabilitiesOn(p.rules, path);
        const allowed = p.tenant === undefined && p.name === shared && !b.offboarding;
        if (caps.length > 0 && !allowed)
          out.push(`${p.name} (tenant ${p.tenant ?? "-"}) has ${caps} on ${path} of tenant ${b.id}`);
        // deployers exist for the namespaces on the default cluster (ARCHITECTURE.md, "Clusters")
        if (allowed && ns.clusters.includes(homeCluster(model)) && !caps.includes("update"))
          out.push(`the shared CI identity cannot obtain ${path}`);
        // another tenant's SOPS keys: nobody's but its own, not even the shared CI identity's
        for (const transit of transitPaths(model, ns.name)) {
          const t = capabilitiesOn(p.rules, transit);
          if (t.length > 0)
            out.push(`${p.name} (tenant ${p.tenant ?? "-"}) has ${t} on ${transit} of tenant ${b.id}`);
        }
      }
    }
  }
  // not vacuous: every active tenant reaches its own paths and deployers through its entity, and no more
  for (const t of model.tenants) {
    const entities = principals.filter((p) => p.tenant === t.id && p.name.startsWith("vault-entity:"));
    if (t.offboarding) {
      const left = principals.filter((p) => p.tenant === t.id).map((p) => p.name);
      if (left.length > 0) out.push(`offboarding tenant ${t.id} keeps ${left}`);
      continue;
    }
    if (entities.length !== 1) {
      out.push(`active tenant ${t.id} has ${entities.length} Vault entities`);
      continue;
    }
    const own = t.namespaces.filter((n) => !n.offboarding);
    // deployers exist for the namespaces on the default cluster (ARCHITECTURE.md, "Clusters")
    const home =
      model.environment.clusters.find((c) => c.default)?.name ?? model.environment.clusters[0]!.name;
    for (const path of [
      ...samplePaths(model, t.id, true),
      ...own.filter((n) => n.clusters.includes(home)).map((n) => credsPath(model, n.name)),
      ...own.flatMap((n) => transitPaths(model, n.name)),
    ])
      if (capabilitiesOn(entities[0]!.rules, path).length === 0)
        out.push(`tenant ${t.id} cannot reach its own ${path}`);
  }
  if (shared && active.some((t) => t.namespaces.length > 0) && !principals.some((p) => p.name === shared))
    out.push(`the declared shared CI identity ${shared} is missing`);
  return out;
}

/** Kubernetes resources that are not namespaced (built-in API groups): the access matrix's own list. */
const CLUSTER_SCOPED = CLUSTER_SCOPED_RESOURCES;
const READ = new Set(["get", "list", "watch"]);
const ESCALATING = new Set(["*", "escalate", "bind", "impersonate"]);
/**
 * What a tenant must never write in its own namespaces (ARCHITECTURE.md: isolation rules). NetworkPolicies,
 * Roles and RoleBindings are the owner's; the platform's own are protected at admission (checked below).
 */
const PLATFORM_OWNED = new Set([
  "namespaces",
  "resourcequotas",
  "limitranges",
  "endpoints",
  "discovery.k8s.io/endpointslices",
  "services/status",
  "rbac.authorization.k8s.io/clusterroles",
  "rbac.authorization.k8s.io/clusterrolebindings",
]);

/** (c) and the cluster-scope rules, over the access matrix. */
function kubernetesViolations(model: RegistryModel, rows: AccessRow[]): string[] {
  const out: string[] = [];
  const byId = new Map(model.tenants.map((t) => [t.id, t]));
  const owner = new Map(model.tenants.flatMap((t) => t.namespaces.map((n) => [n.name, t] as const)));
  const shared = SHARED_CI(model);
  const invited = (a: TenantModel, ns: string) => {
    const b = owner.get(ns);
    if (!b || a.offboarding || b.offboarding) return false;
    return b.members.some((m) => m.tenant === a.id && m.namespaces.includes(ns));
  };
  // organisations.parentView (docs/organisations.md), stated here on its own: with it on, the owner's ancestors
  // view its active namespaces, read-only, and so does a member of such an ancestor invited into every namespace
  // of that ancestor (or managing it) unless the member is inside that ancestor's own subtree; nobody else of
  // the organisation (no child upwards, no sibling, not even one its parent invites)
  const above = (t: TenantModel): TenantModel[] => {
    const out: TenantModel[] = [];
    for (let p = byId.get(t.parent ?? ""); p && p !== t && !out.includes(p); p = byId.get(p.parent ?? ""))
      out.push(p);
    return out;
  };
  const fullMember = (p: TenantModel, a: TenantModel) =>
    p.members.some(
      (m) =>
        m.tenant === a.id &&
        (m.role === "manager" || m.manager || p.namespaces.every((n) => m.namespaces.includes(n.name))),
    );
  const orgViewer = (a: TenantModel, ns: string) => {
    const b = owner.get(ns);
    if (!model.environment.organisations.parentView || !b || b.id === a.id || a.offboarding || b.offboarding)
      return false;
    if (b.namespaces.some((n) => n.name === ns && n.offboarding)) return false;
    return above(b).some((p) => p.id === a.id || (fullMember(p, a) && !above(a).includes(p)));
  };
  const reach = new Map<string, Set<string>>(); // tenant -> other tenants' namespaces it reaches
  for (const r of rows) {
    const a = r.tenant === undefined ? undefined : byId.get(r.tenant);
    if (r.tenant !== undefined && !a) {
      out.push(`row of unknown tenant ${r.tenant}: ${JSON.stringify(r)}`);
      continue;
    }
    if (!a) {
      if (r.principal !== shared)
        out.push(`${r.principal} has no tenant and is not the declared shared CI identity`);
      continue;
    }
    if (a.offboarding) out.push(`offboarding tenant ${a.id} keeps ${r.principal} ${r.scope} ${r.resource}`);
    if (r.system !== "kubernetes") continue;
    if (r.scope.startsWith("namespace:")) {
      const ns = r.scope.slice("namespace:".length);
      const b = owner.get(ns);
      if (!b) out.push(`${r.principal} (tenant ${a.id}) reaches ${ns}, no tenant's namespace`);
      else if (b.id !== a.id) {
        if (!invited(a, ns) && !orgViewer(a, ns))
          out.push(`${r.principal} (tenant ${a.id}) reaches ${ns} of tenant ${b.id} via ${r.via}`);
        // read-only: what the viewer role aggregates from CRDs shows as the note "(aggregated)": view's, by convention
        else if (!invited(a, ns) && r.verbs.some((v) => !READ.has(v) && v !== "(aggregated)"))
          out.push(
            `${r.principal} (tenant ${a.id}) has ${r.verbs} in ${ns} of its organisation's ${b.id} via ${r.via}`,
          );
        reach.set(a.id, (reach.get(a.id) ?? new Set()).add(ns));
      }
    } else if (r.scope === "cluster") {
      const namespaced = !CLUSTER_SCOPED.has(r.resource);
      if (a.role === "namespace-owner" && (namespaced || r.verbs.some((v) => !READ.has(v))))
        out.push(`namespace-owner ${a.id} has ${r.verbs} on ${r.resource} at cluster scope via ${r.via}`);
      if (a.role === "power-user" && r.verbs.some((v) => !READ.has(v)))
        out.push(`power user ${a.id} has ${r.verbs} on ${r.resource} at cluster scope via ${r.via}`);
    } else out.push(`unexpected scope ${r.scope}`);
    if (a.role !== "admin") {
      // impersonating the service accounts of one's own namespace is edit's, and stays in the namespace
      const ownServiceAccounts = r.resource === "serviceaccounts" && r.scope.startsWith("namespace:");
      const bad = r.verbs.filter((v) => ESCALATING.has(v) && !(v === "impersonate" && ownServiceAccounts));
      if (bad.length > 0) out.push(`${a.id} gets ${bad} on ${r.resource} via ${r.via}`);
      if (PLATFORM_OWNED.has(r.resource) && r.verbs.some((v) => !READ.has(v)))
        out.push(`${a.id} can write ${r.resource} in ${r.scope} via ${r.via}`);
    }
  }
  // the reach into other tenants' namespaces is exactly the invitations
  for (const a of model.tenants) {
    const expected = model.tenants
      .flatMap((b) => b.namespaces.map((n) => n.name))
      .filter((ns) => invited(a, ns) || orgViewer(a, ns))
      .sort();
    const got = [...(reach.get(a.id) ?? [])].sort();
    if (JSON.stringify(got) !== JSON.stringify(expected))
      out.push(
        `tenant ${a.id} reaches ${JSON.stringify(got)} of other tenants; invited into ${JSON.stringify(expected)}`,
      );
  }
  // cluster-wide reach into namespaced objects: the declared shared principals only, and all of them
  const wide = new Set(
    rows.filter((r) => r.scope === "cluster" && !CLUSTER_SCOPED.has(r.resource)).map((r) => r.tenant),
  );
  const declared = model.tenants
    .filter((t) => !t.offboarding && t.role !== "namespace-owner")
    .map((t) => t.id);
  if (JSON.stringify([...wide].sort()) !== JSON.stringify(declared.sort()))
    out.push(
      `cluster-wide reach: ${JSON.stringify([...wide])}; declared shared: admins and power users ${JSON.stringify(declared)}`,
    );
  return out;
}

/**
 * (d) admission, evaluated with a real CEL implementation on the planned policies, bindings and parameters:
 * in each of its namespaces, a tenant may serve its own hostnames (and below them) and bind itself and its own
 * service accounts, and may never serve another tenant's hostname nor bind another tenant's principal or
 * service account.
 */
function admissionViolations(model: RegistryModel, plan: Plan): string[] {
  const out: string[] = [];
  const env = model.environment;
  // each cluster has its own policies, bindings, namespaces and parameters
  let on = env.clusters[0]!.name;
  let view = clusterOf(plan, on);
  const asUser = (t: TenantModel) => {
    const s = tenantSubject(env, t);
    return s.kind === "User"
      ? { username: s.name, groups: ["system:authenticated"] }
      : { username: `oidc:${t.id}-member`, groups: [s.name, "system:authenticated"] };
  };
  const ingress = (ns: string, host: string) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "web", namespace: ns },
    spec: { rules: [{ host, http: { paths: [] } }] },
  });
  const binding = (ns: string, subject: Record<string, string>, role = "edit") => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "b", namespace: ns },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    subjects: [subject],
  });
  const subjectOf = (t: TenantModel) => {
    const s = tenantSubject(env, t);
    return { kind: s.kind, name: s.name, apiGroup: "rbac.authorization.k8s.io" };
  };
  const expectVerdict = (what: string, r: Request, allowed: boolean) => {
    const d = admit(view.pairs, view.cluster, r);
    if (d.allowed !== allowed)
      out.push(`${on}: ${what}: ${d.allowed ? "allowed" : `denied by ${d.policy}: ${d.message}`}`);
  };
  for (const c of env.clusters)
    for (const a of model.tenants) {
      if (c.name !== on) view = clusterOf(plan, (on = c.name));
      // requests in the tenant's first namespace, on each cluster it exists on
      if (!a.namespaces[0]!.clusters.includes(c.name)) continue;
      const user = asUser(a);
      const ns = a.namespaces[0]!.name;
      for (const d of a.domains) {
        expectVerdict(
          `${a.id} serving its own ${d.name} in ${ns}`,
          request("CREATE", user, ingress(ns, d.name)),
          true,
        );
        const below = `api.${d.name}`;
        expectVerdict(`${a.id} serving ${below} in ${ns}`, request("CREATE", user, ingress(ns, below)), true);
      }
      expectVerdict(
        `${a.id} binding itself in ${ns}`,
        request("CREATE", user, binding(ns, subjectOf(a))),
        true,
      );
      const ownSa = { kind: "ServiceAccount", name: "app", namespace: a.namespaces.at(-1)!.name };
      expectVerdict(
        `${a.id} binding its own service account in ${ns}`,
        request("CREATE", user, binding(ns, ownSa)),
        true,
      );
      for (const b of model.tenants) {
        if (b.id === a.id) continue;
        // an organisation's domains cover its descendants' (docs/organisations.md): an ancestor may serve them, as
        // it may edit their records; a child never serves its parent's, a sibling's or anyone else's
        const ancestor = ancestors(model, b).some((x) => x.id === a.id);
        for (const d of b.domains)
          expectVerdict(
            `${a.id} serving ${b.id}'s ${d.name} in ${ns}`,
            request("CREATE", user, ingress(ns, d.name)),
            ancestor,
          );
        expectVerdict(
          `${a.id} binding ${b.id} in ${ns}`,
          request("CREATE", user, binding(ns, subjectOf(b))),
          false,
        );
        // the owner's role is the tenant's own to give: no member (a manager included) binds it
        expectVerdict(
          `${b.id} binding the owner's role to ${a.id} in ${ns}`,
          request("CREATE", asUser(b), binding(ns, subjectOf(a), "tenancy-namespace-owner")),
          false,
        );
        const otherSa = { kind: "ServiceAccount", name: "app", namespace: b.namespaces[0]!.name };
        expectVerdict(
          `${a.id} binding ${b.id}'s service account in ${ns}`,
          request("CREATE", user, binding(ns, otherSa)),
          false,
        );
        // every service account of the other tenant's namespace, by its group
        const saGroup = {
          kind: "Group",
          name: `system:serviceaccounts:${b.namespaces[0]!.name}`,
          apiGroup: "rbac.authorization.k8s.io",
        };
        expectVerdict(
          `${a.id} binding ${b.id}'s service accounts' group in ${ns}`,
          request("CREATE", user, binding(ns, saGroup)),
          false,
        );
      }
      // groups that hold every other tenant
      for (const group of ["system:authenticated", "system:serviceaccounts"]) {
        const g = { kind: "Group", name: group, apiGroup: "rbac.authorization.k8s.io" };
        expectVerdict(`${a.id} binding ${group} in ${ns}`, request("CREATE", user, binding(ns, g)), false);
      }
    }
  return out;
}

/** Where the example environment's pods take their addresses (listed in its network.reserved). */
const POD_RANGE = "10.244.0.0/16";
const METADATA = "169.254.169.254/32";

/**
 * NetworkPolicies tenants write, in namespace `ns` of `a`, aiming at `victims` (other tenants' namespaces) and at the
 * platform: every one the networkPolicies admission policy is there to refuse, and allowances it admits.
 */
function tenantNetworkPolicies(
  model: RegistryModel,
  a: TenantModel,
  ns: string,
  victims: [string, string][],
) {
  const net = model.environment.network;
  const np = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: ns },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ...spec },
  });
  const both = (name: string, peer: Record<string, unknown>) =>
    np(name, { ingress: [{ from: [peer] }], egress: [{ to: [peer] }] });
  const byName = (n: string) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
  });
  const everyReserved = [...new Set(["169.254.0.0/16", ...net.reserved])].filter((c) => !c.includes(":"));
  return [
    np("all", { ingress: [{}], egress: [{}] }),
    both("any-address", { ipBlock: { cidr: "0.0.0.0/0" } }),
    both("any-but-metadata", { ipBlock: { cidr: "0.0.0.0/0", except: [METADATA] } }),
    both("pods", { ipBlock: { cidr: POD_RANGE } }),
    both("every-namespace", { namespaceSelector: {} }),
    both("not-mine", {
      namespaceSelector: {
        matchExpressions: [{ key: "tenancy.io/tenant", operator: "NotIn", values: [a.id] }],
      },
    }),
    np("ingress-controller", { egress: [{ to: [byName(net.ingressController.namespace)] }] }),
    ...victims.flatMap(([b, v]) => [
      both(`ns-${v}`, byName(v)),
      both(`tenant-${b}`, { namespaceSelector: { matchLabels: { "tenancy.io/tenant": b } } }),
    ]),
    // admitted: the tenant's own namespaces, the internet with every reserved range carved out
    both("own", { namespaceSelector: { matchLabels: { "tenancy.io/tenant": a.id } } }),
    both("internet", { ipBlock: { cidr: "0.0.0.0/0", except: everyReserved } }),
  ];
}

/**
 * Network reach (test/helpers/network-reach.ts) on each cluster from the planned NetworkPolicies and
 * AdminNetworkPolicies plus every tenant's own NetworkPolicies that the planned admission policies admit (all at
 * once: tenants may collude): no pod of one tenant reaches another tenant's pods, the ingress controller's namespace
 * (its admission webhook) or cloud metadata; within a tenant, the planned policies let a namespace reach another
 * only where the other's network.from says. And the platform's flows still work, whatever tenants added: every
 * tenant pod reaches DNS (its pods, port 53), the ingress controller reaches every tenant pod, and a namespace
 * reaches each of its tenant's namespaces whose network.from names it. `admitted` counts the tenant policies
 * admitted and written.
 */
function networkViolations(
  model: RegistryModel,
  plan: Plan,
  admitted: { yes: number; of: number } = { yes: 0, of: 0 },
): string[] {
  const out: string[] = [];
  const env = model.environment;
  const net = env.network;
  if (!net.reserved.includes(POD_RANGE)) return [`the environment does not reserve ${POD_RANGE}`];
  const user = (t: TenantModel) => {
    const s = tenantSubject(env, t);
    return s.kind === "User"
      ? { username: s.name, groups: ["system:authenticated"] }
      : { username: `oidc:${t.id}-member`, groups: [s.name, "system:authenticated"] };
  };
  for (const c of env.clusters) {
    const view = clusterOf(plan, c.name);
    const onCluster = plan.stacks.flatMap((s) => s.resources).filter((r) => (r.cluster ?? c.name) === c.name);
    const planned = onCluster
      .filter((r) => r.inputs.kind === "NetworkPolicy")
      .map((r) => r.inputs as Record<string, unknown>);
    const adminPolicies = onCluster
      .filter((r) => r.inputs.kind === "AdminNetworkPolicy")
      .map((r) => r.inputs as Record<string, unknown>);
    const namespaces = { ...view.cluster.namespaces };
    const platform = [net.dns.namespace, net.ingressController.namespace];
    for (const n of platform) namespaces[n] ??= { "kubernetes.io/metadata.name": n };
    const owner = new Map<string, string>();
    for (const t of model.tenants)
      for (const n of t.namespaces) if (n.clusters.includes(c.name)) owner.set(n.name, t.id);
    const tenantNs = [...owner.keys()];

    const plannedWorld: NetworkWorld = { namespaces, policies: planned, adminPolicies, podRange: POD_RANGE };
    for (const t of model.tenants)
      for (const x of t.namespaces)
        for (const y of t.namespaces)
          if (owner.has(x.name) && owner.has(y.name) && x !== y && !y.reachFrom.includes(x.name))
            if (podReach(plannedWorld, x.name, y.name))
              out.push(
                `${c.name}: ${x.name} reaches ${y.name} of ${t.id}, which its network.from does not let in`,
              );

    const written: Record<string, unknown>[] = [];
    for (const a of model.tenants) {
      const mine = a.namespaces.find((n) => n.clusters.includes(c.name));
      if (!mine) continue;
      const victims = tenantNs
        .filter((n) => owner.get(n) !== a.id)
        .map((n) => [owner.get(n)!, n] as [string, string]);
      for (const np of tenantNetworkPolicies(model, a, mine.name, victims)) {
        const d = admit(view.pairs, view.cluster, request("CREATE", user(a), np));
        admitted.of++;
        if (d.allowed) {
          admitted.yes++;
          written.push(np);
        }
      }
    }
    const world: NetworkWorld = {
      namespaces,
      policies: [...planned, ...written],
      adminPolicies,
      podRange: POD_RANGE,
    };
    for (const from of tenantNs) {
      for (const to of tenantNs)
        if (owner.get(from) !== owner.get(to) && podReach(world, from, to))
          out.push(`${c.name}: ${from} of ${owner.get(from)} reaches ${to} of ${owner.get(to)}`);
      if (podReach(world, from, net.ingressController.namespace))
        out.push(`${c.name}: ${from} of ${owner.get(from)} reaches the ingress controller's namespace`);
      if (addressReach(world, from, METADATA))
        out.push(`${c.name}: ${from} of ${owner.get(from)} reaches cloud metadata`);
    }

    // the platform's flows, each a connection of given pods and port, with one outcome
    const flow = (what: string, conn: Parameters<typeof decide>[1]) => {
      let outcome: string;
      try {
        outcome = decide(world, conn);
      } catch (e) {
        outcome = (e as Error).message;
      }
      if (outcome !== "allow") out.push(`${c.name}: ${what}: ${outcome}`);
    };
    const web = (ns: string) => ({ namespace: ns, labels: { app: "web" } });
    const http = { port: 8080, protocol: "TCP" as const };
    for (const x of tenantNs) {
      flow(`${x} of ${owner.get(x)} to DNS`, {
        from: web(x),
        to: { namespace: net.dns.namespace, labels: net.dns.podLabels },
        port: { port: 53, protocol: "UDP" },
      });
      flow(`the ingress controller to ${x} of ${owner.get(x)}`, {
        from: { namespace: net.ingressController.namespace, labels: net.ingressController.podLabels ?? {} },
        to: web(x),
        port: http,
      });
    }
    for (const t of model.tenants)
      for (const x of t.namespaces)
        for (const y of x.reachFrom)
          if (y !== x.name && owner.get(x.name) === t.id && owner.get(y) === t.id)
            flow(`${y} to ${x.name} of ${t.id} (its network.from)`, {
              from: web(y),
              to: web(x.name),
              port: http,
            });
  }
  return out;
}

function isolationViolations(model: RegistryModel, plan: Plan): string[] {
  const problems: string[] = [];
  const principals = vaultPrincipals(plan, problems);
  const rows = accessMatrix(model, plan);
  return [
    ...problems,
    ...vaultViolations(model, principals),
    ...kubernetesViolations(model, rows),
    // a tenant's automation identities: its namespaces on the clusters where they exist, exactly
    ...serviceAccountViolations(model, rows),
    ...admissionViolations(model, plan),
  ];
}

/** The same Vault principals, computed from the model with the policy builder alone (no Pulumi). */
function builtPrincipals(model: RegistryModel): VaultPrincipal[] {
  const layout = layoutOf(model);
  const active = model.tenants.filter((t) => !t.offboarding);
  const out: VaultPrincipal[] = active.map((t) => ({
    name: `vault-entity:${t.id}`,
    tenant: t.id,
    rules: tenantPolicyRules(
      layout,
      t.id,
      t.namespaces.map((n) => n.name),
    ),
  }));
  const perNamespace = model.environment.ci.perTenant?.rolePer === "namespace";
  for (const t of active)
    if (t.ci)
      out.push(
        ...(perNamespace
          ? t.ci.namespaces.map((ns) => [ns, [ns]] as const)
          : [[t.id, t.ci.namespaces] as const]
        ).map(([role, namespaces]) => ({
          name: `vault-jwt:jwt/${perNamespace ? namespaceCiRoleName(role) : tenantCiRoleName(role)}`,
          tenant: t.id,
          rules: namespaces.map((ns) => deployerCredsRule(layout, ns)),
        })),
      );
  const shared = SHARED_CI(model);
  if (shared)
    out.push({
      name: shared,
      rules: active.flatMap((t) => t.namespaces.map((n) => deployerCredsRule(layout, n.name))),
    });
  return out;
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Registries per property, sized so each test finishes well inside its timeout on a loaded 2-core machine:
 * planned ~0.15 s a registry (100: ~15 s alone), pure ~0.05 s (200: ~10 s alone; 500 took 26 s).
 */
const PLANNED_RUNS = 100;
const PURE_RUNS = 200;
/** Network reach admits some 15 tenant NetworkPolicies per tenant and cluster: ~0.5 s a registry. */
const NETWORK_RUNS = 30;

describe("isolation", () => {
  it(`planned: ${PLANNED_RUNS} generated registries, no cross-tenant grant in the access matrix`, async () => {
    const seen = {
      legacy: 0,
      perNamespace: 0,
      prefixShared: 0,
      members: 0,
      offboarding: 0,
      ci: 0,
      domains: 0,
      sharedCi: 0,
      sops: 0,
      clusters: 0,
      grants: 0,
      serviceAccounts: 0,
      organisations: 0,
      parentView: 0,
      /** a child invited into its parent with parentView on: it must view none of its siblings through that */
      childInvitedByParent: 0,
    };
    await fc.assert(
      fc.asyncProperty(registries, async ({ model }) => {
        const ids = model.tenants.map((t) => t.id);
        if (model.environment.vault.tenantPaths === "top-level") seen.legacy++;
        if (model.environment.vault.tenantPaths === "per-namespace") seen.perNamespace++;
        if (ids.some((a) => ids.some((b) => a !== b && b.startsWith(a)))) seen.prefixShared++;
        if (model.tenants.some((t) => t.members.length > 0)) seen.members++;
        if (model.tenants.some((t) => t.offboarding)) seen.offboarding++;
        if (model.tenants.some((t) => t.ci)) seen.ci++;
        if (model.environment.ci.shared) seen.sharedCi++;
        if (model.environment.vault.sops) seen.sops++;
        if (model.tenants.some((t) => t.clusters.length > 1)) seen.clusters++;
        if (model.tenants.some((t) => t.grants.length > 0)) seen.grants++;
        if (model.tenants.some((t) => t.serviceAccounts)) seen.serviceAccounts++;
        if (model.tenants.some((t) => t.parent)) seen.organisations++;
        if (model.tenants.some((t) => t.organisationViewers)) seen.parentView++;
        if (
          model.environment.organisations.parentView &&
          model.tenants.some((t) =>
            model.tenants.some((p) => p.id === t.parent && p.members.some((m) => m.tenant === t.id)),
          )
        )
          seen.childInvitedByParent++;
        if (model.tenants.filter((t) => t.domains.length > 0).length > 1) seen.domains++;
        const plan = await buildPlan(model, LAYERS);
        expect(isolationViolations(model, plan)).toEqual([]);
      }),
      { numRuns: PLANNED_RUNS },
    );
    // the generator reaches the cases that matter
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(PLANNED_RUNS / 10);
  }, 180_000);

  it(`network: ${NETWORK_RUNS} generated registries plus every tenant's admitted NetworkPolicies, no cross-tenant reach`, async () => {
    let withMembers = 0;
    await fc.assert(
      fc.asyncProperty(registries, async ({ model }) => {
        if (model.tenants.some((t) => t.members.length > 0)) withMembers++;
        const plan = await buildPlan(model, LAYERS);
        expect(networkViolations(model, plan)).toEqual([]);
      }),
      { numRuns: NETWORK_RUNS },
    );
    expect(withMembers).toBeGreaterThan(NETWORK_RUNS / 10);
  }, 180_000);

  it(`network, AdminNetworkPolicies on: ${NETWORK_RUNS} generated registries on clusters without the networkPolicies admission policy, every tenant NetworkPolicy admitted, no cross-tenant reach`, async () => {
    let withMembers = 0;
    let withAdmin = 0;
    const admitted = { yes: 0, of: 0 };
    await fc.assert(
      fc.asyncProperty(anpRegistries, async ({ model }) => {
        if (model.tenants.some((t) => t.members.length > 0)) withMembers++;
        const plan = await buildPlan(model, LAYERS);
        const kinds = plan.stacks.flatMap((s) => s.resources).map((r) => r.inputs.kind);
        if (kinds.includes("AdminNetworkPolicy")) withAdmin++;
        expect(networkViolations(model, plan, admitted)).toEqual([]);
      }),
      { numRuns: NETWORK_RUNS },
    );
    expect(withMembers).toBeGreaterThan(NETWORK_RUNS / 10);
    expect(withAdmin).toBe(NETWORK_RUNS);
    // not vacuous: with the admission policy off, every hostile policy is admitted
    expect(admitted.of).toBeGreaterThan(0);
    expect(admitted.yes).toBe(admitted.of);
  }, 180_000);

  it(`pure: ${PURE_RUNS} generated registries, policies from the builder, no cross-tenant Vault grant`, () => {
    fc.assert(
      fc.property(registries, ({ model }) => {
        expect(vaultViolations(model, builtPrincipals(model))).toEqual([]);
      }),
      { numRuns: PURE_RUNS },
    );
  }, 120_000);
});

describe("the checker can fail", () => {
  const tenants: Record<string, TenantFileInput> = {
    alice: {
      email: "alice@example.com",
      members: [{ tenant: "bob", role: "viewer", namespaces: ["alice"] }],
    },
    "alice-dev": { email: "alice-dev@example.com", namespaces: ["alice-dev", "alice-dev-x"] },
    bob: { email: "bob@example.com" },
  };
  const modelOf = (legacy: boolean) => {
    const env = withSharedCi(exampleEnvironmentData());
    env.vault.sops = { mount: "transit", keyPrefix: "sops-state-" };
    if (legacy) env.vault.tenantPaths = "top-level";
    return registryOf(tenants, env);
  };
  const resources = (plan: Plan) => plan.stacks.flatMap((s) => s.resources);
  const policyOf = (plan: Plan, name: string) =>
    resources(plan).find((r) => r.inputs.name === name && r.type === "vault:index/policy:Policy")!;
  const addRule = (plan: Plan, policy: string, rule: PolicyRule) => {
    const p = policyOf(plan, policy);
    const doc = JSON.parse(p.inputs.policy as string) as { path: Record<string, unknown> };
    doc.path[rule.path] = { capabilities: rule.capabilities };
    p.inputs.policy = JSON.stringify(doc);
  };

  it.each([false, true])(
    "legacy %s: a clean plan passes; a prefix glob on another tenant's id is reported",
    async (legacy) => {
      const model = modelOf(legacy);
      const plan = await buildPlan(model, LAYERS);
      expect(isolationViolations(model, plan)).toEqual([]);
      const glob = legacy ? "secret/data/alice*" : "secret/data/tenants/alice*";
      addRule(plan, "tenant-alice", { path: glob, capabilities: ["read"] });
      const found = isolationViolations(model, plan);
      const victim = legacy ? "secret/data/alice-dev/x" : "secret/data/tenants/alice-dev/x";
      expect(found).toContain(`vault-entity:alice (tenant alice) has read on ${victim} of tenant alice-dev`);
    },
  );

  it("a deployer credential of another tenant, through Vault and through the access matrix", async () => {
    const model = modelOf(false);
    const plan = await buildPlan(model, LAYERS);
    addRule(plan, "tenant-alice", {
      path: "kubernetes/creds/alice-dev-x-deployer",
      capabilities: ["update"],
    });
    const found = isolationViolations(model, plan);
    expect(found).toContain(
      "vault-entity:alice (tenant alice) has update on kubernetes/creds/alice-dev-x-deployer of tenant alice-dev",
    );
    expect(found).toContain('tenant alice reaches ["alice-dev-x"] of other tenants; invited into []');
  });

  it("another tenant's SOPS key, prefix-sharing namespace names included", async () => {
    const model = modelOf(false);
    const plan = await buildPlan(model, LAYERS);
    expect(isolationViolations(model, plan)).toEqual([]);
    addRule(plan, "tenant-alice", { path: "transit/decrypt/sops-state-alice-*", capabilities: ["update"] });
    expect(isolationViolations(model, plan)).toContain(
      "vault-entity:alice (tenant alice) has update on transit/decrypt/sops-state-alice-dev of tenant alice-dev",
    );
  });

  it("a binding into another tenant's namespace nobody invited it into, and a wide cluster role", async () => {
    const model = modelOf(false);
    const plan = await buildPlan(model, LAYERS);
    const platform = plan.stacks.find((s) => s.layer === "platform")!;
    platform.resources.push(
      {
        type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        name: "injected",
        tenant: "bob",
        protect: false,
        inputs: {
          metadata: { name: "oops", namespace: "alice-dev-x" },
          roleRef: { kind: "ClusterRole", name: "view" },
          subjects: [{ kind: "User", name: "oidc:bob@example.com" }],
        },
      },
      {
        type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        name: "injected-wide",
        tenant: "alice-dev",
        protect: false,
        inputs: {
          metadata: { name: "oops-wide" },
          roleRef: { kind: "ClusterRole", name: "view" },
          subjects: [{ kind: "User", name: "oidc:alice-dev@example.com" }],
        },
      },
    );
    const found = isolationViolations(model, plan);
    expect(found).toContain(
      "user:bob@example.com (tenant bob) reaches alice-dev-x of tenant alice-dev via RoleBinding alice-dev-x/oops -> ClusterRole view",
    );
    expect(found).toContain(
      'tenant bob reaches ["alice","alice-dev-x"] of other tenants; invited into ["alice"]',
    );
    expect(found).toContain(
      "namespace-owner alice-dev has get,list,watch on configmaps at cluster scope via ClusterRoleBinding oops-wide -> ClusterRole view",
    );
  });

  it("an organisation: a parent's view made a write, a view with parentView off, a child reaching its sibling", async () => {
    const org: Record<string, TenantFileInput> = {
      acme: { email: "acme@example.com" },
      web: { email: "web@example.com", parent: "acme" },
      shop: { email: "shop@example.com", parent: "acme" },
    };
    const modelWith = (parentView: boolean) => {
      const env = exampleEnvironmentData();
      env.organisations = { parentView };
      env.tiers.standard.maxNamespaces = 5;
      return registryOf(org, env);
    };
    const inject = (plan: Plan, tenant: string, namespace: string, who: string, role: string) =>
      plan.stacks
        .find((s) => s.layer === "platform")!
        .resources.push({
          type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
          name: `injected-${who}-${namespace}`,
          tenant,
          protect: false,
          inputs: {
            metadata: { name: `oops-${who}`, namespace },
            roleRef: { kind: "ClusterRole", name: role },
            subjects: [{ kind: "User", name: `oidc:${who}@example.com` }],
          },
        });
    const on = modelWith(true);
    const clean = await buildPlan(on, LAYERS);
    expect(isolationViolations(on, clean)).toEqual([]);
    inject(clean, "acme", "web", "acme", "tenancy-namespace-developer");
    inject(clean, "web", "shop", "web", "view");
    const found = isolationViolations(on, clean);
    expect(found).toContain(
      "user:acme@example.com (tenant acme) has get,list,watch,create,update,patch,delete,deletecollection in web of its organisation's web via RoleBinding web/oops-acme -> ClusterRole tenancy-namespace-developer",
    );
    expect(found).toContain(
      "user:web@example.com (tenant web) reaches shop of tenant shop via RoleBinding shop/oops-web -> ClusterRole view",
    );
    const off = modelWith(false);
    const plan = await buildPlan(off, LAYERS);
    inject(plan, "acme", "web", "acme", "tenancy-namespace-viewer");
    expect(isolationViolations(off, plan)).toContain(
      "user:acme@example.com (tenant acme) reaches web of tenant web via RoleBinding web/oops-acme -> ClusterRole tenancy-namespace-viewer",
    );
  });

  it("a hostname or role binding rule taken out of the planned admission policies", async () => {
    const model = registryOf({
      ...tenants,
      alice: { ...tenants.alice!, domains: ["alice.example.com"] },
      bob: { ...tenants.bob!, domains: ["bob.example.com"] },
    });
    const plan = await buildPlan(model, LAYERS);
    expect(isolationViolations(model, plan)).toEqual([]);
    const policy = (name: string) =>
      resources(plan).find(
        (r) =>
          r.inputs.kind === "ValidatingAdmissionPolicy" &&
          (r.inputs.metadata as { name: string }).name === name,
      )!.inputs.spec as { validations: { message: string }[] };
    const hostnames = policy("tenancy-hostnames");
    hostnames.validations = hostnames.validations.filter((v) => !/every Ingress rule/.test(v.message));
    const bindings = policy("tenancy-role-bindings");
    bindings.validations = [];
    const found = isolationViolations(model, plan);
    expect(found).toContain("main: alice serving bob's bob.example.com in alice: allowed");
    expect(found).toContain("main: bob binding alice in bob: allowed");
    expect(found).toContain("main: alice binding bob's service account in alice: allowed");
  });

  it("tenant NetworkPolicies once the networkPolicies policy's rules are taken out, and reach within a tenant past network.from", async () => {
    const model = registryOf({
      alice: { email: "alice@example.com", namespaces: ["alice", "alice-dev"] },
      bob: {
        email: "bob@example.com",
        namespaces: ["bob-prod", "bob-staging"],
        members: [{ tenant: "alice", role: "developer", namespaces: ["bob-staging"] }],
      },
    });
    const plan = await buildPlan(model, LAYERS);
    expect(networkViolations(model, plan)).toEqual([]);
    const onMain = resources(plan).filter((r) => (r.cluster ?? "main") === "main");
    // the networkPolicies policy without its rules: every tenant's hostile policy is admitted
    const policy = onMain.find(
      (r) =>
        r.inputs.kind === "ValidatingAdmissionPolicy" &&
        (r.inputs.metadata as { name: string }).name === "tenancy-network-policies",
    )!;
    const validations = (policy.inputs.spec as { validations: unknown[] }).validations;
    (policy.inputs.spec as { validations: unknown[] }).validations = [];
    const found = networkViolations(model, plan);
    expect(found).toContain("main: alice of alice reaches bob-prod of bob");
    expect(found).toContain("main: bob-prod of bob reaches alice of alice");
    expect(found).toContain("main: alice of alice reaches the ingress controller's namespace");
    expect(found).toContain("main: alice of alice reaches cloud metadata");
    // only the ipBlock rule out: through the pod range and metadata, not by namespace
    (policy.inputs.spec as { validations: unknown[] }).validations = validations.filter(
      (v) => !/ipBlock/.test((v as { message: string }).message),
    );
    const byAddress = networkViolations(model, plan);
    expect(byAddress).toContain("main: alice of alice reaches cloud metadata");
    expect(byAddress).toContain("main: alice of alice reaches bob-prod of bob");
    (policy.inputs.spec as { validations: unknown[] }).validations = validations;
    // bob-prod's same-tenant policy letting every namespace of bob's in, as before network.from
    const sameTenant = onMain.find(
      (r) =>
        r.inputs.kind === "NetworkPolicy" &&
        (r.inputs.metadata as { name: string; namespace: string }).namespace === "bob-prod" &&
        (r.inputs.metadata as { name: string }).name === "tenancy-same-tenant",
    )!;
    const spec = sameTenant.inputs.spec as { ingress: { from: unknown[] }[] };
    spec.ingress = [{ from: [{ namespaceSelector: { matchLabels: { "tenancy.io/tenant": "bob" } } }] }];
    const staging = onMain.find(
      (r) =>
        r.inputs.kind === "NetworkPolicy" &&
        (r.inputs.metadata as { name: string; namespace: string }).namespace === "bob-staging" &&
        (r.inputs.metadata as { name: string }).name === "tenancy-same-tenant",
    )!;
    (staging.inputs.spec as { egress: unknown[] }).egress = [
      { to: [{ namespaceSelector: { matchLabels: { "tenancy.io/tenant": "bob" } } }] },
    ];
    expect(networkViolations(model, plan)).toContain(
      "main: bob-staging reaches bob-prod of bob, which its network.from does not let in",
    );
  });

  it("AdminNetworkPolicies on a cluster admitting every tenant NetworkPolicy: their denies taken out, or their same-tenant Pass made an Allow", async () => {
    const env = exampleEnvironmentData();
    env.network.adminNetworkPolicy = { enabled: true };
    env.admission.policies = { ...env.admission.policies, networkPolicies: false };
    const model = registryOf(
      {
        alice: { email: "alice@example.com", namespaces: ["alice", "alice-dev"] },
        bob: {
          email: "bob@example.com",
          namespaces: ["bob-prod", "bob-staging"],
          members: [{ tenant: "alice", role: "developer", namespaces: ["bob-staging"] }],
        },
      },
      env,
    );
    const plan = await buildPlan(model, LAYERS);
    const admitted = { yes: 0, of: 0 };
    expect(networkViolations(model, plan, admitted)).toEqual([]);
    expect(admitted.yes).toBe(admitted.of);
    const admin = resources(plan).filter((r) => r.inputs.kind === "AdminNetworkPolicy");
    expect(admin.map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual([
      "tenancy-tenant-alice",
      "tenancy-tenant-bob",
    ]);
    type Rule = { action: string; name: string };
    const specs = admin.map((r) => r.inputs.spec as { ingress: Rule[]; egress: Rule[] });
    const saved = specs.map((s) => structuredClone(s));
    // without their Deny rules, the tenants' own NetworkPolicies decide, and nothing bounds them
    for (const spec of specs) {
      spec.ingress = spec.ingress.filter((r) => r.action !== "Deny");
      spec.egress = spec.egress.filter((r) => r.action !== "Deny");
    }
    const found = networkViolations(model, plan);
    expect(found).toContain("main: alice of alice reaches bob-prod of bob");
    expect(found).toContain("main: bob-prod of bob reaches alice of alice");
    expect(found).toContain("main: alice of alice reaches the ingress controller's namespace");
    expect(found).toContain("main: alice of alice reaches cloud metadata");
    // Allow instead of Pass for the tenant's own namespaces: network.from overridden
    specs.forEach((spec, i) => Object.assign(spec, structuredClone(saved[i])));
    expect(networkViolations(model, plan)).toEqual([]);
    for (const spec of specs)
      for (const r of [...spec.ingress, ...spec.egress]) if (r.name === "same-tenant") r.action = "Allow";
    expect(networkViolations(model, plan)).toContain(
      "main: bob-staging reaches bob-prod of bob, which its network.from does not let in",
    );
    // Deny for DNS: the platform's own flow broken, which the property sees
    specs.forEach((spec, i) => Object.assign(spec, structuredClone(saved[i])));
    for (const spec of specs) for (const r of spec.egress) if (r.name === "dns") r.action = "Deny";
    expect(networkViolations(model, plan)).toContain("main: alice of alice to DNS: deny");
  });

  it("a role binding naming every authenticated user, or another tenant's service accounts by group", async () => {
    const model = modelOf(false);
    const plan = await buildPlan(model, LAYERS);
    const bindings = resources(plan).find(
      (r) =>
        r.inputs.kind === "ValidatingAdmissionPolicy" &&
        (r.cluster ?? "main") === "main" &&
        (r.inputs.metadata as { name: string }).name === "tenancy-role-bindings",
    )!.inputs.spec as { validations: unknown[] };
    bindings.validations = [];
    const found = isolationViolations(model, plan);
    expect(found).toContain("main: alice binding system:authenticated in alice: allowed");
    expect(found).toContain("main: alice binding bob's service accounts' group in alice: allowed");
  });

  it("a shared principal nobody declared", async () => {
    const model = modelOf(false);
    const plan = await buildPlan(model, LAYERS);
    const ci = plan.stacks.find((s) => s.layer === "ci")!;
    ci.resources.push({
      type: "vault:kubernetes/authBackendRole:AuthBackendRole",
      name: "injected",
      protect: false,
      inputs: {
        backend: "kubernetes",
        roleName: "sneaky",
        boundServiceAccountNames: ["default"],
        boundServiceAccountNamespaces: ["default"],
        tokenPolicies: ["tenant-bob"],
      },
    });
    const found = isolationViolations(model, plan);
    expect(found).toContain(
      "vault-k8s-auth:kubernetes/sneaky belongs to no tenant and is not the declared shared CI identity",
    );
    expect(found).toContain(
      "vault-k8s-auth:kubernetes/sneaky has no tenant and is not the declared shared CI identity",
    );
  });
});

// Tenant ids that could take over a name the platform itself uses.
describe("ids colliding with the platform's own names", () => {
  it("legacy layout: no tenant reaches a reserved KV path such as the registry's own secret/data/platform", async () => {
    const platform: Record<string, TenantFileInput> = {
      platform: { email: "p@example.com", namespaces: ["pf-apps"] },
    };
    // harmless in the prefixed layout (secret/data/tenants/platform/*): a valid registry
    expect(registryOf(platform).tenants.map((t) => t.id)).toEqual(["platform"]);
    const env = exampleEnvironmentData();
    env.vault.tenantPaths = "top-level";
    let model: RegistryModel;
    try {
      model = registryOf(platform, env);
    } catch (e) {
      // refusing the id at validation is a fix too
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as InvalidInputError).problems.map((p) => [p.source, p.path])).toEqual([
        ["tenants/platform.yaml", []],
      ]);
      return;
    }
    const principals = vaultPrincipals(await buildPlan(model, LAYERS), []);
    expect(principals.length).toBeGreaterThan(0);
    for (const p of principals)
      for (const path of ["secret/data/platform", "secret/metadata/platform"])
        expect(capabilitiesOn(p.rules, path), `${p.name} on ${path}`).toEqual([]);
  });

  it("Vault policy names are unique across the plan, even for a tenant named `shared-<ci role>` with a ci block", async () => {
    let model: RegistryModel;
    try {
      model = registryOf(
        {
          alice: { email: "alice@example.com" },
          "shared-woodpecker-deployer": {
            email: "mallory@example.com",
            ci: { boundClaims: { repository_owner: "mallory", repository_owner_id: "666" } },
          },
        },
        withSharedCi(exampleEnvironmentData()),
      );
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError); // refusing it at validation is a fix too
      return;
    }
    const problems: string[] = [];
    vaultPrincipals(await buildPlan(model, LAYERS), problems);
    expect(problems).toEqual([]);
  });
});
