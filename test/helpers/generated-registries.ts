/**
 * Generated registries for the property tests (isolation, the registrar's equivalence): prefix-sharing ids
 * (`alice` / `alice-dev`), namespaces named after other tenants' ids plus a suffix, placement over the example
 * environment's three clusters, role bundles, members, per-tenant and shared CI, offboarding tenants and
 * namespaces, both Vault KV layouts, SOPS keys, catalog apps (own and shared placement), TLS by cert-manager or
 * by copy, 1-3 shards, each namespace's `network.from` (the default, tenant, namespace or a list of the tenant's
 * namespaces), AdminNetworkPolicies on or off and automation identities (ServiceAccounts). A spec that validation
 * refuses is dropped.
 */
import fc from "fast-check";
import type { LabelSelector } from "../../components/clusters/placement";
import type { RegistryModel } from "../../registry/model";
import { InvalidInputError } from "../../components/core/problems";
import type { TenantFileInput } from "../../registry/schema";
import { exampleEnvironmentData, registryOf, withSharedCi } from "../plan/registries";

const BASES = ["al", "alice", "bob", "b"];
const SUFFIXES = ["", "-dev", "-x"];
const WORDS = ["dev", "x", "app"];
const MEMBER_ROLES = ["owner", "manager", "developer", "viewer"] as const;
const APPS = ["jupyter", "code-server", "actual-budget"] as const;

const nsSpec = fc.record({
  kind: fc.constantFrom("own", "own-suffix", "other-suffix"),
  word: fc.constantFrom(...WORDS),
  other: fc.nat(),
});
/** Cluster selectors over the example environment's clusters (an empty one picks all three). */
export const SELECTORS: LabelSelector[] = [
  {},
  { matchLabels: { region: "eu-west" } },
  { matchLabels: { purpose: "general" } },
  { matchExpressions: [{ key: "accelerator", operator: "Exists" }] },
  { matchExpressions: [{ key: "region", operator: "NotIn", values: ["eu-west"] }] },
];
const rarely = fc.oneof(
  { weight: 6, arbitrary: fc.constant(false) },
  { weight: 1, arbitrary: fc.constant(true) },
);
const tenantSpec = fc.record({
  namespaces: fc.array(nsSpec, { minLength: 1, maxLength: 3 }),
  role: fc.oneof(
    { weight: 6, arbitrary: fc.constant("namespace-owner" as const) },
    { weight: 1, arbitrary: fc.constant("power-user" as const) },
    { weight: 1, arbitrary: fc.constant("admin" as const) },
  ),
  offboarding: rarely,
  /** Per namespace: whether that namespace alone is offboarding. */
  nsOffboarding: fc.array(rarely, { minLength: 3, maxLength: 3 }),
  members: fc.array(
    fc.record({
      other: fc.nat(),
      role: fc.constantFrom(...MEMBER_ROLES),
      pick: fc.option(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { nil: undefined }),
    }),
    { maxLength: 2 },
  ),
  ci: fc.option(fc.option(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { nil: undefined }), {
    nil: null,
  }),
  /** Hostnames: none, the tenant's own name under a zone, or that and a second one in the other zone. */
  domains: fc.constantFrom(0, 1, 2),
  // placement over the example's three clusters (main default; eu-gpu; us-east), mostly the default
  placement: fc.oneof(
    { weight: 3, arbitrary: fc.constant(-1) },
    { weight: 2, arbitrary: fc.nat(SELECTORS.length - 1) },
  ),
  nsPlacement: fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(-1) },
      { weight: 1, arbitrary: fc.nat(SELECTORS.length - 1) },
    ),
    { minLength: 3, maxLength: 3 },
  ),
  grants: fc.array(
    fc.record({
      bundle: fc.constantFrom("gpu-jobs", "node-viewer"),
      selector: fc.nat(SELECTORS.length - 1),
      pick: fc.option(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { nil: undefined }),
    }),
    { maxLength: 2 },
  ),
  /** Per namespace: its `network.from`: the default (members), tenant, namespace, or the tenant's namespaces picked. */
  nsReach: fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom("tenant" as const, "namespace" as const) },
      { weight: 1, arbitrary: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) },
    ),
    { minLength: 3, maxLength: 3 },
  ),
  /** Catalog apps: which, and whether each is enabled. */
  apps: fc.array(fc.record({ app: fc.constantFrom(...APPS), enabled: fc.boolean() }), { maxLength: 2 }),
});
export const registrySpec = fc.record({
  ids: fc.uniqueArray(
    fc.tuple(fc.constantFrom(...BASES), fc.constantFrom(...SUFFIXES)).map(([b, s]) => b + s),
    { minLength: 2, maxLength: 5 },
  ),
  tenants: fc.array(tenantSpec, { minLength: 5, maxLength: 5 }),
  legacy: fc.boolean(),
  /** Vault KV paths per namespace (vault.tenantPaths: per-namespace), where not legacy. */
  perNamespace: fc.boolean(),
  groups: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  /** The shared CI identity of existing installations, besides per-tenant CI. */
  sharedCi: fc.boolean(),
  /** SOPS transit keys per namespace. */
  sops: fc.boolean(),
  /** Extra features, off in the isolation test's registries (it predates them). */
  extras: fc.record({
    apps: fc.boolean(),
    nsOffboarding: fc.boolean(),
    tlsCopy: fc.boolean(),
    shards: fc.constantFrom(1, 2, 3),
    /** network.adminNetworkPolicy: off, on, or on and released. */
    adminNetworkPolicy: fc.constantFrom("off" as const, "on" as const, "released" as const),
  }),
  /** Per-tenant CI: a role per namespace (ci.perTenant.rolePer: namespace) instead of one per tenant. Last: earlier draws stay. */
  ciRolePerNamespace: fc.boolean(),
  /**
   * Shared objects (docs/shared-objects.md): the environment's (a pull secret from a platform KV path and a
   * ConfigMap), the default tier's (a LimitRange) and per tenant its own (a Secret from its own KV path and a
   * NetworkPolicy letting its first namespace in). Last: earlier draws stay.
   */
  sharedObjects: fc.record({
    environment: fc.boolean(),
    tier: fc.boolean(),
    tenants: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  }),
  /**
   * Per tenant: its automation identities (docs/automation-identities.md), each in one of its namespaces no member
   * above viewer is invited into, with a role, some namespaces and its granted bundles. Last: earlier draws stay.
   */
  serviceAccounts: fc.array(
    fc.array(
      fc.record({
        ns: fc.nat(2),
        role: fc.constantFrom(...MEMBER_ROLES),
        pick: fc.option(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { nil: undefined }),
        bundles: fc.boolean(),
      }),
      { maxLength: 2 },
    ),
    { minLength: 5, maxLength: 5 },
  ),
  /**
   * Organisations (docs/organisations.md): per tenant, the index of an earlier tenant as its parent (none mostly),
   * and whether the environment gives ancestors read-only view (organisations.parentView). A child is drawn
   * within its parent's bounds (`organise`). Last: earlier draws stay.
   */
  organisations: fc.record({
    on: fc.boolean(),
    parents: fc.array(fc.option(fc.nat(3), { nil: undefined, freq: 2 }), { minLength: 5, maxLength: 5 }),
    parentView: fc.boolean(),
    /**
     * Per tenant made a child of a root: whether its parent invites it as a viewer, into its first namespace only
     * or into all (a sibling invited by the parent views no sibling through it). Last: earlier draws stay.
     */
    invited: fc.array(fc.constantFrom("no" as const, "one" as const, "all" as const), {
      minLength: 5,
      maxLength: 5,
    }),
  }),
});
export type RegistrySpec = typeof registrySpec extends fc.Arbitrary<infer S> ? S : never;

/** Picks a subset of a list by flags; undefined (= all) when the flags pick nothing. */
function subset(list: string[], pick: boolean[] | undefined): string[] | undefined {
  const chosen = pick ? list.filter((_, i) => pick[i]) : [];
  return chosen.length > 0 ? chosen : undefined;
}

/** A tenant's own shared objects: a Secret from its own KV path, a NetworkPolicy letting its first namespace in. */
function tenantSharedObjects(
  spec: RegistrySpec,
  id: string,
  namespaces: string[],
): NonNullable<TenantFileInput["sharedObjects"]> {
  const path = spec.legacy ? `${id}/app` : spec.perNamespace ? `${namespaces[0]}/app` : `tenants/${id}/app`;
  return [
    { kind: "Secret", name: "app-token", vault: { path, keys: { token: "token" } } },
    {
      kind: "NetworkPolicy",
      name: "from-first",
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespaces[0]! } } }],
          },
        ],
      },
    },
  ];
}

const MEMBER_RANK = { viewer: 0, developer: 1, manager: 2, owner: 3 } as const;
const ROLE_RANK = { "namespace-owner": 0, "power-user": 1, admin: 2 } as const;

/**
 * Parents drawn for the spec's tenants (an earlier tenant each, at most three levels deep), each child made to fit
 * its parent's bounds as components/organisations/rules.ts checks them: the organisation's tier (`org`, no
 * budget), the parent's placement and grants (without namespace picks), a role no higher, domains below the
 * parent's first, members among the parent and its members with no higher role, offboarding with its parent;
 * a root may invite its child.
 */
function organise(spec: RegistrySpec, docs: Record<string, TenantFileInput>): void {
  const { ids } = spec;
  const depth = new Map<string, number>();
  ids.forEach((id, i) => {
    const p = spec.organisations?.on ? spec.organisations.parents[i] : undefined;
    const parentId = p === undefined || i === 0 ? undefined : ids[p % i]!;
    const level = parentId === undefined ? 1 : depth.get(parentId)! + 1;
    if (parentId === undefined || level > 3) return void depth.set(id, 1);
    depth.set(id, level);
    const parent = docs[parentId]!;
    const child = docs[id]!;
    parent.tier = "org";
    child.tier = "org";
    child.parent = parentId;
    const roleOf = (d: TenantFileInput) => d.role ?? "namespace-owner";
    if (ROLE_RANK[roleOf(child)] > ROLE_RANK[roleOf(parent)]) child.role = roleOf(parent);
    if (parent.clusterSelector) child.clusterSelector = parent.clusterSelector;
    else delete child.clusterSelector;
    child.namespaces = (child.namespaces ?? []).map((n) => {
      if (typeof n === "string") return n;
      const { clusterSelector: _c, ...rest } = n;
      return Object.keys(rest).length > 1 ? rest : rest.name;
    });
    const grants = (parent.grants ?? []).map(({ bundle, clusterSelector }) => ({ bundle, clusterSelector }));
    if (grants.length > 0) child.grants = grants;
    else delete child.grants;
    const outer = parent.domains?.[0];
    child.domains =
      outer === undefined || (child.domains ?? []).length === 0 ? [] : [`${id}.${String(outer)}`];
    const held = new Map<string, keyof typeof MEMBER_RANK>([
      [parentId, "owner"],
      ...(parent.members ?? []).map((m) => [m.tenant, m.role] as [string, keyof typeof MEMBER_RANK]),
    ]);
    held.delete(id);
    const candidates = [...held.keys()];
    const invited = new Set<string>();
    child.members = (child.members ?? []).flatMap((m, k) => {
      const tenant = candidates[k % Math.max(1, candidates.length)];
      if (tenant === undefined || invited.has(tenant)) return [];
      invited.add(tenant);
      const role = MEMBER_RANK[m.role] > MEMBER_RANK[held.get(tenant)!] ? held.get(tenant)! : m.role;
      return [{ tenant, role }];
    });
    if (parent.offboarding) child.offboarding = true;
    // the parent (a root: its members are bounded by nobody) invites its child, as a viewer (no automation
    // identity of the parent's is acted on by a viewer)
    const invite = spec.organisations?.invited?.[i] ?? "no";
    const first = parent.namespaces?.[0];
    if (
      invite !== "no" &&
      parent.parent === undefined &&
      first !== undefined &&
      !parent.members?.some((m) => m.tenant === id)
    )
      parent.members = [
        ...(parent.members ?? []),
        {
          tenant: id,
          role: "viewer",
          ...(invite === "one" ? { namespaces: [typeof first === "string" ? first : first.name] } : {}),
        },
      ];
  });
}

/** The tenant documents of a spec. */
export function documents(spec: RegistrySpec, extras = true): Record<string, TenantFileInput> {
  const { ids } = spec;
  const nsOf = ids.map((id, i) => {
    const names = spec.tenants[i]!.namespaces.map((n) => {
      if (n.kind === "own") return id;
      if (n.kind === "own-suffix") return `${id}-${n.word}`;
      return `${ids[n.other % ids.length]}-${n.word}`;
    });
    return [...new Set(names)];
  });
  const docs: Record<string, TenantFileInput> = {};
  ids.forEach((id, i) => {
    const t = spec.tenants[i]!;
    const invited = new Set<string>();
    const members = t.members.flatMap((m) => {
      const other = ids[(i + 1 + (m.other % (ids.length - 1))) % ids.length]!;
      if (invited.has(other)) return [];
      invited.add(other);
      const namespaces = subset(nsOf[i]!, m.pick);
      return [{ tenant: other, role: m.role, ...(namespaces ? { namespaces } : {}) }];
    });
    const ciNamespaces = t.ci ? subset(nsOf[i]!, t.ci) : undefined;
    const grants = t.grants.map((g) => {
      const namespaces = g.bundle === "gpu-jobs" ? subset(nsOf[i]!, g.pick) : undefined;
      return {
        bundle: g.bundle,
        clusterSelector: SELECTORS[g.selector]!,
        ...(namespaces ? { namespaces } : {}),
      };
    });
    // automation identities, where no invited member could act as them (components/members/rules.ts)
    const actedOn = new Set(
      members.filter((m) => m.role !== "viewer").flatMap((m) => m.namespaces ?? nsOf[i]!),
    );
    const homes = nsOf[i]!.filter((n) => !actedOn.has(n));
    const serviceAccounts =
      homes.length === 0
        ? []
        : (spec.serviceAccounts[i] ?? []).map((sa, k) => {
            const namespaces = subset(nsOf[i]!, sa.pick);
            const bundles = sa.bundles ? [...new Set(grants.map((g) => g.bundle))] : [];
            return {
              name: `bot-${k}`,
              namespace: homes[sa.ns % homes.length]!,
              role: sa.role,
              ...(namespaces ? { namespaces } : {}),
              ...(bundles.length > 0 ? { bundles } : {}),
            };
          });
    const apps = extras && spec.extras.apps ? [...new Map(t.apps.map((a) => [a.app, a])).values()] : [];
    docs[id] = {
      email: `${id}@example.com`,
      role: t.role,
      ...(t.placement >= 0 ? { clusterSelector: SELECTORS[t.placement]! } : {}),
      namespaces: nsOf[i]!.map((name, k) => {
        const p = t.nsPlacement[k] ?? -1;
        const off = extras && spec.extras.nsOffboarding && t.nsOffboarding[k] === true;
        const r = t.nsReach[k] ?? null;
        const from = Array.isArray(r) ? subset(nsOf[i]!, r) : (r ?? undefined);
        return p >= 0 || off || from
          ? {
              name,
              ...(p >= 0 ? { clusterSelector: SELECTORS[p]! } : {}),
              ...(off ? { offboarding: true } : {}),
              ...(from ? { network: { from } } : {}),
            }
          : name;
      }),
      ...(grants.length > 0 ? { grants } : {}),
      domains: [`${id}.example.com`, `www-${id}.example.org`].slice(0, t.domains),
      members,
      ...(apps.length > 0
        ? { apps: apps.map((a) => ({ name: a.app, ...(a.enabled ? {} : { enabled: false }) })) }
        : {}),
      ...(t.ci !== null
        ? {
            ci: {
              boundClaims: { repository_owner: `${id}-org`, repository_owner_id: String(1000 + i) },
              ...(ciNamespaces ? { namespaces: ciNamespaces } : {}),
            },
          }
        : {}),
      ...(t.offboarding ? { offboarding: true } : {}),
      ...(serviceAccounts.length > 0 ? { serviceAccounts } : {}),
      ...(extras && spec.sharedObjects?.tenants[i] && nsOf[i]!.length > 0
        ? { sharedObjects: tenantSharedObjects(spec, id, nsOf[i]!) }
        : {}),
    };
  });
  organise(spec, docs);
  return docs;
}

/**
 * The registry of a spec, or undefined when validation refuses it (e.g. a namespace equal to another tenant's
 * id). `extras: false` leaves out apps, offboarding namespaces, TLS copy, shards and AdminNetworkPolicies;
 * `editEnvironment` changes the environment's data last.
 */
export function generatedRegistry(
  spec: RegistrySpec,
  extras = true,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  editEnvironment: (env: any) => void = () => {},
): RegistryModel | undefined {
  const env = exampleEnvironmentData();
  if (spec.legacy) env.vault.tenantPaths = "top-level";
  else if (spec.perNamespace) env.vault.tenantPaths = "per-namespace";
  if (spec.groups) env.rbac = { subject: "group", groupPrefix: "tenant:" };
  if (spec.sharedCi) withSharedCi(env);
  if (spec.ciRolePerNamespace) env.ci.perTenant.rolePer = "namespace";
  if (spec.sops) env.vault.sops = { mount: "transit", keyPrefix: "sops-state-" };
  if (extras && spec.extras.tlsCopy)
    env.tls = { mode: "copy", copy: { namespace: "ingress-nginx", secretName: "wildcard-tls" } };
  if (extras) env.shards = { count: spec.extras.shards };
  if (extras && spec.extras.adminNetworkPolicy !== "off")
    env.network.adminNetworkPolicy = {
      enabled: true,
      ...(spec.extras.adminNetworkPolicy === "released" ? { release: true } : {}),
    };
  if (extras && spec.sharedObjects?.environment)
    env.sharedObjects = [
      {
        kind: "Secret",
        name: "regcred",
        type: "kubernetes.io/dockerconfigjson",
        vault: { path: "platform/registry", keys: { ".dockerconfigjson": "dockerconfigjson" } },
      },
      { kind: "ConfigMap", name: "platform-ca", data: { "ca.crt": "-----BEGIN CERTIFICATE-----" } },
    ];
  if (extras && spec.sharedObjects?.tier)
    env.tiers.standard.sharedObjects = [
      {
        kind: "LimitRange",
        name: "pvc-size",
        spec: { limits: [{ type: "PersistentVolumeClaim", max: { storage: "20Gi" } }] },
      },
    ];
  const docs = documents(spec, extras);
  if (Object.values(docs).some((d) => d.parent !== undefined)) {
    env.tiers.org = { description: "an organisation's tenants: no budget to share" };
    if (spec.organisations?.parentView) env.organisations = { parentView: true };
  }
  editEnvironment(env);
  try {
    return registryOf(docs, env);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    // identities whose namespaces or bundles miss their clusters: kept, bound by default (their tenant's namespaces)
    if (!e.problems.some((p) => p.path[0] === "serviceAccounts")) return undefined;
  }
  for (const d of Object.values(docs))
    d.serviceAccounts = d.serviceAccounts?.map(({ name, namespace, role }) => ({ name, namespace, role }));
  try {
    return registryOf(docs, env);
  } catch (e) {
    if (e instanceof InvalidInputError) return undefined;
    throw e;
  }
}

/** Generated registries that validate. */
export const generatedRegistries = (
  extras = true,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  editEnvironment: (env: any) => void = () => {},
) =>
  registrySpec
    .map((spec) => ({ spec, model: generatedRegistry(spec, extras, editEnvironment) }))
    .filter((r): r is { spec: RegistrySpec; model: RegistryModel } => r.model !== undefined);
