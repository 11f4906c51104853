/**
 * From raw documents to the validated model. Every document is checked against its schema, then every rule
 * across fields and tenants runs (one file per concern under rules/, over one shared index of claims); all
 * problems are collected and reported at once.
 */
import {
  type EnvironmentDocument,
  type EnvironmentModel,
  type Quota,
  type RegistryModel,
  type TenantDocument,
  type TenantModel,
  tierOf,
} from "./model";
import { check } from "./parse";
import { InvalidInputError, type PathSegment, type Problem, show } from "../components/core/problems";
import { tenantAdmission } from "../components/admission/rules";
import { checkApps } from "../components/apps/rules";
import { checkCi } from "../components/ci/rules";
import { checkHooks } from "../components/events/rules";
import { Claims, type TenantContext } from "./rules/context";
import { checkDomains } from "../components/dns/rules";
import { checkNamespaceWildcard } from "../components/tls/rules";
import { checkEnvironment } from "./rules/environment";
import { checkIdentity } from "./rules/identity";
import { checkMembers, checkServiceAccounts } from "../components/members/rules";
import { checkNames } from "./rules/names";
import { type RegistrySecret, checkSharedObjects } from "../components/shared/rules";
import { checkOrganisations } from "../components/organisations/rules";
import { checkNamespace, namespaceEntries } from "../components/namespace/rules";
import { checkGrants, selectAt } from "../components/clusters/rules";
import {
  checkTotals,
  namespaceResolver,
  requestsAboveLimits,
  requestsAboveLimitsMessage,
} from "../components/namespace/quotas";
import { resolveReach } from "../components/network/reach";
import { TENANT_ID_EXPECTED, isLabel } from "../components/core/schema";
import { TenantFile, type TenantFileData } from "./schema";

export interface BuildOptions {
  /**
   * KV paths the platform itself uses besides the environment's reserved ones: the registry's own secret or
   * prefix when it is read from Vault. With top-level tenant paths no tenant id may equal one.
   */
  platformVaultPaths?: string[];
  /** The registry's own secret or prefix when it is read from Vault: no shared object copies it. */
  registrySecret?: RegistrySecret;
}

/** Validates everything; returns the model or throws InvalidInputError with every problem found. */
export function buildRegistry(
  envDoc: EnvironmentDocument,
  docs: TenantDocument[],
  opts: BuildOptions = {},
): RegistryModel {
  const problems: Problem[] = [];
  const environment = checkEnvironment(envDoc, problems);
  if (environment) checkTierQuotas(environment, problems);

  const parsed: Parsed[] = [];
  const seenIds = new Map<string, string>();
  for (const doc of [...docs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (doc.stray) {
      problems.push(...(doc.problems ?? []));
      continue;
    }
    const idOk = isLabel(doc.id);
    if (!idOk)
      problems.push({
        source: doc.source,
        path: [],
        message: `tenant id ${show(doc.id)} (from the file name or key) is not ${TENANT_ID_EXPECTED}`,
      });
    const first = seenIds.get(doc.id);
    if (first !== undefined) {
      problems.push({
        source: doc.source,
        path: [],
        message: `tenant ${show(doc.id)} is also defined in ${first}`,
      });
      continue;
    }
    seenIds.set(doc.id, doc.source);
    // unreadable (not YAML, not a mapping, ...): its problems are reported, its id still counts as a tenant
    // so that references to it elsewhere are not reported as well
    if (doc.problems) {
      problems.push(...doc.problems);
      continue;
    }
    const result = check(TenantFile, doc.data, doc.source);
    if (result.ok) {
      if (idOk) parsed.push({ doc, data: result.value });
      continue;
    }
    problems.push(...result.problems);
    // one typo must not hide the rest: the fields that are valid on their own still claim what they name, so
    // a namespace or domain taken from another tenant in the same file is reported now, not after the fix
    const partial = idOk ? salvage(doc.data) : undefined;
    if (partial) parsed.push({ doc, data: partial.data, partial: partial.indices });
  }

  if (!environment) throw new InvalidInputError(problems);
  const claims = new Claims(seenIds, parsed, environment, opts.platformVaultPaths ?? []);
  const tenants = checkTenants(environment, parsed, claims, problems);
  // organisations compare each tenant with its resolved parent, which may come later in id order
  const files = new Map(parsed.filter((p) => !p.partial).map((p) => [p.doc.id, p]));
  checkOrganisations(
    environment,
    tenants.map((model) => ({ ...files.get(model.id)!, model })),
    claims,
    problems,
  );
  // shared objects land in descendants' namespaces: judged once every tenant is known
  checkSharedObjects({ environment, tenants }, problems, {
    platformVaultPaths: opts.platformVaultPaths ?? [],
    ...(opts.registrySecret ? { registrySecret: opts.registrySecret } : {}),
  });
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { environment, tenants };
}

interface Parsed {
  doc: TenantDocument;
  data: TenantFileData;
  /**
   * Salvaged from a file that failed its schema: only what can be judged on the valid items is checked (their
   * claims, the tier); it yields no tenant. Per list, the index in the file of each item kept.
   */
  partial?: SalvagedIndices;
}

type SalvagedIndices = Partial<Record<"namespaces" | "domains", number[]>>;

/**
 * The fields of a record that are valid on their own, as a tenant file (defaults for the rest), or undefined.
 * A list keeps every item valid on its own (one bad namespace must not hide the claims of the others), with
 * the index each kept item has in the file; a list with no valid item claims nothing (not the default).
 */
function salvage(data: unknown): { data: TenantFileData; indices: SalvagedIndices } | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  const record = data as Record<string, unknown>;
  const shape = TenantFile.shape;
  const valid: Record<string, unknown> = { email: "salvaged@invalid.example" };
  const indices: SalvagedIndices = {};
  for (const key of ["tier", "quota", "limits"] as const)
    if (Object.hasOwn(record, key) && shape[key].safeParse(record[key]).success) valid[key] = record[key];
  for (const key of ["namespaces", "domains"] as const) {
    if (!Object.hasOwn(record, key)) continue;
    const value = record[key];
    const items = Array.isArray(value) ? (value as unknown[]) : [];
    const kept = items.flatMap((item, i) => (shape[key].safeParse([item]).success ? [i] : []));
    const list = kept.map((i) => items[i]);
    // items valid alone but not together (the list's own rules): nothing of the list is judged
    if (!shape[key].safeParse(list).success) continue;
    valid[key] = list;
    indices[key] = kept;
  }
  const result = TenantFile.safeParse(valid);
  return result.success ? { data: result.data, indices } : undefined;
}

/** The names a record's namespaces list gives, valid or not (strings only). */
function listedNamespaces(data: unknown): string[] {
  const list = (data as { namespaces?: unknown }).namespaces;
  if (!Array.isArray(list)) return [];
  return list.flatMap((e: unknown) => {
    const name = typeof e === "object" && e !== null ? (e as { name?: unknown }).name : e;
    return typeof name === "string" ? [name] : [];
  });
}

/**
 * The environment's quotas with requests above limits (components/namespace/quotas.ts): its default quota, each
 * tier's quota as namespaces start from it (reported where the tier sets one of the two) and each tier's max.
 */
function checkTierQuotas(env: EnvironmentModel, problems: Problem[]): void {
  const at = (path: PathSegment[], message: string) => problems.push({ source: env.source, path, message });
  const defaults = (env.defaults.quota ?? {}) as Quota;
  for (const pair of requestsAboveLimits(defaults))
    at(["defaults", "quota", pair[0]], requestsAboveLimitsMessage(defaults, pair));
  for (const [name, tier] of Object.entries(env.tiers)) {
    const quota = { ...defaults, ...tier.quota } as Quota;
    for (const pair of requestsAboveLimits(quota)) {
      const key = pair.find((k) => tier.quota?.[k] !== undefined);
      if (key !== undefined) at(["tiers", name, "quota", key], requestsAboveLimitsMessage(quota, pair));
    }
    const max = (tier.max ?? {}) as Quota;
    for (const pair of requestsAboveLimits(max))
      at(["tiers", name, "max", pair[0]], requestsAboveLimitsMessage(max, pair));
  }
}

/** A tenant's tier, unless the environment has no such tier (reported). */
function checkTier(ctx: TenantContext): void {
  const { env, data, tier, tierName } = ctx;
  if (!tier && data.tier !== undefined)
    ctx.at(
      ["tier"],
      `${show(tierName)} is not a tier of environment ${show(env.name)} (tiers: ${Object.keys(env.tiers).join(", ")})`,
    );
}

/** Runs the cross-tenant rules over every schema-valid tenant, in id order, and builds the tenant models. */
function checkTenants(
  env: EnvironmentModel,
  parsed: Parsed[],
  claims: Claims,
  problems: Problem[],
): TenantModel[] {
  return parsed.flatMap(({ doc, data, partial }): TenantModel[] => {
    const tierName = data.tier ?? env.defaults.tier;
    const tier = tierOf(env, tierName);
    const ctx: TenantContext = {
      env,
      doc,
      data,
      tierName,
      tier,
      claims,
      at: (path: PathSegment[], message: string) => problems.push({ source: doc.source, path, message }),
    };
    if (partial) {
      // a file that failed its schema: its tier is judged, its valid namespaces and domains still claim, each
      // reported at its index in the file, and their quotas and limits are checked; nothing else is judged
      const at = ctx.at;
      ctx.at = (path, message) => {
        const [list, i] = path;
        const kept =
          (list === "namespaces" || list === "domains") && typeof i === "number" ? partial[list] : undefined;
        at(kept ? [list!, kept[i as number] ?? i!, ...path.slice(2)] : path, message);
      };
      checkTier(ctx);
      const own = new Set<string>();
      const resolve = namespaceResolver(ctx);
      for (const entry of namespaceEntries(ctx)) {
        checkNamespace(ctx, own, entry);
        resolve(entry);
      }
      // a domain may serve a namespace the file lists, valid or not: that one is reported already
      checkDomains(ctx, [...own, ...listedNamespaces(doc.data)]);
      return [];
    }
    checkTier(ctx);
    const identity = checkIdentity(ctx);

    const own = new Set<string>();
    const resolveNamespace = namespaceResolver(ctx);
    const selected = selectAt(ctx, data.clusterSelector, ["clusterSelector"]);
    const namespaces = namespaceEntries(ctx).map((entry) => {
      checkNamespace(ctx, own, entry);
      checkNamespaceWildcard(ctx, entry.name, entry.path);
      const ns = resolveNamespace(entry);
      const selector = typeof entry.entry === "string" ? undefined : entry.entry.clusterSelector;
      ns.clusters = selector
        ? selectAt(ctx, selector, [...entry.path.slice(0, 2), "clusterSelector"])
        : selected;
      return ns;
    });
    // placed: where its selector and its namespaces put it, in the environment's order
    const placed = new Set([...selected, ...namespaces.flatMap((n) => n.clusters)]);
    const clusters = env.clusters.map((c) => c.name).filter((c) => placed.has(c));
    const grants = checkGrants(ctx, namespaces, clusters);
    checkTotals(ctx, namespaces);
    const domains = checkDomains(ctx, [...own]);
    const members = checkMembers(ctx, own);
    const reach = resolveReach(
      namespaceEntries(ctx).map(({ name, entry, path }) => ({
        name,
        from: typeof entry === "string" ? undefined : entry.network?.from,
        path: [...path.slice(0, 2), "network", "from"],
      })),
      members,
      ctx.at,
    );
    for (const ns of namespaces) ns.reachFrom = reach.get(ns.name) ?? [ns.name];
    checkNames(ctx, namespaces, members);
    const admission = tenantAdmission(env, tier?.admission);
    const apps = checkApps(ctx, namespaces, admission);
    const ci = checkCi(ctx, own, namespaces);
    const hooks = checkHooks(
      ctx,
      namespaces.map((n) => n.name),
    );
    const serviceAccounts = checkServiceAccounts(ctx, namespaces, grants, members);
    if (data.shard !== undefined && data.shard >= env.shards.count)
      ctx.at(
        ["shard"],
        `${data.shard} is not a shard of environment ${env.name}: it has ${env.shards.count} (shards.count), numbered from 0`,
      );

    return [
      {
        id: doc.id,
        source: doc.source,
        email: identity ?? "",
        ...(data.displayName !== undefined ? { displayName: data.displayName } : {}),
        ...(data.parent !== undefined ? { parent: data.parent } : {}),
        git: data.git,
        role: data.role,
        tier: tierName,
        podSecurity: {
          enforce: tier?.podSecurity?.enforce ?? env.podSecurity.enforce,
          audit: tier?.podSecurity?.audit ?? env.podSecurity.audit,
          warn: tier?.podSecurity?.warn ?? env.podSecurity.warn,
          version: env.podSecurity.version,
        },
        clusterReader: tier?.clusterReader ?? false,
        admission,
        namespaces,
        clusters,
        grants,
        domains,
        members,
        apps,
        ...(ci ? { ci } : {}),
        ...(hooks ? { hooks } : {}),
        ...(serviceAccounts ? { serviceAccounts } : {}),
        ...(data.sharedObjects.length > 0 ? { sharedObjects: data.sharedObjects } : {}),
        offboarding: data.offboarding,
        ...(data.shard !== undefined ? { shard: data.shard } : {}),
      },
    ];
  });
}
