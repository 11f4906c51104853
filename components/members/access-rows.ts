/**
 * The members concern's part of the access matrix (plan/access.ts): who each RoleBinding and ClusterRoleBinding
 * lets do what, the bound roles' rules resolved as the cluster resolves them (aggregation, Kubernetes' own
 * ClusterRoles), per resource with its verbs.
 */
import type { PlannedResource } from "../core/spec";
import type { AccessContext } from "../../policy/access";
import { type ClusterRoleData, KUBERNETES_AGGREGATED, resolveAggregation } from "./aggregation";
import { groupResource, tenantPrincipal, tenantSubject } from "./rbac";

type K8sRule = { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs?: string[] };
type Subject = { kind: string; name: string; namespace?: string };

/**
 * A binding's subject as the API server matches it (a contract: `access --json`'s `subject`): the kind and the
 * user or group name with its prefix (`User oidc:alice@example.com`), a service account by its username.
 */
export function subjectName(s: Subject): string {
  return s.kind === "ServiceAccount"
    ? `ServiceAccount system:serviceaccount:${s.namespace ?? ""}:${s.name}`
    : `${s.kind} ${s.name}`;
}

/** How the access matrix names a service account: its username, `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountPrincipal(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Kubernetes' own ClusterRoles the plan references but does not create (aggregated ones in components/members/aggregation.ts). */
const BUILT_IN: ClusterRoleData[] = [
  { name: "cluster-admin", labels: {}, rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }] },
  ...KUBERNETES_AGGREGATED,
];
const STANDARD_AGGREGATE = /^rbac\.authorization\.k8s\.io\/aggregate-to-(admin|edit|view)$/;

/** For a role aggregating a standard label: what the cluster's CRDs add, unknown until they are installed. */
function crdNote(role: ClusterRoleData | undefined): string | undefined {
  const keys = (role?.aggregationRule?.clusterRoleSelectors ?? []).flatMap((s) => Object.keys(s.matchLabels));
  const label = keys.map((k) => STANDARD_AGGREGATE.exec(k)?.[1]).find((x) => x !== undefined);
  return label ? `plus whatever CRDs aggregate to ${label}` : undefined;
}

const VERB_ORDER = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const verbRank = (v: string) => {
  const i = VERB_ORDER.indexOf(v);
  return i < 0 ? VERB_ORDER.length : i;
};

export type Grant = { resource: string; apiGroup: string; resourceNames?: string[]; verbs: string[] };
const expanded = new WeakMap<K8sRule[], Grant[]>();
/** `expandRules`, once per list of rules: every binding of a role reads the same list. */
function expand(rules: K8sRule[]): Grant[] {
  let out = expanded.get(rules);
  if (!out) expanded.set(rules, (out = expandRules(rules)));
  return out;
}

/**
 * Every resource the rules grant, once per set of resource names, with all its verbs (in the usual order: reads,
 * then writes, then the rest): aggregated roles name a resource in several rules.
 */
function expandRules(
  rules: K8sRule[],
): { resource: string; apiGroup: string; resourceNames?: string[]; verbs: string[] }[] {
  const verbs = new Map<
    string,
    { resource: string; apiGroup: string; resourceNames?: string[]; set: Set<string> }
  >();
  for (const r of rules)
    for (const g of r.apiGroups ?? [""])
      for (const res of r.resources ?? []) {
        const resource = groupResource(g, res);
        const key = JSON.stringify([resource, r.resourceNames ?? []]);
        const entry = verbs.get(key) ?? {
          resource,
          apiGroup: g,
          ...(r.resourceNames?.length ? { resourceNames: [...r.resourceNames] } : {}),
          set: new Set<string>(),
        };
        for (const v of r.verbs ?? []) entry.set.add(v);
        verbs.set(key, entry);
      }
  return [...verbs.values()].map(({ set, ...rest }) => ({
    ...rest,
    verbs: [...set].sort((a, b) => verbRank(a) - verbRank(b) || a.localeCompare(b)),
  }));
}

const meta = (r: PlannedResource) => (r.inputs.metadata ?? {}) as { name?: string; namespace?: string };

/** A namespace Role's grants, for the contributions that reach a Role by other means (Vault's deployers). */
export interface KubernetesRoles {
  roleGrants(cluster: string, namespace: string, role: string): Grant[];
}

/** The bindings' rows; returns the planned Roles' grants. */
export function kubernetesAccess(ctx: AccessContext): KubernetesRoles {
  const { model, env, home, byType, push } = ctx;
  // who a Kubernetes subject is
  const principalOf = new Map<string, { principal: string; tenant: string }>();
  for (const t of model.tenants) {
    const s = tenantSubject(env, t);
    principalOf.set(`${s.kind}:${s.name}`, { principal: tenantPrincipal(env, t), tenant: t.id });
  }
  // a service account is its namespace's tenant's principal, named by its username (docs/automation-identities.md)
  const namespaceOwner = new Map(
    model.tenants.flatMap((t) => t.namespaces.map((n) => [n.name, t.id] as const)),
  );
  const subjectPrincipal = (s: Subject) =>
    s.kind === "ServiceAccount"
      ? {
          principal: serviceAccountPrincipal(s.namespace ?? "", s.name),
          tenant: namespaceOwner.get(s.namespace ?? ""),
        }
      : (principalOf.get(`${s.kind}:${s.name}`) ?? {
          principal: `${s.kind.toLowerCase()}:${s.name}`,
          tenant: undefined,
        });

  // per cluster: its ClusterRoles (aggregation resolved among them) and Roles
  const onCluster = (r: PlannedResource) => r.cluster ?? home;
  const roleData = new Map<string, Map<string, ClusterRoleData>>();
  const dataOf = (cluster: string) => {
    let m = roleData.get(cluster);
    if (!m) roleData.set(cluster, (m = new Map(BUILT_IN.map((r) => [r.name, r]))));
    return m;
  };
  for (const r of byType(":ClusterRole")) {
    const m = r.inputs.metadata as { name: string; labels?: Record<string, string> };
    dataOf(onCluster(r)).set(m.name, {
      name: m.name,
      labels: m.labels ?? {},
      rules: (r.inputs.rules ?? []) as ClusterRoleData["rules"],
      ...(r.inputs.aggregationRule
        ? { aggregationRule: r.inputs.aggregationRule as ClusterRoleData["aggregationRule"] & object }
        : {}),
    });
  }
  const resolved = new Map<string, ReadonlyMap<string, K8sRule[]>>();
  const clusterRoles = (cluster: string) => {
    let m = resolved.get(cluster);
    if (!m) resolved.set(cluster, (m = resolveAggregation([...dataOf(cluster).values()])));
    return m;
  };
  const roles = new Map<string, K8sRule[]>();
  for (const r of byType(":Role"))
    roles.set(`${onCluster(r)}/${meta(r).namespace}/${meta(r).name}`, (r.inputs.rules ?? []) as K8sRule[]);

  for (const kind of ["RoleBinding", "ClusterRoleBinding"] as const) {
    for (const b of byType(`:${kind}`)) {
      const m = meta(b);
      const cluster = onCluster(b);
      const roleRef = b.inputs.roleRef as { kind: string; name: string };
      const rules =
        (roleRef.kind === "ClusterRole"
          ? clusterRoles(cluster).get(roleRef.name)
          : roles.get(`${cluster}/${m.namespace}/${roleRef.name}`)) ?? [];
      const scope = kind === "RoleBinding" ? `namespace:${m.namespace}` : "cluster";
      const via = `${kind} ${m.namespace ? `${m.namespace}/` : ""}${m.name} -> ${roleRef.kind} ${roleRef.name}`;
      const note = roleRef.kind === "ClusterRole" ? crdNote(dataOf(cluster).get(roleRef.name)) : undefined;
      for (const subject of (b.inputs.subjects ?? []) as Subject[]) {
        const real = subjectName(subject);
        for (const e of expand(rules))
          push(subjectPrincipal(subject), { system: "kubernetes", subject: real, cluster, scope, ...e, via });
        if (note)
          push(subjectPrincipal(subject), {
            system: "kubernetes",
            subject: real,
            cluster,
            scope,
            resource: `(${note})`,
            verbs: ["(aggregated)"],
            via,
          });
      }
    }
  }

  return {
    roleGrants: (cluster, namespace, role) => expand(roles.get(`${cluster}/${namespace}/${role}`) ?? []),
  };
}
