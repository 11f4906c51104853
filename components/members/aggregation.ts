/**
 * The namespace roles tenants are bound to, by ClusterRole aggregation (ARCHITECTURE.md, "Roles"): owner,
 * developer and viewer aggregate what Kubernetes and the cluster's CRDs contribute to `admin`, `edit` and
 * `view` (the standard `rbac.authorization.k8s.io/aggregate-to-*` labels), plus tenancy's own label for the
 * environment's extra rules; manager aggregates `edit` and tenancy's RoleBinding writes (MANAGER_RULES). Kubernetes' own contributions are written out here (its bootstrap policy, v1.30
 * and later) so that the access matrix and the tests can show exactly what each role holds; what installed
 * CRDs add is unknown until the cluster says so, and is reported as such.
 */
import type { RbacRule } from "./rbac";

export type NamespaceRole = "owner" | "manager" | "developer" | "viewer";

export interface ClusterRoleData {
  name: string;
  labels: Record<string, string>;
  rules: RbacRule[];
  aggregationRule?: { clusterRoleSelectors: { matchLabels: Record<string, string> }[] };
}

const K8S = "rbac.authorization.k8s.io";
const TO_ADMIN = { [`${K8S}/aggregate-to-admin`]: "true" };
const TO_EDIT = { [`${K8S}/aggregate-to-edit`]: "true" };
const TO_VIEW = { [`${K8S}/aggregate-to-view`]: "true" };
/** tenancy's own aggregation label of a namespace role: what the environment's `rbac.extraRules` add. */
export const aggregateLabel = (role: NamespaceRole) => ({
  [`tenancy.io/aggregate-to-namespace-${role}`]: "true",
});

/** The standard label each namespace role aggregates, and the Kubernetes role it mirrors. */
export const MIRRORS: Record<NamespaceRole, { labels: Record<string, string>; kubernetes: string }> = {
  owner: { labels: TO_ADMIN, kubernetes: "admin" },
  manager: { labels: TO_EDIT, kubernetes: "edit" },
  developer: { labels: TO_EDIT, kubernetes: "edit" },
  viewer: { labels: TO_VIEW, kubernetes: "view" },
};

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];
const r = (apiGroups: string[], resources: string[], verbs: string[]): RbacRule => ({
  apiGroups,
  resources,
  verbs,
});

/**
 * What a namespace manager holds besides `edit`: it invites and removes members by writing RoleBindings, and
 * reads the Roles they may name. Kubernetes' escalation check lets it bind only roles it holds itself, and the
 * roleBindings admission policy keeps the owner's roles to the owner (ARCHITECTURE.md, "Roles").
 */
export const MANAGER_RULES: RbacRule[] = [
  r([K8S], ["rolebindings"], [...READ, ...WRITE]),
  r([K8S], ["roles"], READ),
];

/** Kubernetes' own ClusterRoles that take part in the aggregation of admin, edit and view. */
export const KUBERNETES_AGGREGATED: readonly ClusterRoleData[] = [
  {
    name: "system:aggregate-to-admin",
    labels: TO_ADMIN,
    rules: [
      r(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
      r([K8S], ["rolebindings", "roles"], [...WRITE, ...READ]),
    ],
  },
  {
    name: "system:aggregate-to-edit",
    labels: TO_EDIT,
    rules: [
      r(
        [""],
        ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"],
        READ,
      ),
      r([""], ["serviceaccounts"], ["impersonate"]),
      r([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], WRITE),
      r([""], ["pods/eviction"], ["create"]),
      r(
        [""],
        [
          "configmaps",
          "events",
          "persistentvolumeclaims",
          "replicationcontrollers",
          "replicationcontrollers/scale",
          "secrets",
          "serviceaccounts",
          "services",
          "services/proxy",
        ],
        WRITE,
      ),
      r([""], ["serviceaccounts/token"], ["create"]),
      r(
        ["apps"],
        [
          "daemonsets",
          "deployments",
          "deployments/rollback",
          "deployments/scale",
          "replicasets",
          "replicasets/scale",
          "statefulsets",
          "statefulsets/scale",
        ],
        WRITE,
      ),
      r(["autoscaling"], ["horizontalpodautoscalers"], WRITE),
      r(["batch"], ["cronjobs", "jobs"], WRITE),
      r(
        ["extensions"],
        [
          "daemonsets",
          "deployments",
          "deployments/rollback",
          "deployments/scale",
          "ingresses",
          "networkpolicies",
          "replicasets",
          "replicasets/scale",
          "replicationcontrollers/scale",
        ],
        WRITE,
      ),
      r(["policy"], ["poddisruptionbudgets"], WRITE),
      r(["networking.k8s.io"], ["ingresses", "networkpolicies"], WRITE),
      r(["coordination.k8s.io"], ["leases"], [...WRITE, ...READ]),
    ],
  },
  {
    name: "system:aggregate-to-view",
    labels: TO_VIEW,
    rules: [
      r(
        [""],
        [
          "configmaps",
          "endpoints",
          "persistentvolumeclaims",
          "persistentvolumeclaims/status",
          "pods",
          "replicationcontrollers",
          "replicationcontrollers/scale",
          "serviceaccounts",
          "services",
          "services/status",
        ],
        READ,
      ),
      r(
        [""],
        [
          "bindings",
          "events",
          "limitranges",
          "namespaces/status",
          "pods/log",
          "pods/status",
          "replicationcontrollers/status",
          "resourcequotas",
          "resourcequotas/status",
        ],
        READ,
      ),
      r([""], ["namespaces"], READ),
      r(["discovery.k8s.io"], ["endpointslices"], READ),
      r(
        ["apps"],
        [
          "controllerrevisions",
          "daemonsets",
          "daemonsets/status",
          "deployments",
          "deployments/scale",
          "deployments/status",
          "replicasets",
          "replicasets/scale",
          "replicasets/status",
          "statefulsets",
          "statefulsets/scale",
          "statefulsets/status",
        ],
        READ,
      ),
      r(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], READ),
      r(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], READ),
      r(
        ["extensions"],
        [
          "daemonsets",
          "daemonsets/status",
          "deployments",
          "deployments/scale",
          "deployments/status",
          "ingresses",
          "ingresses/status",
          "networkpolicies",
          "replicasets",
          "replicasets/scale",
          "replicasets/status",
          "replicationcontrollers/scale",
        ],
        READ,
      ),
      r(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], READ),
      r(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], READ),
    ],
  },
  // the user-facing roles: edit is aggregated into admin, view into edit
  {
    name: "admin",
    labels: {},
    rules: [],
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: TO_ADMIN }] },
  },
  {
    name: "edit",
    labels: TO_ADMIN,
    rules: [],
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: TO_EDIT }] },
  },
  {
    name: "view",
    labels: TO_EDIT,
    rules: [],
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: TO_VIEW }] },
  },
];

/** The aggregation rule of a tenancy namespace role: the standard label it mirrors, and its own. */
export function namespaceRoleAggregation(role: NamespaceRole) {
  return {
    clusterRoleSelectors: [{ matchLabels: MIRRORS[role].labels }, { matchLabels: aggregateLabel(role) }],
  };
}

/**
 * The labels of the ClusterRole carrying the environment's extra rules for a role: its own label, and those of
 * the roles above it (an extra rule for viewers reaches developers, managers and owners too).
 */
export function extraRulesLabels(role: NamespaceRole): Record<string, string> {
  const order: NamespaceRole[] = ["viewer", "developer", "manager", "owner"];
  const above = order.slice(order.indexOf(role));
  return Object.assign({}, ...above.map(aggregateLabel)) as Record<string, string>;
}

/** Whether a ClusterRole selector's matchLabels pick a role of these labels. */
export const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * The rules of every ClusterRole once aggregation is done, as the cluster's aggregation controller computes
 * them: an aggregated role holds the rules of every role its selectors match (themselves resolved first).
 * `roles` are the known ClusterRoles (Kubernetes' own and the planned ones); CRDs' contributions are not in it.
 */
export function resolveAggregation(roles: readonly ClusterRoleData[]): Map<string, RbacRule[]> {
  const out = new Map<string, RbacRule[]>();
  const visiting = new Set<string>();
  const resolve = (role: ClusterRoleData): RbacRule[] => {
    const done = out.get(role.name);
    if (done) return done;
    if (!role.aggregationRule) {
      out.set(role.name, role.rules);
      return role.rules;
    }
    if (visiting.has(role.name)) return [];
    visiting.add(role.name);
    const seen = new Set<string>();
    const rules: RbacRule[] = [];
    for (const other of roles) {
      if (other.name === role.name) continue;
      if (!role.aggregationRule.clusterRoleSelectors.some((s) => selects(s.matchLabels, other.labels)))
        continue;
      for (const rule of resolve(other)) {
        const key = JSON.stringify(rule);
        if (!seen.has(key)) rules.push(rule);
        seen.add(key);
      }
    }
    visiting.delete(role.name);
    out.set(role.name, rules);
    return rules;
  };
  for (const role of roles) resolve(role);
  return out;
}
