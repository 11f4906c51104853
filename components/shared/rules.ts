/**
 * Shared objects (docs/shared-objects.md): which declarations land in a tenant's namespaces (the environment's,
 * its tier's, its organisation's ancestors', its own), and the rules across fields and scopes, checked once the
 * registry's tenants are known: a Secret's KV path within its scope's bounds, names clear of the platform's
 * objects and of each other across scopes (duplicates are refused: no scope overrides another), NetworkPolicies
 * within the platform's isolation, LimitRanges within the tier's.
 */
import type { EnvironmentModel, TenantModel } from "../../registry/model";
import { ancestors } from "../../registry/model";
import { names } from "../../policy/names";
import { parsePrefix, containsPrefix, overlaps } from "../core/cidr";
import { NAMESPACE_NAME_LABEL } from "../core/labels";
import { type PathSegment, type Problem, show } from "../core/problems";
import { parseQuantity } from "../core/quantity";
import { isOffboarding } from "../members/rbac";
import { deniedRanges } from "../network/policy";
import { capabilitiesOn } from "../vault/acl";
import { tenantKvRules, vaultPaths } from "../vault/policy";
import type { SharedObjectData } from "./schema";

/** A declaration and where it was made: the scope (for messages and precedence), its file and field. */
export interface Declared {
  object: SharedObjectData;
  scope: "environment" | "tier" | "tenant";
  /** The tier's name, or the declaring tenant's id. */
  owner?: string;
  source: string;
  path: PathSegment[];
}

/** What a scope says of itself in a message. */
const scopeName = (d: Declared): string =>
  d.scope === "environment" ? "the environment" : `${d.scope} ${show(d.owner)}`;

/** The environment's own declarations. */
function environmentDeclared(env: EnvironmentModel): Declared[] {
  return (env.sharedObjects ?? []).map((object, i) => ({
    object,
    scope: "environment",
    source: env.source,
    path: ["sharedObjects", i],
  }));
}

/** Tier `tier`'s declarations (none for a tier the environment does not define). */
function tierDeclared(env: EnvironmentModel, tier: string): Declared[] {
  const t = Object.hasOwn(env.tiers, tier) ? env.tiers[tier] : undefined;
  return (t?.sharedObjects ?? []).map((object, i) => ({
    object,
    scope: "tier",
    owner: tier,
    source: env.source,
    path: ["tiers", tier, "sharedObjects", i],
  }));
}

/** A tenant's (or an organisation's) own declarations. */
function tenantDeclared(t: TenantModel): Declared[] {
  return (t.sharedObjects ?? []).map((object, i) => ({
    object,
    scope: "tenant",
    owner: t.id,
    source: t.source,
    path: ["sharedObjects", i],
  }));
}

/** The declarations placed in a tenant's namespaces: the environment's, its tier's, its ancestors' (root first), its own. */
export function sharedObjectsOf(
  model: { environment: EnvironmentModel; tenants: readonly TenantModel[] },
  tenant: TenantModel,
): Declared[] {
  const env = model.environment;
  return [
    ...environmentDeclared(env),
    ...tierDeclared(env, tenant.tier),
    // no deeper than the environment allows (a valid registry is within it; a hostile chain is walked no further)
    ...ancestors(model.tenants, tenant, env.organisations.maxDepth).reverse().flatMap(tenantDeclared),
    ...tenantDeclared(tenant),
  ];
}

/** The namespaces shared objects are placed in: a tenant's that keep access (offboarding ones lose them). */
export function sharedNamespaces(tenant: TenantModel): TenantModel["namespaces"] {
  return tenant.offboarding ? [] : tenant.namespaces.filter((n) => !isOffboarding(tenant, n));
}

/** The clusters some shared object is placed on (where the vault layer writes Kubernetes objects). */
export function sharedObjectClusters(model: {
  environment: EnvironmentModel;
  tenants: readonly TenantModel[];
}): Set<string> {
  const clusters = new Set<string>();
  for (const tenant of model.tenants)
    if (sharedObjectsOf(model, tenant).length > 0)
      for (const ns of sharedNamespaces(tenant)) for (const c of ns.clusters) clusters.add(c);
  return clusters;
}

/** The prefix of the platform's own object names in a tenant namespace (`tenancy-<role>`, `tenancy-admission`). */
export const PLATFORM_PREFIX = "tenancy-";

/** The registry's own KV secret (single-secret) or prefix of its records (per-tenant), when Vault is the registry. */
export interface RegistrySecret {
  mount: string;
  path: string;
  layout: "single-secret" | "per-tenant";
}

/** What the platform itself keeps in Vault, which no shared object may read. */
export interface PlatformVault {
  /**
   * The top-level KV names the platform uses besides vault.reservedPaths (the registry's first segment): no
   * tenant id (top-level paths) or namespace (per-namespace paths) may take one.
   */
  platformVaultPaths?: readonly string[];
  /** The registry's own secret or prefix: never copied into namespaces. */
  registrySecret?: RegistrySecret;
}

/** Every rule over every scope's declarations; problems at the declaration's file and field. */
export function checkSharedObjects(
  model: { environment: EnvironmentModel; tenants: readonly TenantModel[] },
  problems: Problem[],
  platform: PlatformVault = {},
): void {
  const env = model.environment;
  const reported = new Set<string>();
  // once per declaration, field and rule (`once`): a declaration landing in many tenants' namespaces is reported
  // for the first of them only
  const at: At = (d, path, message, once) => {
    const key = `${d.source}\0${JSON.stringify([...d.path, ...path])}\0${once ?? message}`;
    if (reported.has(key)) return;
    reported.add(key);
    problems.push({ source: d.source, path: [...d.path, ...path], message });
  };
  const byId = new Map(model.tenants.map((t) => [t.id, t]));
  // each declaration on its own, once
  const scopes: Declared[] = [
    ...environmentDeclared(env),
    ...Object.keys(env.tiers).flatMap((tier) => tierDeclared(env, tier)),
    ...model.tenants.flatMap(tenantDeclared),
  ];
  for (const d of scopes) {
    const o = d.object;
    if (o.name.startsWith(PLATFORM_PREFIX))
      at(
        d,
        ["name"],
        `${show(o.name)} begins with ${show(PLATFORM_PREFIX)}, which the platform's own objects in a namespace use; choose another name`,
      );
    if (o.kind === "Secret") checkKvPath(env, d, byId.get(d.owner ?? ""), platform, at);
    if (o.kind === "NetworkPolicy") checkNetworkPolicy(env, d, byId.get(d.owner ?? ""), at);
    if (o.kind === "LimitRange") checkLimitOrder(d, at);
  }
  // each declaration where it lands: the tenant's names and tier, and the other scopes landing there too
  for (const tenant of model.tenants) {
    const placed = sharedObjectsOf(model, tenant);
    if (placed.length === 0) continue;
    const first = new Map<string, Declared>();
    for (const d of placed) {
      const key = `${d.object.kind}/${d.object.name}`;
      const earlier = first.get(key);
      if (earlier)
        at(
          d,
          ["name"],
          `${d.object.kind} ${show(d.object.name)} is also declared by ${scopeName(earlier)} (${earlier.source}) for tenant ${show(tenant.id)}'s namespaces; a shared object is declared once (no scope overrides another): remove one or rename it`,
          `collision ${earlier.source} ${JSON.stringify(earlier.path)}`,
        );
      else first.set(key, d);
      checkPlatformNames(env, tenant, d, at);
      if (d.object.kind === "LimitRange") checkTierLimits(env, tenant, d, at);
    }
  }
}

type At = (d: Declared, path: PathSegment[], message: string, once?: string) => void;

/**
 * A Secret's KV path: a tenant's declaration reads only what its own tenant's policy may read (Vault's own
 * matching, components/vault/acl.ts), never another's; the environment's or a tier's only a platform path,
 * which no tenant's policy can ever reach (outside vault.tenantPrefix, or, with top-level and per-namespace tenant
 * paths, under one of vault.reservedPaths, which no tenant id or namespace may be), and never the registry's own.
 */
function checkKvPath(
  env: EnvironmentModel,
  d: Declared,
  owner: TenantModel | undefined,
  platform: PlatformVault,
  at: At,
): void {
  if (d.object.kind !== "Secret") return;
  const path = d.object.vault.path;
  const kv = env.vault.kvMount;
  const top = path.split("/")[0]!;
  const registry = platform.registrySecret;
  const ofRegistry =
    registry !== undefined &&
    registry.mount === kv &&
    (path === registry.path || (registry.layout === "per-tenant" && path.startsWith(`${registry.path}/`)));
  if (d.scope === "tenant") {
    if (!owner) return;
    const rules = tenantKvRules(
      vaultPaths(env),
      owner.id,
      owner.namespaces.map((n) => n.name),
    );
    if (!capabilitiesOn(rules, `${kv}/data/${path}`).includes("read"))
      at(
        d,
        ["vault", "path"],
        `${show(path)} (${kv}/data/${path}) is not one of tenant ${show(owner.id)}'s KV paths (${rules
          .filter((r) => r.path.includes("/data/"))
          .map((r) => r.path)
          .join(", ")}): a tenant's shared Secret reads its own secrets only`,
      );
    return;
  }
  const prefix = env.vault.tenantPrefix;
  const tenantsSpace =
    env.vault.tenantPaths === "prefixed"
      ? path === prefix || path.startsWith(`${prefix}/`)
      : !env.vault.reservedPaths.includes(top);
  const writer = tenantsSpace ? undefined : tenantWriting(env, path, platform.platformVaultPaths ?? []);
  if (tenantsSpace || writer !== undefined || ofRegistry)
    at(
      d,
      ["vault", "path"],
      ofRegistry
        ? `${show(path)} is the registry's own secret (${kv}/data/${path}): it is never copied into namespaces`
        : writer !== undefined
          ? `${show(path)} (${kv}/data/${path}) is writable by ${writer}: ${scopeName(d)}'s shared Secret reads a platform path, which no tenant can write`
          : env.vault.tenantPaths === "prefixed"
            ? `${show(path)} lies under vault.tenantPrefix ${show(prefix)}, where tenants write: ${scopeName(d)}'s shared Secret reads a platform path (any other)`
            : `${show(path)} does not begin with one of vault.reservedPaths (${env.vault.reservedPaths.map((p) => show(p)).join(", ") || "none"}): with ${env.vault.tenantPaths} tenant paths any other top-level name may be a tenant's; ${scopeName(d)}'s shared Secret reads a platform path`,
    );
}

const KV_WRITES = new Set(["create", "update", "patch", "delete"]);

/**
 * Which tenant's Vault policy could write the KV secret at `path` (inside the KV mount), whatever tenants the
 * registry holds now, or undefined when none could: Vault's own matching (components/vault/acl.ts) over the
 * policy of any tenant that may ever exist. Every layout names the writer by one whole path segment (its id under
 * vault.tenantPrefix, its id at the top, or its namespace at the top), so each segment of the path is tried as the
 * id and the namespace of a tenant, unless no tenant may take that name (the reserved paths and the registry's
 * own, refused as ids and namespaces with top-level and per-namespace paths, registry/rules/identity.ts).
 */
export function tenantWriting(
  env: EnvironmentModel,
  path: string,
  platformVaultPaths: readonly string[],
): string | undefined {
  const paths = vaultPaths(env);
  const barred =
    env.vault.tenantPaths === "prefixed"
      ? []
      : [...env.vault.reservedPaths, env.vault.tenantPrefix, ...platformVaultPaths];
  for (const name of new Set(path.split("/"))) {
    if (barred.includes(name)) continue;
    let rules;
    try {
      rules = tenantKvRules(paths, name, [name]);
    } catch {
      continue; // not a label: no tenant id or namespace is this segment
    }
    if (capabilitiesOn(rules, `${paths.kvMount}/data/${path}`).some((c) => KV_WRITES.has(c)))
      return env.vault.tenantPaths === "per-namespace"
        ? `the Vault policy of the tenant of a namespace ${show(name)}`
        : `the Vault policy of a tenant ${show(name)}`;
  }
  return undefined;
}

/** Ranges and peers the platform's isolation allows a NetworkPolicy (as the networkPolicies admission policy does). */
function checkNetworkPolicy(
  env: EnvironmentModel,
  d: Declared,
  owner: TenantModel | undefined,
  at: At,
): void {
  if (d.object.kind !== "NetworkPolicy") return;
  const net = env.network;
  const own = owner?.namespaces.map((n) => n.name) ?? [];
  const denied = deniedRanges(net);
  const ingressPeers = [
    net.ingressController.namespace,
    ...net.extraIngress.flatMap((p) => (p.namespace ? [p.namespace] : [])),
  ];
  const egressDeclared = [
    {
      namespace: net.dns.namespace,
      podLabels: net.dns.podLabels,
      ports: [
        { port: 53, protocol: "UDP" },
        { port: 53, protocol: "TCP" },
      ],
    },
    ...net.extraEgress.flatMap((p) =>
      p.namespace ? [{ namespace: p.namespace, podLabels: p.podLabels, ports: p.ports }] : [],
    ),
  ];
  const scopeOwn = own.length > 0 ? ` or tenant ${show(owner!.id)}'s own (${own.join(", ")})` : "";
  const spec = d.object.spec;
  for (const dir of ["ingress", "egress"] as const)
    (spec[dir] ?? []).forEach((rule, r) => {
      const list = "from" in rule ? rule.from : rule.to;
      const field = dir === "ingress" ? "from" : "to";
      list.forEach((peer, p) => {
        const where: PathSegment[] = ["spec", dir, r, field, p];
        if (peer.ipBlock) {
          const cidr = parsePrefix(peer.ipBlock.cidr);
          if (!cidr)
            return at(
              d,
              [...where, "ipBlock", "cidr"],
              `${show(peer.ipBlock.cidr)} is not an IPv4 or IPv6 CIDR`,
            );
          const except = (peer.ipBlock.except ?? []).map((e) => parsePrefix(e));
          (peer.ipBlock.except ?? []).forEach((e, i) => {
            if (!except[i])
              at(d, [...where, "ipBlock", "except", i], `${show(e)} is not an IPv4 or IPv6 CIDR`);
          });
          for (const range of denied) {
            const reserved = parsePrefix(range)!;
            if (!overlaps(cidr, reserved)) continue;
            if (except.some((e) => e && containsPrefix(e, reserved))) continue;
            at(
              d,
              [...where, "ipBlock", "cidr"],
              `${show(peer.ipBlock.cidr)} reaches the reserved range ${range} (network.reserved and cloud metadata): carve it out with except, or name a narrower range`,
            );
          }
          return;
        }
        if (!peer.namespaceSelector) return; // pods of the namespace itself
        const labels = peer.namespaceSelector.matchLabels;
        const keys = Object.keys(labels);
        const ns = labels[NAMESPACE_NAME_LABEL];
        if (keys.length !== 1 || ns === undefined)
          return at(
            d,
            [...where, "namespaceSelector"],
            `selects namespaces by ${keys.length === 0 ? "nothing (every namespace)" : keys.map((k) => show(k)).join(", ")}: a shared NetworkPolicy pins one namespace by ${NAMESPACE_NAME_LABEL}, nothing else`,
          );
        if (own.includes(ns)) return;
        if (dir === "ingress") {
          if (!ingressPeers.includes(ns))
            at(
              d,
              [...where, "namespaceSelector", "matchLabels", NAMESPACE_NAME_LABEL],
              `${show(ns)} is not a namespace ${scopeName(d)} may let in: the ingress controller's or network.extraIngress's${scopeOwn}`,
            );
          return;
        }
        const declared = egressDeclared.find((e) => e.namespace === ns);
        if (!declared)
          return at(
            d,
            [...where, "namespaceSelector", "matchLabels", NAMESPACE_NAME_LABEL],
            `${show(ns)} is not a namespace ${scopeName(d)} may reach: DNS's or network.extraEgress's${scopeOwn}`,
          );
        const pods = peer.podSelector?.matchLabels ?? {};
        for (const [k, v] of Object.entries(declared.podLabels ?? {}))
          if (pods[k] !== v)
            at(
              d,
              [...where, "podSelector"],
              `reaches ${show(ns)} wider than the platform declares it: select its pods by ${k}=${v}`,
            );
        if (declared.ports?.length) {
          const ports = rule.ports ?? [];
          const within = (x: (typeof ports)[number]) =>
            x.endPort === undefined &&
            declared.ports!.some((q) => x.port === q.port && (x.protocol ?? "TCP") === q.protocol);
          if (ports.length === 0 || !ports.every(within))
            at(
              d,
              ["spec", dir, r, "ports"],
              `reaches ${show(ns)} on ports the platform does not declare (${declared.ports.map((q) => `${q.port}/${q.protocol}`).join(", ")})`,
            );
        }
      });
    });
}

const RESOURCES = ["cpu", "memory", "ephemeral-storage", "storage"] as const;

/** A LimitRange's own order: min <= defaultRequest <= default <= max, per resource. */
function checkLimitOrder(d: Declared, at: At): void {
  if (d.object.kind !== "LimitRange") return;
  d.object.spec.limits.forEach((l, i) => {
    const order = ["min", "defaultRequest", "default", "max"] as const;
    for (const r of RESOURCES)
      for (let a = 0; a < order.length; a++)
        for (let b = a + 1; b < order.length; b++) {
          const lo = l[order[a]!]?.[r];
          const hi = l[order[b]!]?.[r];
          if (lo !== undefined && hi !== undefined && parseQuantity(lo)! > parseQuantity(hi)!)
            at(d, ["spec", "limits", i, order[a]!, r], `${lo} is above ${order[b]}.${r} ${hi}`);
        }
  });
}

/** A LimitRange where it lands: no container quantity above the tenant's tier's limits.max. */
function checkTierLimits(env: EnvironmentModel, tenant: TenantModel, d: Declared, at: At): void {
  if (d.object.kind !== "LimitRange") return;
  const tier = Object.hasOwn(env.tiers, tenant.tier) ? env.tiers[tenant.tier] : undefined;
  const max: Record<string, string | undefined> = { ...env.defaults.limits?.max, ...tier?.limits?.max };
  d.object.spec.limits.forEach((l, i) => {
    if (l.type !== "Container") return;
    for (const section of ["default", "defaultRequest", "max", "min"] as const)
      for (const [r, v] of Object.entries(l[section] ?? {})) {
        const ceiling = max[r];
        if (ceiling !== undefined && parseQuantity(v)! > parseQuantity(ceiling)!)
          at(
            d,
            ["spec", "limits", i, section, r],
            `${v} is above tier ${show(tenant.tier)}'s limits.max.${r} ${ceiling} (tenant ${show(tenant.id)} is of that tier): a shared LimitRange stays within the tier`,
            `tier ${tenant.tier}`,
          );
      }
  });
}

/** A name the platform gives its own object of the same kind in one of the tenant's namespaces. */
function checkPlatformNames(env: EnvironmentModel, tenant: TenantModel, d: Declared, at: At): void {
  const n = names(env);
  const o = d.object;
  for (const ns of sharedNamespaces(tenant)) {
    const taken =
      o.kind === "LimitRange"
        ? n.limits(tenant.id, ns.name)
        : o.kind === "Secret"
          ? n.tlsSecret(tenant.id, ns.name)
          : undefined;
    if (taken === o.name) {
      at(
        d,
        ["name"],
        `${o.kind} ${show(o.name)} is the platform's own ${o.kind === "Secret" ? "TLS secret" : "LimitRange"} in namespace ${show(ns.name)} (names in ${env.source}); choose another name`,
        "platform name",
      );
      return;
    }
  }
}
