/**
 * What every cross-tenant rule works with: one tenant's parsed file in its environment, a way to report a
 * problem at a field of that file, and the shared index of claims (who owns which namespace, domain, email).
 * Rules run tenant by tenant in id order; the first claimant of a name owns it.
 */
import { type EnvironmentModel, type TenantDocument, type TreeNode, ancestors } from "../model";
import type { PathSegment } from "../../components/core/problems";
import type { TenantFileData } from "../schema";

type Tier = EnvironmentModel["tiers"][string];

export interface TenantContext {
  env: EnvironmentModel;
  doc: TenantDocument;
  data: TenantFileData;
  /** The tenant's tier name (its own or the environment's default) and the tier, if it exists. */
  tierName: string;
  tier: Tier | undefined;
  claims: Claims;
  /** Reports a problem at a field path of this tenant's file. */
  at(path: PathSegment[], message: string): void;
}

/** Tenants' CI claim sets binding the same separating claims, indexed by the values of some of them. */
export interface CiClaimGroup {
  /** The separating claims every member binds. */
  keys: readonly string[];
  members: { tenant: string; claims: Readonly<Record<string, string>> }[];
  /** claim names (sorted, newline-joined) -> the members' values of those claims (JSON) -> the first member */
  byValues: Map<string, Map<string, string>>;
}

/** Who claims what, across the registry. */
export class Claims {
  /** KV paths the platform uses besides the environment's reserved ones (the registry's own, from Vault). */
  readonly platformVaultPaths: readonly string[];
  /** tenant id -> its source, for every document (readable or not). */
  readonly sources: ReadonlyMap<string, string>;
  /** namespace -> owning tenant id */
  readonly namespaceOwner = new Map<string, string>();
  /** hostname (without "*.") -> owning tenant id, as the rules accept them */
  readonly domainOwner = new Map<string, string>();
  /** lowercased email -> tenant id */
  readonly emailOwner = new Map<string, string>();
  /**
   * The per-tenant CI claim sets accepted so far, grouped by the separating claims each binds (the sorted
   * claim names, joined by newlines): components/ci/rules.ts compares a new set with each group at once.
   */
  readonly ciClaimGroups = new Map<string, CiClaimGroup>();
  /** every hostname (without "*.") any tenant lists -> its first claimant, so nesting is found whatever the order */
  readonly hostnameClaimant = new Map<string, string>();
  /**
   * every name above a hostname any tenant lists (its parents of two labels or more) -> tenant -> that
   * tenant's first hostname below it: what a name the platform generates would cover
   */
  readonly hostnamesBelow = new Map<string, Map<string, string>>();

  /** every schema-valid record's id and parent: the organisation tree (docs/organisations.md) */
  readonly tree: readonly TreeNode[];
  /** How many ancestors a tenant may have (organisations.maxDepth - 1): a walk need go no further. */
  private readonly maxAncestors: number;

  constructor(
    sources: ReadonlyMap<string, string>,
    parsed: { doc: TenantDocument; data: TenantFileData }[],
    env: EnvironmentModel,
    platformVaultPaths: readonly string[] = [],
  ) {
    this.sources = sources;
    this.platformVaultPaths = platformVaultPaths;
    this.tree = parsed.map(({ doc, data }) => ({ id: doc.id, parent: data.parent }));
    this.maxAncestors = Math.max(0, env.organisations.maxDepth - 1);
    for (const { doc, data } of parsed) {
      const hosts = [
        ...data.domains.map(domainName),
        ...data.apps.flatMap((a) => {
          const entry = Object.hasOwn(env.catalog, a.name) ? env.catalog[a.name] : undefined;
          return entry ? [appHost(entry.host, a.name, doc.id)] : [];
        }),
      ];
      for (const name of hosts) {
        const bare = withoutWildcard(name);
        if (!this.hostnameClaimant.has(bare)) this.hostnameClaimant.set(bare, doc.id);
        const labels = bare.split(".");
        for (let k = 1; k < labels.length - 1; k++) {
          const parent = labels.slice(k).join(".");
          let below = this.hostnamesBelow.get(parent);
          if (!below) this.hostnamesBelow.set(parent, (below = new Map()));
          if (!below.has(doc.id)) below.set(doc.id, bare);
        }
      }
    }
  }

  /**
   * Whether `ancestor` is among the ancestors of `tenant` (its parent, the parent's parent, ...) within the depth
   * the environment allows (a deeper chain is refused at its parent: a hostile one is not walked whole).
   */
  isAncestor(ancestor: string, tenant: string): boolean {
    return ancestors(this.tree, tenant, this.maxAncestors).some((t) => t.id === ancestor);
  }

  isTenant(id: string): boolean {
    return this.sources.has(id);
  }

  /** `tenant "bob" (tenants/bob.yaml)`: how a message names another tenant. */
  source(id: string): string | undefined {
    return this.sources.get(id);
  }
}

/** A domain entry's hostname: the entry itself, or its `name`. */
export function domainName(entry: string | { name: string }): string {
  return typeof entry === "string" ? entry : entry.name;
}

/** An app instance's hostname: the catalog's host pattern for one tenant. */
export function appHost(pattern: string, app: string, tenant: string): string {
  return pattern.replaceAll("{tenant}", tenant).replaceAll("{app}", app);
}

/** The longest configured zone a hostname sits in, as [zone, zone id]. */
export function zoneOf(env: EnvironmentModel, hostname: string): [string, string] | undefined {
  const bare = withoutWildcard(hostname);
  return Object.entries(env.dns.zones)
    .filter(([z]) => bare === z || bare.endsWith(`.${z}`))
    .sort((a, b) => b[0].length - a[0].length)[0];
}

export function withoutWildcard(hostname: string): string {
  return hostname.startsWith("*.") ? hostname.slice(2) : hostname;
}
