/**
 * What the portal shows, as plain data read from the plan (`plan/plan.ts` buildPlan) and the access matrix
 * (`plan/access.ts`), the same data `tenancy plan` and `tenancy access` print, plus the registry model for what
 * only it knows (display names, tiers, members' roles). A tenant's view holds that tenant's data only: its own
 * namespaces, hosts and grants, the tenants it invites (by id) and the namespaces it is invited into.
 */
import { defaultCluster } from "../components/clusters/placement";
import { type AccessRow, reachesTenant } from "../policy/access";
import type { Plan, PlannedResource } from "../plan/plan";
import { CLUSTER_SCOPED_RESOURCES } from "../components/members/rbac";
import { type RegistryModel, type TenantModel, ancestors } from "../registry/model";

export interface NamespaceView {
  name: string;
  offboarding: boolean;
  /** The planned ResourceQuota's `spec.hard`. */
  quota: Record<string, string>;
  /** The planned LimitRange's container limits. */
  limits: {
    default?: Record<string, string>;
    defaultRequest?: Record<string, string>;
    max?: Record<string, string>;
  };
  /** Pod Security level enforced (the namespace's label). */
  podSecurity?: string;
  /** The clusters it exists on (its placement in the registry, where the plan makes its Namespace objects). */
  clusters: string[];
}

export interface HostView {
  host: string;
  url: string;
  /** A domain of the record, or a catalog app's instance. */
  kind: "domain" | "app";
  app?: string;
  namespace: string;
  /** The instance is enabled (a domain always is). */
  enabled: boolean;
  /** A DNS record is planned for it. */
  dns: boolean;
}

export interface MemberView {
  tenant: string;
  role: string;
  manager: boolean;
  /** The namespaces it reaches and the role it is bound to there, from the planned RoleBindings. */
  grants: { namespace: string; role: string }[];
}

/** Access rows folded like the access table: one line per principal, system, scope and grant. */
export interface GrantView {
  principal: string;
  system: AccessRow["system"];
  scope: string;
  via: string;
  resources: { resource: string; verbs: string[] }[];
}

export interface DeployerView {
  /** The Vault path that mints the credentials. */
  path: string;
  namespaces: string[];
  ttlSeconds: number;
}

export interface VaultView {
  address: string;
  namespace?: string;
  kvMount: string;
  /** KV paths under the mount the tenant may write and read (`tenants/alice`). */
  kvBases: string[];
  paths: { path: string; capabilities: string[] }[];
  deployers: DeployerView[];
}

export type CiView =
  | {
      kind: "per-tenant";
      principal: string;
      authMount: string;
      role: string;
      audience?: string;
      boundClaims: Record<string, string>;
      ttlSeconds: number;
      deployers: DeployerView[];
    }
  | {
      kind: "shared";
      principal: string;
      authMount: string;
      role: string;
      serviceAccounts: string[];
      deployers: DeployerView[];
    };

export interface TenantView {
  id: string;
  displayName?: string;
  email: string;
  role: string;
  tier: string;
  tierDescription?: string;
  offboarding: boolean;
  cluster: { name: string; server?: string };
  namespaces: NamespaceView[];
  hosts: HostView[];
  members: MemberView[];
  invited: { namespace: string; role: string }[];
  grants: GrantView[];
  vault?: VaultView;
  ci?: CiView;
  /**
   * Its organisation (docs/organisations.md), when it has a parent or children: the chain root first and itself
   * last, its children, and the tenants of its organisation bound in its namespaces without an invitation of
   * its own (organisations.parentView), as the access rows show them.
   */
  organisation?: { path: string[]; children: string[]; viewers: { tenant: string; namespaces: string[] }[] };
}

export interface TenantSummary {
  id: string;
  displayName?: string;
  role: string;
  tier: string;
  offboarding: boolean;
  namespaces: string[];
  hosts: number;
  members: number;
}

export interface GraphData {
  tenants: { id: string; offboarding: boolean }[];
  namespaces: { name: string; tenant: string; offboarding: boolean }[];
  /** Who reaches a namespace (Kubernetes rows scoped to it) and how (the bound role). */
  edges: { namespace: string; principal: string; tenant?: string; role: string }[];
  /** Principals that reach every namespace from cluster scope. */
  clusterWide: { principal: string; tenant?: string; role: string }[];
}

export interface PlatformView {
  environment: string;
  tenants: TenantSummary[];
  tiers: {
    name: string;
    description?: string;
    quota: Record<string, string>;
    maxNamespaces?: number;
    tenants: number;
  }[];
  graph: GraphData;
  /** Every access row, folded; with the tenants each reaches (`access --tenant`'s rule). */
  matrix: (GrantView & { tenant?: string; reaches: string[] })[];
  systems: AccessRow["system"][];
}

const resourcesOf = (plan: Plan) => plan.stacks.flatMap((s) => s.resources);
const metadata = (r: PlannedResource) =>
  (r.inputs.metadata ?? {}) as { name?: string; namespace?: string; labels?: Record<string, string> };

/** The role a grant binds: `tenancy-namespace-owner` of `RoleBinding ns/x -> ClusterRole tenancy-namespace-owner`. */
export function boundRole(via: string): string {
  return /-> (?:Cluster)?Role (?:[^ ]+\/)?([^ /]+)$/.exec(via)?.[1] ?? via;
}

/** Folds rows that differ only in the resource, keeping each resource's verbs. */
export function foldGrants(rows: readonly AccessRow[]): (GrantView & { tenant?: string })[] {
  const folded = new Map<string, GrantView & { tenant?: string }>();
  for (const r of rows) {
    const key = JSON.stringify([r.tenant ?? "", r.principal, r.system, r.scope, r.via]);
    let entry = folded.get(key);
    if (!entry) {
      entry = {
        principal: r.principal,
        ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
        system: r.system,
        scope: r.scope,
        via: r.via,
        resources: [],
      };
      folded.set(key, entry);
    }
    entry.resources.push({ resource: r.resource, verbs: r.verbs });
  }
  const sortKey = (g: GrantView & { tenant?: string }) =>
    [g.tenant ?? "~", g.principal, g.system, g.scope, g.via].join("\0");
  return [...folded.values()].sort((a, b) =>
    sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
  );
}

function deployersIn(plan: Plan) {
  return resourcesOf(plan)
    .filter((r) => r.type === "vault:kubernetes/secretBackendRole:SecretBackendRole")
    .map((d) => ({
      path: `${String(d.inputs.backend)}/creds/${String(d.inputs.name)}`,
      namespaces: (d.inputs.allowedKubernetesNamespaces ?? []) as string[],
      ttlSeconds: Number(d.inputs.tokenDefaultTtl),
    }));
}

/** The deployers a principal may mint credentials of (a Vault row with `update` on the creds path). */
function deployersOf(rows: readonly AccessRow[], principal: string, plan: Plan): DeployerView[] {
  const writable = new Set(
    rows
      .filter((r) => r.principal === principal && r.system === "vault" && r.verbs.includes("update"))
      .map((r) => r.resource),
  );
  return deployersIn(plan).filter((d) => writable.has(d.path));
}

function namespaceView(
  plan: Plan,
  ns: PlannedResource,
  offboarding: boolean,
): Omit<NamespaceView, "clusters"> {
  const name = metadata(ns).name!;
  const inNamespace = (type: string) =>
    resourcesOf(plan).find((r) => r.type === type && metadata(r).namespace === name);
  const quota = inNamespace("kubernetes:core/v1:ResourceQuota");
  const limitRange = inNamespace("kubernetes:core/v1:LimitRange");
  const spec = (limitRange?.inputs.spec ?? {}) as {
    limits?: (NamespaceView["limits"] & { type?: string })[];
  };
  const container = spec.limits?.find((l) => l.type === "Container");
  const level = metadata(ns).labels?.["pod-security.kubernetes.io/enforce"];
  return {
    name,
    offboarding,
    quota: { ...(((quota?.inputs.spec ?? {}) as { hard?: Record<string, string> }).hard ?? {}) },
    limits: {
      ...(container?.default ? { default: container.default } : {}),
      ...(container?.defaultRequest ? { defaultRequest: container.defaultRequest } : {}),
      ...(container?.max ? { max: container.max } : {}),
    },
    ...(level ? { podSecurity: level } : {}),
  };
}

export function tenantView(
  model: RegistryModel,
  plan: Plan,
  rows: readonly AccessRow[],
  tenant: TenantModel,
): TenantView {
  const env = model.environment;
  const home = env.clusters.find((c) => c.name === defaultCluster(env.clusters))!;
  const own = new Set(tenant.namespaces.map((n) => n.name));
  const offboardingNs = new Set(
    tenant.namespaces.filter((n) => n.offboarding || tenant.offboarding).map((n) => n.name),
  );
  const resources = resourcesOf(plan);
  const scheme = env.tls.mode === "none" ? "http" : "https";

  // in the record's order, as planned
  const planned = new Map(
    resources
      .filter((r) => r.type === "kubernetes:core/v1:Namespace" && r.tenant === tenant.id)
      .map((r) => [metadata(r).name!, r]),
  );
  const namespaces = tenant.namespaces.flatMap((n) => {
    const r = planned.get(n.name);
    return r ? [{ ...namespaceView(plan, r, offboardingNs.has(n.name)), clusters: n.clusters }] : [];
  });

  const dnsHosts = new Set(
    rows.filter((r) => r.system === "dns" && r.tenant === tenant.id).map((r) => r.resource),
  );
  type Instances = Record<string, { app: string; namespace: string; host: string; enabled: boolean }[]>;
  // the apps stacks' output (every shard's): the instances of each tenant
  const instances = plan.stacks
    .filter((s) => s.layer === "apps")
    .flatMap((s) => {
      // own keys only: a tenant may be called `constructor`, which every object inherits
      const of = (s.outputs.instances ?? {}) as Instances;
      return Object.hasOwn(of, tenant.id) ? of[tenant.id]! : [];
    });
  const hosts: HostView[] = [
    ...tenant.domains.map((d) => ({
      host: d.name,
      url: `${scheme}://${d.name}/`,
      kind: "domain" as const,
      namespace: d.namespace,
      enabled: !tenant.offboarding,
      dns: dnsHosts.has(d.name),
    })),
    ...instances.map((i) => ({
      host: i.host,
      url: `${scheme}://${i.host}/`,
      kind: "app" as const,
      app: i.app,
      namespace: i.namespace,
      enabled: i.enabled && !tenant.offboarding,
      dns: dnsHosts.has(i.host),
    })),
  ];

  // members: the other tenants' principals bound in this tenant's namespaces
  const memberGrants = new Map<string, { namespace: string; role: string }[]>();
  for (const g of foldGrants(rows)) {
    const ns = g.scope.startsWith("namespace:") ? g.scope.slice("namespace:".length) : undefined;
    if (ns === undefined || !own.has(ns) || g.tenant === undefined || g.tenant === tenant.id) continue;
    if (!g.via.startsWith("RoleBinding ")) continue;
    const list = memberGrants.get(g.tenant) ?? [];
    if (!list.some((x) => x.namespace === ns)) list.push({ namespace: ns, role: boundRole(g.via) });
    memberGrants.set(g.tenant, list);
  }
  const members = tenant.members.map((m) => ({
    tenant: m.tenant,
    role: m.role,
    manager: m.manager,
    grants: memberGrants.get(m.tenant) ?? [],
  }));

  const ownRows = rows.filter((r) => r.tenant === tenant.id);
  const grants = foldGrants(ownRows).map(({ tenant: _t, ...g }) => g);
  const invited = grants
    .filter((g) => g.via.startsWith("RoleBinding ") && g.scope.startsWith("namespace:"))
    .map((g) => ({ namespace: g.scope.slice("namespace:".length), role: boundRole(g.via) }))
    .filter((i) => !own.has(i.namespace));

  const entity = resources.find(
    (r) => r.type === "vault:identity/entityAlias:EntityAlias" && r.tenant === tenant.id,
  );
  const userPrincipal = entity ? `user:${String(entity.inputs.name)}` : undefined;
  const vaultRows = ownRows.filter((r) => r.system === "vault" && r.principal === userPrincipal);
  const kvPrefix = `${env.vault.kvMount}/data/`;
  const vault: VaultView | undefined =
    userPrincipal && vaultRows.length > 0
      ? {
          address: env.vault.address,
          ...(env.vault.namespace ? { namespace: env.vault.namespace } : {}),
          kvMount: env.vault.kvMount,
          kvBases: [
            ...new Set(
              vaultRows
                .filter((r) => r.resource.startsWith(kvPrefix))
                .map((r) => r.resource.slice(kvPrefix.length).replace(/\/?\*$/, "")),
            ),
          ],
          paths: vaultRows.map((r) => ({ path: r.resource, capabilities: r.verbs })),
          deployers: deployersOf(rows, userPrincipal, plan),
        }
      : undefined;

  return {
    id: tenant.id,
    ...(tenant.displayName ? { displayName: tenant.displayName } : {}),
    email: tenant.email,
    role: tenant.role,
    tier: tenant.tier,
    ...(env.tiers[tenant.tier]?.description ? { tierDescription: env.tiers[tenant.tier]!.description! } : {}),
    offboarding: tenant.offboarding,
    // the default cluster: where deployer credentials are issued (ARCHITECTURE.md, "Clusters")
    cluster: {
      name: home.name,
      ...(home.server ? { server: home.server } : {}),
    },
    namespaces,
    hosts,
    members,
    invited,
    grants,
    ...(vault ? { vault } : {}),
    ...ciView(plan, rows, tenant, own),
    ...organisationView(model, tenant, memberGrants),
  };
}

function organisationView(
  model: RegistryModel,
  tenant: TenantModel,
  grants: ReadonlyMap<string, { namespace: string }[]>,
): { organisation?: NonNullable<TenantView["organisation"]> } {
  const children = model.tenants.filter((t) => t.parent === tenant.id).map((t) => t.id);
  if (tenant.parent === undefined && children.length === 0) return {};
  const invited = new Set(tenant.members.map((m) => m.tenant));
  return {
    organisation: {
      path: [
        ...ancestors(model, tenant)
          .map((a) => a.id)
          .reverse(),
        tenant.id,
      ],
      children,
      viewers: [...grants]
        .filter(([id]) => !invited.has(id))
        .map(([id, list]) => ({ tenant: id, namespaces: list.map((g) => g.namespace) })),
    },
  };
}

function ciView(
  plan: Plan,
  rows: readonly AccessRow[],
  tenant: TenantModel,
  own: ReadonlySet<string>,
): { ci?: CiView } {
  const resources = resourcesOf(plan);
  const jwt = resources.find(
    (r) => r.type === "vault:jwt/authBackendRole:AuthBackendRole" && r.tenant === tenant.id,
  );
  if (jwt) {
    const principal = `vault-jwt:${String(jwt.inputs.backend)}/${String(jwt.inputs.roleName)}`;
    const audiences = (jwt.inputs.boundAudiences ?? []) as string[];
    return {
      ci: {
        kind: "per-tenant",
        principal,
        authMount: String(jwt.inputs.backend),
        role: String(jwt.inputs.roleName),
        ...(audiences[0] !== undefined ? { audience: audiences[0] } : {}),
        boundClaims: (jwt.inputs.boundClaims ?? {}) as Record<string, string>,
        ttlSeconds: Number(jwt.inputs.tokenTtl),
        deployers: deployersOf(rows, principal, plan),
      },
    };
  }
  // shared mode: the platform's CI identity, limited to this tenant's own deployers
  for (const role of resources.filter(
    (r) => r.type === "vault:kubernetes/authBackendRole:AuthBackendRole" && r.tenant === undefined,
  )) {
    const principal = `vault-k8s-auth:${String(role.inputs.backend)}/${String(role.inputs.roleName)}`;
    const deployers = deployersOf(rows, principal, plan)
      .map((d) => ({ ...d, namespaces: d.namespaces.filter((ns) => own.has(ns)) }))
      .filter((d) => d.namespaces.length > 0);
    if (deployers.length === 0) continue;
    const sas = (role.inputs.boundServiceAccountNamespaces as string[]).flatMap((ns) =>
      (role.inputs.boundServiceAccountNames as string[]).map((n) => `${ns}/${n}`),
    );
    return {
      ci: {
        kind: "shared",
        principal,
        authMount: String(role.inputs.backend),
        role: String(role.inputs.roleName),
        serviceAccounts: sas,
        deployers,
      },
    };
  }
  return {};
}

export function platformView(model: RegistryModel, plan: Plan, rows: readonly AccessRow[]): PlatformView {
  const env = model.environment;
  const tenants = model.tenants.map((t) => ({
    id: t.id,
    ...(t.displayName ? { displayName: t.displayName } : {}),
    role: t.role,
    tier: t.tier,
    offboarding: t.offboarding,
    namespaces: t.namespaces.map((n) => n.name),
    hosts: t.domains.length + t.apps.length,
    members: t.members.length,
  }));
  const tiers = Object.entries(env.tiers).map(([name, tier]) => ({
    name,
    ...(tier.description ? { description: tier.description } : {}),
    quota: Object.fromEntries(
      Object.entries({ ...(env.defaults.quota ?? {}), ...(tier.quota ?? {}) }).map(([k, v]) => [
        k,
        String(v),
      ]),
    ),
    ...(tier.maxNamespaces !== undefined ? { maxNamespaces: tier.maxNamespaces } : {}),
    tenants: model.tenants.filter((t) => t.tier === name).length,
  }));

  // the graph: namespaces as the platform stacks export them, reach from the access rows
  const exported: Record<string, { tenant: string; offboarding: boolean }> = {};
  for (const s of plan.stacks.filter((s) => s.layer === "platform"))
    Object.assign(exported, (s.outputs.namespaces ?? {}) as typeof exported);
  const namespaces = Object.entries(exported)
    .map(([name, v]) => ({ name, tenant: v.tenant, offboarding: v.offboarding }))
    .sort((a, b) => (a.tenant === b.tenant ? (a.name < b.name ? -1 : 1) : a.tenant < b.tenant ? -1 : 1));
  const folded = foldGrants(rows);
  const edges = new Map<string, GraphData["edges"][number]>();
  const clusterWide = new Map<string, GraphData["clusterWide"][number]>();
  for (const g of folded) {
    if (g.system !== "kubernetes") continue;
    const role = boundRole(g.via);
    if (g.scope.startsWith("namespace:")) {
      const namespace = g.scope.slice("namespace:".length);
      if (!Object.hasOwn(exported, namespace)) continue;
      const key = JSON.stringify([namespace, g.principal, role]);
      edges.set(key, { namespace, principal: g.principal, ...(g.tenant ? { tenant: g.tenant } : {}), role });
    } else if (g.scope === "cluster" && g.resources.some((r) => !CLUSTER_SCOPED_RESOURCES.has(r.resource)))
      clusterWide.set(g.principal, {
        principal: g.principal,
        ...(g.tenant ? { tenant: g.tenant } : {}),
        role,
      });
  }
  const matrix = folded.map((g) => {
    const sample = { ...g, resource: g.resources[0]?.resource ?? "", verbs: [] } as AccessRow;
    return {
      ...g,
      reaches: model.tenants
        .filter((t) => g.resources.some((r) => reachesTenant({ ...sample, resource: r.resource }, t)))
        .map((t) => t.id),
    };
  });
  return {
    environment: env.name,
    tenants,
    tiers,
    graph: {
      tenants: tenants.map((t) => ({ id: t.id, offboarding: t.offboarding })),
      namespaces,
      edges: [...edges.values()],
      clusterWide: [...clusterWide.values()],
    },
    matrix,
    systems: [...new Set(rows.map((r) => r.system))].sort(),
  };
}
