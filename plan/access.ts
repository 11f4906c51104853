/**
 * The access matrix: who can do what, computed from the planned resources of every layer (RBAC bindings,
 * Vault policies, entities and aliases, deployer roles, CI auth roles), never from the registry directly,
 * so it shows what would really be applied.
 */
import type { AccessRow } from "../policy/access";
import {
  type ClusterRoleData,
  KUBERNETES_AGGREGATED,
  resolveAggregation,
} from "../components/members/aggregation";
import { defaultCluster } from "../components/clusters/placement";
import { groupResource, tenantPrincipal, tenantSubject } from "../components/members/rbac";
import { type PolicyRule, parsePolicy } from "../components/vault/policy";
import type { RegistryModel } from "../registry/model";
import type { Plan, PlannedResource } from "./plan";
import { capabilitiesOn, mergeRules } from "./vault-acl";

export type { AccessRow };

type K8sRule = { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs?: string[] };
type Subject = { kind: string; name: string };

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

type Grant = { resource: string; apiGroup: string; resourceNames?: string[]; verbs: string[] };
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

export function accessMatrix(model: RegistryModel, plan: Plan): AccessRow[] {
  const resources = plan.stacks.flatMap((s) => s.resources);
  const byType = (suffix: string) => resources.filter((r) => r.type.endsWith(suffix));
  const env = model.environment;
  const home = defaultCluster(env.clusters);

  // who a Kubernetes subject is
  const principalOf = new Map<string, { principal: string; tenant: string }>();
  for (const t of model.tenants) {
    const s = tenantSubject(env, t);
    principalOf.set(`${s.kind}:${s.name}`, { principal: tenantPrincipal(env, t), tenant: t.id });
  }
  const subjectPrincipal = (s: Subject) =>
    principalOf.get(`${s.kind}:${s.name}`) ?? {
      principal: `${s.kind.toLowerCase()}:${s.name}`,
      tenant: undefined,
    };

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

  const rows: AccessRow[] = [];
  const push = (
    who: { principal: string; tenant: string | undefined },
    row: Omit<AccessRow, "principal" | "tenant">,
  ) =>
    rows.push({
      principal: who.principal,
      ...(who.tenant !== undefined ? { tenant: who.tenant } : {}),
      ...row,
    });

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
        for (const e of expand(rules))
          push(subjectPrincipal(subject), { system: "kubernetes", cluster, scope, ...e, via });
        if (note)
          push(subjectPrincipal(subject), {
            system: "kubernetes",
            cluster,
            scope,
            resource: `(${note})`,
            verbs: ["(aggregated)"],
            via,
          });
      }
    }
  }

  // Vault: policies by name; deployers by creds path
  const policies = new Map<string, PolicyRule[]>();
  for (const p of byType("vault:index/policy:Policy"))
    policies.set(String(p.inputs.name), parsePolicy(String(p.inputs.policy)));
  const deployers = byType("vault:kubernetes/secretBackendRole:SecretBackendRole").map((d, index) => ({
    path: `${d.inputs.backend}/creds/${d.inputs.name}`,
    namespaces: (d.inputs.allowedKubernetesNamespaces ?? []) as string[],
    role: String(d.inputs.kubernetesRoleName),
    ttl: Number(d.inputs.tokenDefaultTtl),
    index,
  }));
  // by path, for the deployers a policy path can name: an exact path one, a glob those under its literal prefix
  const byPath = [...deployers].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const underPrefix = (prefix: string) => {
    let lo = 0;
    let hi = byPath.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byPath[mid]!.path < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: typeof deployers = [];
    for (let i = lo; i < byPath.length && byPath[i]!.path.startsWith(prefix); i++) out.push(byPath[i]!);
    return out;
  };
  const candidatesOf = (path: string) => {
    const glob = path.search(/[+*]/);
    return glob < 0 ? underPrefix(path).filter((d) => d.path === path) : underPrefix(path.slice(0, glob));
  };

  const vaultRows = (
    who: { principal: string; tenant: string | undefined },
    policyNames: string[],
    via: string,
  ) => {
    const rules = policyNames.flatMap((n) => policies.get(n) ?? []);
    for (const name of policyNames) {
      for (const r of policies.get(name) ?? []) {
        push(who, {
          system: "vault",
          scope: "path",
          resource: r.path,
          verbs: [...r.capabilities],
          via: `${via}: policy ${name}`,
        });
      }
    }
    const acl = mergeRules(rules);
    // an exact policy path names its deployer; a glob only those its literal prefix can reach
    const candidates = new Set(rules.flatMap((r) => candidatesOf(r.path)));
    // in plan order, as a scan of every deployer would give them
    for (const d of [...candidates].sort((a, b) => a.index - b.index)) {
      if (!capabilitiesOn(acl, d.path).includes("update")) continue;
      for (const ns of d.namespaces) {
        // deployers are on the default cluster (components/members/rbac.ts deployerNamespaces)
        for (const e of expand(roles.get(`${home}/${ns}/${d.role}`) ?? [])) {
          push(who, {
            system: "kubernetes",
            cluster: home,
            scope: `namespace:${ns}`,
            ...e,
            via: `Vault ${d.path} (token TTL ${d.ttl}s) -> Role ${ns}/${d.role}`,
          });
        }
      }
    }
  };

  const aliasOf = new Map(byType("vault:identity/entityAlias:EntityAlias").map((a) => [a.tenant, a]));
  for (const entity of byType("vault:identity/entity:Entity")) {
    const alias = aliasOf.get(entity.tenant);
    const email = alias ? String(alias.inputs.name) : undefined;
    const who = {
      principal: email ? `user:${email}` : `vault-entity:${entity.inputs.name}`,
      tenant: entity.tenant,
    };
    vaultRows(who, (entity.inputs.policies ?? []) as string[], `entity ${entity.inputs.name}`);
  }
  for (const role of byType("vault:kubernetes/authBackendRole:AuthBackendRole")) {
    const sas = (role.inputs.boundServiceAccountNamespaces as string[]).flatMap((ns) =>
      (role.inputs.boundServiceAccountNames as string[]).map((n) => `${ns}/${n}`),
    );
    const who = {
      principal: `vault-k8s-auth:${role.inputs.backend}/${role.inputs.roleName}`,
      tenant: role.tenant,
    };
    vaultRows(who, (role.inputs.tokenPolicies ?? []) as string[], `service account ${sas.join(", ")}`);
  }
  for (const role of byType("vault:jwt/authBackendRole:AuthBackendRole")) {
    const claims = Object.entries((role.inputs.boundClaims ?? {}) as Record<string, string>).map(
      ([k, v]) => `${k}=${v}`,
    );
    const who = {
      principal: `vault-jwt:${role.inputs.backend}/${role.inputs.roleName}`,
      tenant: role.tenant,
    };
    vaultRows(who, (role.inputs.tokenPolicies ?? []) as string[], `ID token with ${claims.join(", ")}`);
  }
  // DNS: which tenant's workloads a hostname sends traffic to, through which record
  const zoneName = new Map(Object.entries(env.dns.zones).map(([zone, id]) => [id, zone]));
  const ownerOf = new Map(model.tenants.map((t) => [t.id, t]));
  for (const record of byType("cloudflare:index/dnsRecord:DnsRecord")) {
    const tenant = record.tenant === undefined ? undefined : ownerOf.get(record.tenant);
    push(
      tenant
        ? { principal: tenantPrincipal(env, tenant), tenant: tenant.id }
        : { principal: "platform", tenant: undefined },
      {
        system: "dns",
        scope: `zone:${zoneName.get(String(record.inputs.zoneId)) ?? String(record.inputs.zoneId)}`,
        resource: String(record.inputs.name),
        verbs: ["serve"],
        via: `DnsRecord ${String(record.inputs.type)} -> ${String(record.inputs.content)}${record.inputs.proxied ? " (proxied)" : ""}`,
      },
    );
  }
  return rows;
}
