/**
 * The validated, normalised registry: plain data that every layer reads. Defaults are resolved here
 * (environment <- tier <- tenant <- namespace), so components never merge anything themselves.
 */
import type { z } from "zod";
import { oncePer } from "../components/core/memo";
import type { Problem } from "../components/core/problems";
import type { EnvironmentData } from "./schema";
import type { QuotaKey } from "../components/namespace/schema";
import type * as members from "../components/members/schema";
import type * as namespace from "../components/namespace/schema";
import type { SharedObjectData } from "../components/shared/schema";

export type TenantRole = z.output<typeof members.TenantRole>;
export type MemberRole = z.output<typeof members.MemberRole>;
export type PodSecurityLevel = z.output<typeof namespace.PodSecurityLevel>;

/** Tenant roles, least first: namespace-owner < power-user < admin. */
export const ROLE_RANK: Readonly<Record<TenantRole, number>> = {
  "namespace-owner": 0,
  "power-user": 1,
  admin: 2,
};
/** Member roles, least first: viewer < developer < manager < owner. */
export const MEMBER_RANK: Readonly<Record<MemberRole, number>> = {
  viewer: 0,
  developer: 1,
  manager: 2,
  owner: 3,
};
/** How much a Pod Security level lets through, most restrictive first: restricted < baseline < privileged. */
export const POD_SECURITY_RANK: Readonly<Record<PodSecurityLevel, number>> = {
  restricted: 0,
  baseline: 1,
  privileged: 2,
};
/** One entry of a tenant file's `namespaces`, as the schema outputs it: a name, or `{name, quota?, limits?}`. */
export type NamespaceEntryData = z.output<typeof namespace.NamespaceEntry>;

/** ResourceQuota hard limits, Kubernetes key -> quantity string. */
export type Quota = Partial<Record<QuotaKey, string>>;

/** A container's resources a LimitRange bounds. */
export interface CpuMemory {
  cpu?: string;
  memory?: string;
  "ephemeral-storage"?: string;
}

export interface Limits {
  default?: CpuMemory;
  defaultRequest?: CpuMemory;
  max?: CpuMemory;
}

export interface PodSecurity {
  enforce: PodSecurityLevel;
  audit: PodSecurityLevel;
  warn: PodSecurityLevel;
  version: string;
}

/** What the admission policies allow a tenant (its tier's allowances, resolved). `*` in a list allows any. */
export interface TenantAdmission {
  /** Service types besides ClusterIP. */
  serviceTypes: string[];
  storageClasses: string[];
  priorityClasses: string[];
  runtimeClasses: string[];
  /** Every pod must name one of `runtimeClasses`. */
  requireRuntimeClass: boolean;
  ingressClasses: string[];
  /** Registries or repository prefixes images must come from. */
  registries: string[];
  /** imagePullPolicy values a container may have. */
  imagePullPolicies: string[];
  /** GatewayClasses a tenant's own Gateway or ListenerSet may name. */
  gatewayClasses: string[];
  /** cert-manager ClusterIssuers a Certificate, Ingress or Gateway may name. */
  clusterIssuers: string[];
  /** Node pools (values of the environment's `admission.nodePoolLabel`) a pod must select; `*` any. */
  nodePools: string[];
  /** Taint keys a pod may tolerate besides the node conditions; `*` any. */
  tolerations: string[];
}

export interface NamespaceModel {
  name: string;
  quota: Quota;
  limits: Limits;
  /**
   * Its own `offboarding`: phase one of removing this namespace alone. Its tenant's `offboarding` counts too
   * (components/members/rbac.ts `isOffboarding`): access revoked, namespace unprotected.
   */
  offboarding: boolean;
  /** The clusters it exists on (its own clusterSelector, else its tenant's), in the environment's order. */
  clusters: string[];
  /**
   * The tenant's namespaces that may reach it, itself included (its `network.from`, resolved by
   * components/network/reach.ts); the platform's NetworkPolicies allow nothing else of the tenant's in.
   */
  reachFrom: string[];
}

export interface DomainModel {
  name: string;
  /** The configured DNS zone it sits in (the longest matching suffix), and that zone's id. */
  zone: string;
  zoneId: string;
  /** The tenant namespace serving it: its certificate lives there. */
  namespace: string;
  /** Through Cloudflare's proxy, when the record says so; else the environment's default. */
  proxied?: boolean;
}

export interface MemberModel {
  tenant: string;
  role: MemberRole;
  /** May invite others: reviews changes to the inviting tenant's record. */
  manager: boolean;
  namespaces: string[];
}

/**
 * A ServiceAccount of the tenant's own automation (components/members/rules.ts resolved it;
 * docs/automation-identities.md): made in `namespace` on each cluster that namespace exists on, bound there only.
 */
export interface ServiceAccountModel {
  name: string;
  /** One of the tenant's own namespaces. */
  namespace: string;
  role: MemberRole;
  /** The tenant's namespaces it is bound in (on the clusters where it exists). */
  namespaces: string[];
  /** Role bundles the tenant is granted that it gets too (on the clusters where it exists). */
  bundles: string[];
}

export interface AppModel {
  /** The catalog app. */
  name: string;
  /** The catalog's defaults overridden by the tenant's settings. */
  settings: Record<string, string | number | boolean>;
  enabled: boolean;
  /** Where the instance runs: one of the tenant's namespaces, or the app's shared namespace. */
  namespace: string;
  placement: "tenant" | "shared";
  /** The instance's hostname (the catalog's host pattern for this tenant), its zone and zone id. */
  host: string;
  zone: string;
  zoneId: string;
}

/** A role bundle granted to a tenant (components/clusters/rules.ts resolved it). */
export interface GrantModel {
  bundle: string;
  scope: "namespace" | "cluster";
  /** The clusters it applies on: all where the tenant is placed. */
  clusters: string[];
  /** scope namespace: the tenant's namespaces it is bound in (on those of `clusters` each exists on); else []. */
  namespaces: string[];
}

/** A tenant's own webhook: it receives the tenant's events of these types (all unless the record says). */
export interface HookModel {
  url: string;
  events: ("tenant.onboarded" | "tenant.changed" | "tenant.offboarded")[];
}

export interface CiModel {
  /** One exact value per claim (lists and commas are refused: ARCHITECTURE.md, Isolation). */
  boundClaims: Record<string, string>;
  namespaces: string[];
}

export interface TenantModel {
  id: string;
  /** Where the record came from: `tenants/alice.yaml` or a Vault path. */
  source: string;
  /** The OIDC identity: the record's email, or (single-secret layout) the environment's rule applied to the id. */
  email: string;
  displayName?: string;
  /** Its organisation: the parent tenant's id (docs/organisations.md); `ancestors` walks the chain. */
  parent?: string;
  /**
   * With the environment's `organisations.parentView`: the tenants that get read-only view in its active
   * namespaces, its ancestors and, of each ancestor's members, those invited into all of its namespaces or
   * managing it and outside its subtree (components/organisations/rules.ts), sorted; absent otherwise.
   */
  organisationViewers?: string[];
  /** Its git forge accounts (`@name`): reviewers of its record. */
  git: string[];
  role: TenantRole;
  tier: string;
  podSecurity: PodSecurity;
  /** A namespace owner may read the cluster's classes (the tier's `clusterReader`). */
  clusterReader: boolean;
  admission: TenantAdmission;
  namespaces: NamespaceModel[];
  /**
   * The clusters the tenant is placed on, in the environment's order: its clusterSelector's (its cluster-level
   * binding lives there) and every cluster one of its namespaces exists on.
   */
  clusters: string[];
  grants: GrantModel[];
  domains: DomainModel[];
  members: MemberModel[];
  apps: AppModel[];
  ci?: CiModel;
  /** Its own webhooks (docs/hooks.md); absent when it names none. */
  hooks?: HookModel[];
  /** Its automation identities; absent when it declares none (so older records keep their digest). */
  serviceAccounts?: ServiceAccountModel[];
  /** The objects it declares for its namespaces and its descendants' (docs/shared-objects.md); absent: none. */
  sharedObjects?: SharedObjectData[];
  offboarding: boolean;
  /** The shard its record pins it to; otherwise layers/shards.ts chooses one from its id. */
  shard?: number;
}

/** What the organisation tree needs of a tenant: tenant models, or records being validated. */
export interface TreeNode {
  id: string;
  parent?: string;
}

const byId = oncePer((tenants: readonly TreeNode[]) => new Map(tenants.map((t) => [t.id, t])));

/**
 * A tenant's ancestors, parent first, up to the root of its organisation (docs/organisations.md). The walk
 * stops at a parent that is not among `tenants` and before any tenant repeats (a cycle, which validation
 * reports: components/organisations/rules.ts), so it always ends; and after `max` ancestors when given (a check
 * needs no more than the environment's depth allows, whatever a hostile chain holds). `tenants` is read as
 * immutable (its index is kept per array).
 */
export function ancestors<T extends TreeNode>(
  tenants: readonly T[] | { tenants: readonly T[] },
  tenant: string | TreeNode,
  max = Infinity,
): T[] {
  const index = byId("tenants" in tenants ? tenants.tenants : tenants) as ReadonlyMap<
    string,
    unknown
  > as ReadonlyMap<string, T>;
  const self = typeof tenant === "string" ? tenant : tenant.id;
  const chain: T[] = [];
  const seen = new Set([self]);
  let next = typeof tenant === "string" ? index.get(tenant)?.parent : tenant.parent;
  while (next !== undefined && !seen.has(next) && chain.length < max) {
    const node = index.get(next);
    if (!node) break;
    chain.push(node);
    seen.add(next);
    next = node.parent;
  }
  return chain;
}

const childrenOf = oncePer((tenants: readonly TreeNode[]) => {
  const out = new Map<string, TreeNode[]>();
  for (const t of tenants)
    if (t.parent !== undefined && t.parent !== t.id) {
      const list = out.get(t.parent);
      if (list) list.push(t);
      else out.set(t.parent, [t]);
    }
  return out;
});

/**
 * A tenant's descendants, its children first (each level in the order of `tenants`), then theirs: every tenant
 * whose `ancestors` include it. Each tenant once, even on a cycle (which validation reports).
 */
export function descendants<T extends TreeNode>(
  tenants: readonly T[] | { tenants: readonly T[] },
  tenant: string,
): T[] {
  const index = childrenOf("tenants" in tenants ? tenants.tenants : tenants) as ReadonlyMap<
    string,
    unknown
  > as ReadonlyMap<string, T[]>;
  const out: T[] = [];
  const seen = new Set([tenant]);
  for (let level = index.get(tenant) ?? []; level.length > 0;) {
    const next: T[] = [];
    for (const t of level) {
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      out.push(t);
      next.push(...(index.get(t.id) ?? []));
    }
    level = next;
  }
  return out;
}

export interface EnvironmentModel extends EnvironmentData {
  name: string;
  source: string;
}

/** The environment's tier of that name, its own keys only ("constructor" or "toString" are no tiers). */
export function tierOf(env: EnvironmentData, name: string): EnvironmentData["tiers"][string] | undefined {
  return Object.hasOwn(env.tiers, name) ? env.tiers[name] : undefined;
}

export interface RegistryModel {
  environment: EnvironmentModel;
  /** Sorted by id. */
  tenants: TenantModel[];
}

/** The raw environment file, before validation. */
export interface EnvironmentDocument {
  name: string;
  source: string;
  data: unknown;
  /** Set when the file could not be read or parsed: these are reported and `data` is ignored. */
  problems?: Problem[];
}

/** A raw tenant record from a source, before validation. */
export interface TenantDocument {
  id: string;
  source: string;
  data: unknown;
  /**
   * Its identity may come from the environment's `oidc.identityFromId` when it has no email: records of the
   * single-secret layout of existing installations, which key users by name.
   */
  identityFromId?: boolean;
  /** Set when the record could not be read or parsed: these are reported and `data` is ignored. */
  problems?: Problem[];
  /** A file in the registry directory that is no tenant record (its name): only its problems count. */
  stray?: boolean;
}

export function summarise(model: RegistryModel): {
  tenants: number;
  namespaces: number;
  domains: number;
  members: number;
  offboarding: number;
} {
  let namespaces = 0;
  let domains = 0;
  let members = 0;
  let offboarding = 0;
  for (const t of model.tenants) {
    namespaces += t.namespaces.length;
    domains += t.domains.length;
    members += t.members.length;
    if (t.offboarding) offboarding++;
  }
  return { tenants: model.tenants.length, namespaces, domains, members, offboarding };
}
