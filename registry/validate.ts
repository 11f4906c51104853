/**
 * From raw documents to the validated model. Every document is checked against its schema, then every rule
 * across fields and tenants runs (one file per concern under rules/, over one shared index of claims); all
 * problems are collected and reported at once.
 */
import type {
  EnvironmentDocument,
  EnvironmentModel,
  RegistryModel,
  TenantDocument,
  TenantModel,
} from "./model";
import { check } from "./parse";
import { InvalidInputError, type PathSegment, type Problem, show } from "../components/core/problems";
import { tenantAdmission } from "../components/admission/rules";
import { checkApps } from "../components/apps/rules";
import { checkCi } from "../components/ci/rules";
import { Claims, type TenantContext } from "./rules/context";
import { checkDomains } from "../components/dns/rules";
import { checkNamespaceWildcard } from "../components/tls/rules";
import { checkEnvironment } from "./rules/environment";
import { checkIdentity } from "./rules/identity";
import { checkMembers } from "../components/members/rules";
import { checkNames } from "./rules/names";
import { checkNamespace, namespaceEntries } from "../components/namespace/rules";
import { checkGrants, selectAt } from "../components/clusters/rules";
import { checkTotals, namespaceResolver } from "../components/namespace/quotas";
import { resolveReach } from "../components/network/reach";
import { TENANT_ID_EXPECTED, isLabel } from "../components/core/schema";
import { TenantFile, type TenantFileData } from "./schema";

export interface BuildOptions {
  /**
   * KV paths the platform itself uses besides the environment's reserved ones: the registry's own secret or
   * prefix when it is read from Vault. With top-level tenant paths no tenant id may equal one.
   */
  platformVaultPaths?: string[];
}

/** Validates everything; returns the model or throws InvalidInputError with every problem found. */
export function buildRegistry(
  envDoc: EnvironmentDocument,
  docs: TenantDocument[],
  opts: BuildOptions = {},
): RegistryModel {
  const problems: Problem[] = [];
  const environment = checkEnvironment(envDoc, problems);

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
    if (partial) parsed.push({ doc, data: partial, partial: true });
  }

  if (!environment) throw new InvalidInputError(problems);
  const tenants = checkTenants(
    environment,
    parsed,
    new Claims(seenIds, parsed, environment, opts.platformVaultPaths ?? []),
    problems,
  );
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { environment, tenants };
}

interface Parsed {
  doc: TenantDocument;
  data: TenantFileData;
  /** Salvaged from a file that failed its schema: only its claims are checked; it yields no tenant. */
  partial?: boolean;
}

/** The fields of a record that are valid on their own, as a tenant file (defaults for the rest), or undefined. */
function salvage(data: unknown): TenantFileData | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  const shape = TenantFile.shape;
  const valid: Record<string, unknown> = { email: "salvaged@invalid.example" };
  for (const key of ["namespaces", "domains"] as const) {
    if (!Object.hasOwn(data, key)) continue;
    const value = (data as Record<string, unknown>)[key];
    if (shape[key].safeParse(value).success) valid[key] = value;
  }
  const result = TenantFile.safeParse(valid);
  return result.success ? result.data : undefined;
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
    // own keys only: "constructor" or "toString" are not tiers
    const tier = Object.hasOwn(env.tiers, tierName) ? env.tiers[tierName] : undefined;
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
      // a file that failed its schema: its namespaces and domains still claim, nothing else is judged
      const own = new Set<string>();
      for (const entry of namespaceEntries(ctx)) checkNamespace(ctx, own, entry);
      checkDomains(ctx, [...own]);
      return [];
    }
    if (!tier && data.tier !== undefined)
      ctx.at(
        ["tier"],
        `${show(tierName)} is not a tier of environment ${show(env.name)} (tiers: ${Object.keys(env.tiers).join(", ")})`,
      );
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
        offboarding: data.offboarding,
        ...(data.shard !== undefined ? { shard: data.shard } : {}),
      },
    ];
  });
}
