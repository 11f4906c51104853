/**
 * Who a tenant is to Kubernetes and what it may do there, as plain data (no Pulumi): the RBAC rules the shared
 * ClusterRoles are built from, the subject a tenant is bound as, and the members that keep access. The
 * components, the access matrix and the CLI all read this one module (ARCHITECTURE.md, "The policy module").
 */
import type {
  EnvironmentModel,
  MemberRole,
  NamespaceModel,
  TenantModel,
  TenantRole,
} from "../../registry/model";
import type { RbacRule } from "../core/rbac";
import { defaultCluster } from "../clusters/placement";

export type { RbacRule } from "../core/rbac";
export { DEFAULT_DEPLOYER_RULES } from "../core/rbac";

const READ = ["get", "list", "watch"];

/**
 * What a namespace owner of a tier with `clusterReader` may read at cluster scope: the classes a tenant names in
 * its own objects (StorageClass, IngressClass, PriorityClass, RuntimeClass, CSIDriver), which hold no tenant's
 * data. Not namespaces, nodes, PersistentVolumes (their claimRef names another tenant's claim) or CRDs. Off by
 * default: the multi-tenancy benchmark's "block access to cluster resources" allows no read at cluster scope.
 */
export const CLUSTER_READER_RULES: RbacRule[] = [
  { apiGroups: ["storage.k8s.io"], resources: ["storageclasses", "csidrivers"], verbs: READ },
  { apiGroups: ["networking.k8s.io"], resources: ["ingressclasses"], verbs: READ },
  { apiGroups: ["scheduling.k8s.io"], resources: ["priorityclasses"], verbs: READ },
  { apiGroups: ["node.k8s.io"], resources: ["runtimeclasses"], verbs: READ },
];

/** Cluster-scoped resources of the built-in API groups, as the access matrix names them. */
export const CLUSTER_SCOPED_RESOURCES: ReadonlySet<string> = new Set([
  "namespaces",
  "nodes",
  "persistentvolumes",
  "componentstatuses",
  "storage.k8s.io/storageclasses",
  "storage.k8s.io/csidrivers",
  "storage.k8s.io/csinodes",
  "storage.k8s.io/volumeattachments",
  "networking.k8s.io/ingressclasses",
  "scheduling.k8s.io/priorityclasses",
  "node.k8s.io/runtimeclasses",
  "apiextensions.k8s.io/customresourcedefinitions",
  "rbac.authorization.k8s.io/clusterroles",
  "rbac.authorization.k8s.io/clusterrolebindings",
  "admissionregistration.k8s.io/validatingadmissionpolicies",
  "admissionregistration.k8s.io/validatingadmissionpolicybindings",
  "admissionregistration.k8s.io/validatingwebhookconfigurations",
  "admissionregistration.k8s.io/mutatingwebhookconfigurations",
  "apiregistration.k8s.io/apiservices",
  "certificates.k8s.io/certificatesigningrequests",
  "flowcontrol.apiserver.k8s.io/flowschemas",
  "flowcontrol.apiserver.k8s.io/prioritylevelconfigurations",
  "resource.k8s.io/deviceclasses",
  "networking.k8s.io/ipaddresses",
  "networking.k8s.io/servicecidrs",
]);

/**
 * Power users: read-only across the cluster, without secrets (nor anything that could reveal them:
 * no pods/exec, pods/attach, pods/portforward, serviceaccounts/token, which are create verbs anyway).
 */
export const POWER_USER_RULES: RbacRule[] = [
  {
    apiGroups: [""],
    resources: [
      "configmaps",
      "endpoints",
      "events",
      "limitranges",
      "namespaces",
      "nodes",
      "persistentvolumeclaims",
      "persistentvolumes",
      "pods",
      "pods/log",
      "replicationcontrollers",
      "resourcequotas",
      "serviceaccounts",
      "services",
    ],
    verbs: READ,
  },
  {
    apiGroups: ["apps"],
    resources: ["daemonsets", "deployments", "replicasets", "statefulsets"],
    verbs: READ,
  },
  { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: READ },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: READ },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: READ },
  {
    apiGroups: ["networking.k8s.io"],
    resources: ["ingresses", "ingressclasses", "networkpolicies"],
    verbs: READ,
  },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
  {
    apiGroups: ["storage.k8s.io"],
    resources: ["storageclasses", "csidrivers", "csinodes", "volumeattachments"],
    verbs: READ,
  },
  {
    apiGroups: ["rbac.authorization.k8s.io"],
    resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"],
    verbs: READ,
  },
  { apiGroups: ["scheduling.k8s.io"], resources: ["priorityclasses"], verbs: READ },
  { apiGroups: ["node.k8s.io"], resources: ["runtimeclasses"], verbs: READ },
  { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: READ },
];

/**
 * ClusterRoles bound inside a namespace, per member role: aggregated like Kubernetes' admin, edit and view
 * (components/members/aggregation.ts), so that tenants get what the cluster's CRDs add; what RBAC cannot withhold from them
 * is taken back at admission (components/admission/policy.ts).
 */
export const NAMESPACE_ROLE_FOR = {
  owner: "tenancy-namespace-owner",
  manager: "tenancy-namespace-manager",
  developer: "tenancy-namespace-developer",
  viewer: "tenancy-namespace-viewer",
} as const;

/** The ClusterRole each tenant role is bound to at cluster scope. `cluster-admin` is Kubernetes' own. */
export const CLUSTER_ROLE_FOR: Record<TenantRole, string> = {
  "namespace-owner": "tenancy-cluster-reader",
  "power-user": "tenancy-power-user",
  admin: "cluster-admin",
};

/** How the access matrix names a resource: `pods`, `apps/deployments`. */
export function groupResource(group: string, resource: string): string {
  return group === "" ? resource : `${group}/${resource}`;
}

/** A Kubernetes RBAC subject: the tenant's OIDC user (as the API server maps it) or a group. */
export interface Subject {
  kind: "User" | "Group";
  name: string;
}

/** A subject as a RoleBinding lists it. */
export function rbacSubject(s: Subject) {
  return { kind: s.kind, name: s.name, apiGroup: "rbac.authorization.k8s.io" };
}

/**
 * The RBAC subject of a tenant, as the API server's OIDC mapping names it: the email behind the API server's
 * username prefix, or the tenant's IdP group (`rbac.groupPrefix` + id) behind its groups prefix.
 */
export function tenantSubject(env: EnvironmentModel, tenant: Pick<TenantModel, "id" | "email">): Subject {
  return env.rbac.subject === "group"
    ? { kind: "Group", name: `${env.oidc.groupsPrefix}${env.rbac.groupPrefix}${tenant.id}` }
    : { kind: "User", name: `${env.oidc.usernamePrefix}${tenant.email}` };
}

/** How the access matrix names a tenant's principal: `user:<identity>`, or `group:<group>`. */
export function tenantPrincipal(env: EnvironmentModel, tenant: Pick<TenantModel, "id" | "email">): string {
  const s = tenantSubject(env, tenant);
  return s.kind === "User" ? `user:${tenant.email}` : `group:${s.name}`;
}

/** Another tenant invited into some of a tenant's namespaces. */
export interface MemberGrant {
  /** The invited tenant's id. */
  tenant: string;
  subject: Subject;
  role: MemberRole;
  /** Namespaces of the inviting tenant it is invited into. */
  namespaces: string[];
}

/** Whether a namespace is on its way out: its own or its tenant's `offboarding`. */
export function isOffboarding(tenant: TenantModel, namespace: NamespaceModel): boolean {
  return tenant.offboarding || namespace.offboarding;
}

/** The namespaces of a tenant that keep access: none while the tenant is offboarding, else those not offboarding. */
export function activeNamespaces(tenant: TenantModel): string[] {
  return tenant.namespaces.filter((n) => !isOffboarding(tenant, n)).map((n) => n.name);
}

/**
 * Every namespace of these tenants with its owner, whether it is offboarding and its clusters: what the platform
 * layer exports and the guard compares a registry change against (handovers, removals, clusters left).
 */
export function namespaceOwners(
  tenants: readonly TenantModel[],
): Record<string, { tenant: string; offboarding: boolean; clusters: string[] }> {
  return Object.fromEntries(
    tenants.flatMap((t) =>
      t.namespaces.map(
        (n) => [n.name, { tenant: t.id, offboarding: isOffboarding(t, n), clusters: n.clusters }] as const,
      ),
    ),
  );
}

/**
 * The active namespaces that get a deployer: those on the environment's default cluster, which the one Kubernetes
 * secrets engine mount of Vault (vault.kubernetesSecretsMount) issues tokens for (ARCHITECTURE.md, "Clusters").
 */
export function deployerNamespaces(env: EnvironmentModel, tenant: TenantModel): string[] {
  const home = defaultCluster(env.clusters);
  return tenant.namespaces
    .filter((n) => !isOffboarding(tenant, n) && n.clusters.includes(home))
    .map((n) => n.name);
}

/**
 * Members of a tenant that keep access: offboarding members lose it in the same run, and nobody keeps access to
 * an offboarding namespace. With the environment's `organisations.parentView`, the tenant's organisation viewers
 * (its ancestors and their full-scope or managing members: `organisationViewers`) are viewers in each of its active namespaces they
 * are not invited into by the record itself (docs/organisations.md).
 * `byId` is the registry's tenants by id, built once per program (not once per tenant).
 */
export function activeMembers(
  env: EnvironmentModel,
  byId: ReadonlyMap<string, TenantModel>,
  tenant: TenantModel,
): MemberGrant[] {
  const grants = tenant.members.flatMap((m) => {
    const member = byId.get(m.tenant);
    if (!member || member.offboarding) return [];
    return [
      { tenant: m.tenant, role: m.role, namespaces: m.namespaces, subject: tenantSubject(env, member) },
    ];
  });
  for (const id of tenant.organisationViewers ?? []) {
    const viewer = byId.get(id);
    if (!viewer || viewer.offboarding) continue;
    const invited = new Set(tenant.members.find((m) => m.tenant === id)?.namespaces ?? []);
    const namespaces = activeNamespaces(tenant).filter((n) => !invited.has(n));
    if (namespaces.length > 0)
      grants.push({ tenant: id, role: "viewer", namespaces, subject: tenantSubject(env, viewer) });
  }
  return grants;
}
