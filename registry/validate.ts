/**
 * From raw documents to the validated model. Every document is checked against its schema, then every
 * rule across fields and tenants runs; all problems are collected and reported at once.
 */
import type {
  AppModel,
  EnvironmentModel,
  Limits,
  MemberModel,
  NamespaceModel,
  Quota,
  RegistryModel,
  TenantDocument,
  TenantModel,
} from "./model";
import { check } from "./parse";
import { InvalidInputError, type PathSegment, type Problem, show } from "./problems";
import { formatQuantity, parseQuantity } from "./quantity";
import {
  EnvironmentFile,
  QUOTA_KEYS,
  TENANT_ID_EXPECTED,
  TenantFile,
  type TenantFileData,
  isLabel,
} from "./schema";

/** Namespaces and prefixes no tenant may take, whatever the environment says. */
export const ALWAYS_RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
export const ALWAYS_RESERVED_PREFIXES = ["kube-"];

export interface EnvironmentDocument {
  name: string;
  source: string;
  data: unknown;
  /** Set when the file could not be read or parsed: these are reported and `data` is ignored. */
  problems?: Problem[];
}

/** Validates everything; returns the model or throws InvalidInputError with every problem found. */
export function buildRegistry(envDoc: EnvironmentDocument, docs: TenantDocument[]): RegistryModel {
  const problems: Problem[] = [];
  const environment = checkEnvironment(envDoc, problems);

  const parsed: { doc: TenantDocument; data: TenantFileData }[] = [];
  const seenIds = new Map<string, string>();
  for (const doc of [...docs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
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
    if (!result.ok) problems.push(...result.problems);
    else if (idOk) parsed.push({ doc, data: result.value });
  }

  if (!environment) throw new InvalidInputError(problems);
  const tenants = checkTenants(environment, parsed, seenIds, problems);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { environment, tenants };
}

function checkEnvironment(envDoc: EnvironmentDocument, problems: Problem[]): EnvironmentModel | undefined {
  if (envDoc.problems) {
    problems.push(...envDoc.problems);
    return undefined;
  }
  const result = check(EnvironmentFile, envDoc.data, envDoc.source);
  if (!result.ok) {
    problems.push(...result.problems);
    return undefined;
  }
  const env: EnvironmentModel = { ...result.value, name: envDoc.name, source: envDoc.source };
  const at = (path: PathSegment[], message: string) => problems.push({ source: env.source, path, message });
  if (!Object.hasOwn(env.tiers, env.defaults.tier))
    at(
      ["defaults", "tier"],
      `${show(env.defaults.tier)} is not a tier of this environment (tiers: ${Object.keys(env.tiers).join(", ")})`,
    );
  for (const [name, tier] of Object.entries(env.tiers)) {
    const quota = { ...env.defaults.quota, ...tier.quota } as Quota;
    for (const [key, value, ceiling, where] of ceilings(quota, [
      [tier.max, `the tier's own max`],
      [env.maxQuota, "maxQuota"],
    ])) {
      at(["tiers", name, "quota", key], `${show(value)} exceeds ${where} of ${show(ceiling)}`);
    }
  }
  const before = problems.length;
  for (const [i, zone] of Object.keys(env.dns.zones).entries()) {
    if (zone.startsWith("*.")) at(["dns", "zones", zone], `a zone name cannot be a wildcard (entry ${i})`);
  }
  return problems.length > before ? undefined : env;
}

/** Yields [key, value, ceiling, which ceiling] for every quota key above one of the given ceilings. */
function* ceilings(
  quota: Quota,
  limits: [Quota | undefined, string][],
): Generator<[string, string, string, string]> {
  for (const key of QUOTA_KEYS) {
    const value = quota[key];
    if (value === undefined) continue;
    for (const [ceiling, where] of limits) {
      const max = ceiling?.[key];
      if (max !== undefined && parseQuantity(value)! > parseQuantity(max)!) {
        yield [key, String(value), String(max), where];
        break;
      }
    }
  }
}

function reservedReason(env: EnvironmentModel, ns: string): string | undefined {
  const names = new Set([
    ...ALWAYS_RESERVED_NAMESPACES,
    ...env.reserved.namespaces,
    env.network.dns.namespace,
    env.network.ingressController.namespace,
    ...(env.ci.shared ? [env.ci.shared.namespace] : []),
    ...(env.ci.admins.configMap ? [env.ci.admins.configMap.namespace] : []),
  ]);
  if (names.has(ns)) return `${show(ns)} is a reserved namespace (platform or system); choose another name`;
  const prefix = [...ALWAYS_RESERVED_PREFIXES, ...env.reserved.prefixes].find((p) => ns.startsWith(p));
  if (prefix !== undefined)
    return `${show(ns)} starts with the reserved prefix ${show(prefix)}; choose another name`;
  return undefined;
}

/** A copy of a quota with only the known keys that are set. */
function quotaOf(q: Quota | undefined): Quota {
  const out: Quota = {};
  for (const key of QUOTA_KEYS) if (q?.[key] !== undefined) out[key] = q[key];
  return out;
}

function mergeLimits(...layers: (Limits | undefined)[]): Limits {
  const out: Limits = {};
  for (const layer of layers) {
    for (const section of ["default", "defaultRequest", "max"] as const) {
      const v = layer?.[section];
      if (v) out[section] = { ...out[section], ...v };
    }
  }
  return out;
}

function checkTenants(
  env: EnvironmentModel,
  parsed: { doc: TenantDocument; data: TenantFileData }[],
  knownIds: Map<string, string>,
  problems: Problem[],
): TenantModel[] {
  const tenants: TenantModel[] = [];
  const nsOwner = new Map<string, string>(); // namespace -> tenant id
  const domainOwner = new Map<string, string>(); // hostname (without "*.") -> tenant id
  const emailOwner = new Map<string, string>();
  const zones = Object.entries(env.dns.zones);
  // every claimed hostname (without "*.") -> its first claimant, so nesting is found whatever the order
  const claimed = new Map<string, string>();
  for (const { doc, data } of parsed)
    for (const name of data.domains) {
      const bare = name.startsWith("*.") ? name.slice(2) : name;
      if (!claimed.has(bare)) claimed.set(bare, doc.id);
    }

  for (const { doc, data } of parsed) {
    const source = doc.source;
    const at = (path: PathSegment[], message: string) => problems.push({ source, path, message });
    const tierName = data.tier ?? env.defaults.tier;
    // own keys only: "constructor" or "toString" are not tiers
    const tier = Object.hasOwn(env.tiers, tierName) ? env.tiers[tierName] : undefined;
    if (!tier && data.tier !== undefined)
      at(
        ["tier"],
        `${show(tierName)} is not a tier of environment ${show(env.name)} (tiers: ${Object.keys(env.tiers).join(", ")})`,
      );

    // the legacy Vault layout puts tenant data at <kvMount>/data/<id>: an id must not be a path the platform uses
    if (
      env.vault.layout === "legacy" &&
      [...env.vault.reservedPaths, env.vault.tenantPrefix].includes(doc.id)
    )
      at(
        [],
        `tenant id ${show(doc.id)} is a reserved Vault path (vault.reservedPaths in ${env.source}); with the legacy layout its policy would grant ${env.vault.kvMount}/data/${doc.id}; choose another id`,
      );

    const firstEmail = emailOwner.get(data.email.toLowerCase());
    if (firstEmail !== undefined)
      at(
        ["email"],
        `${show(data.email)} is already the identity of tenant ${show(firstEmail)}; an email belongs to one tenant`,
      );
    else emailOwner.set(data.email.toLowerCase(), doc.id);

    // namespaces, with quota and limits resolved: environment <- tier <- tenant <- namespace
    const entries = data.namespaces ?? [doc.id];
    const namespaces: NamespaceModel[] = [];
    const own = new Set<string>();
    const limitProblems = new Set<string>();
    entries.forEach((entry, i) => {
      const obj = typeof entry === "string" ? { name: entry } : entry;
      // the default namespace (no `namespaces` field) is located at the missing field
      const path: PathSegment[] =
        data.namespaces === undefined
          ? ["namespaces"]
          : typeof entry === "string"
            ? ["namespaces", i]
            : ["namespaces", i, "name"];
      const name = obj.name;
      if (own.has(name)) at(path, `${show(name)} is listed twice`);
      own.add(name);
      const reserved = reservedReason(env, name);
      if (reserved) at(path, reserved);
      const owner = nsOwner.get(name);
      // a namespace named after another tenant is that tenant's to take: reported here, never claimed
      if (name !== doc.id && knownIds.has(name))
        at(
          path,
          `${show(name)} is the id of tenant ${show(name)} (${knownIds.get(name)}); a namespace may not be named after another tenant`,
        );
      else if (owner !== undefined && owner !== doc.id)
        at(
          path,
          `${show(name)} is already owned by tenant ${show(owner)} (${knownIds.get(owner)}); a namespace has one owner`,
        );
      else nsOwner.set(name, doc.id);
      const quota = {
        ...quotaOf(env.defaults.quota),
        ...quotaOf(tier?.quota),
        ...quotaOf(data.quota),
      } as Quota;
      const nsQuota = "quota" in obj ? quotaOf(obj.quota) : {};
      Object.assign(quota, nsQuota);
      const limits = mergeLimits(
        env.defaults.limits,
        tier?.limits,
        data.limits,
        "limits" in obj ? obj.limits : undefined,
      );
      for (const [key, value, ceiling, where] of ceilings(quota, [
        [tier?.max, `the tier ${show(tierName)} maximum`],
        [env.maxQuota, "the environment's maxQuota"],
      ])) {
        const setHere =
          key in nsQuota
            ? [...path.slice(0, 2), "quota", key]
            : data.quota && key in data.quota
              ? ["quota", key]
              : ["tier"];
        at(
          setHere,
          `${key} ${show(value)} for namespace ${show(name)} exceeds ${where} of ${show(ceiling)} (${env.source})`,
        );
      }
      checkLimits(limits, (field, message) => {
        const where =
          "limits" in obj && obj.limits ? [...path.slice(0, 2), "limits", ...field] : ["limits", ...field];
        // the tenant's own limits are shared by its namespaces: report them once
        const key = `${where.join("\0")}\0${message}`;
        if (!limitProblems.has(key)) at(where, message);
        limitProblems.add(key);
      });
      namespaces.push({ name, quota, limits });
    });
    if (tier?.maxNamespaces !== undefined && namespaces.length > tier.maxNamespaces)
      at(
        ["namespaces"],
        `${namespaces.length} namespaces exceed the tier ${show(tierName)} limit of ${tier.maxNamespaces}`,
      );
    if (tier?.budget) {
      for (const key of QUOTA_KEYS) {
        const budget = tier.budget[key];
        if (budget === undefined) continue;
        const missing = namespaces.filter((n) => n.quota[key] === undefined).map((n) => n.name);
        if (missing.length > 0) {
          at(
            ["namespaces"],
            `the tier ${show(tierName)} budgets ${key}, so every namespace needs a ${key} quota; missing in ${missing.join(", ")}`,
          );
          continue;
        }
        const total = namespaces.reduce((sum, n) => sum + parseQuantity(n.quota[key]!)!, 0n);
        if (total > parseQuantity(budget)!)
          at(
            ["namespaces"],
            `${key} summed over ${namespaces.length} namespaces is ${show(formatQuantity(total))}, over the tier ${show(tierName)} budget of ${show(String(budget))}`,
          );
      }
    }

    // domains
    const domains = data.domains.flatMap((name, i) => {
      const path = ["domains", i];
      if (name.startsWith("*.") && !env.dns.allowWildcards)
        at(
          path,
          `${show(name)} is a wildcard; the environment does not allow wildcard domains (dns.allowWildcards)`,
        );
      const bare = name.startsWith("*.") ? name.slice(2) : name;
      const zone = zones
        .filter(([z]) => bare === z || bare.endsWith(`.${z}`))
        .sort((a, b) => b[0].length - a[0].length)[0];
      if (!zone)
        at(
          path,
          `${show(name)} is not in a configured DNS zone (zones: ${zones.map(([z]) => z).join(", ")})`,
        );
      const owner = domainOwner.get(bare);
      if (owner !== undefined) {
        at(
          path,
          owner === doc.id
            ? `${show(name)} is listed twice`
            : `${show(name)} is already claimed by tenant ${show(owner)} (${knownIds.get(owner)})`,
        );
        return [];
      }
      // nested inside a domain of another tenant?
      const labels = bare.split(".");
      for (let k = 1; k < labels.length - 1; k++) {
        const parent = labels.slice(k).join(".");
        const parentOwner = claimed.get(parent);
        if (parentOwner !== undefined && parentOwner !== doc.id)
          at(
            path,
            `${show(name)} is inside ${show(parent)}, claimed by tenant ${show(parentOwner)} (${knownIds.get(parentOwner)})`,
          );
      }
      domainOwner.set(bare, doc.id);
      return zone ? [{ name, zone: zone[0], zoneId: zone[1] }] : [];
    });

    const members: MemberModel[] = [];
    const invited = new Set<string>();
    data.members.forEach((m, i) => {
      if (m.tenant === doc.id) at(["members", i, "tenant"], `a tenant cannot invite itself`);
      else if (!knownIds.has(m.tenant))
        at(["members", i, "tenant"], `${show(m.tenant)} is not a tenant of this registry`);
      if (invited.has(m.tenant))
        at(["members", i, "tenant"], `${show(m.tenant)} is invited twice; list its namespaces in one entry`);
      invited.add(m.tenant);
      (m.namespaces ?? []).forEach((ns, j, all) => {
        if (all.indexOf(ns) !== j) at(["members", i, "namespaces", j], `${show(ns)} is listed twice`);
        else if (!own.has(ns))
          at(
            ["members", i, "namespaces", j],
            `${show(ns)} is not a namespace of tenant ${show(doc.id)} (its namespaces: ${[...own].join(", ")})`,
          );
      });
      members.push({ tenant: m.tenant, role: m.role, namespaces: m.namespaces ?? [...own] });
    });

    const apps: AppModel[] = [];
    const seenApps = new Set<string>();
    data.apps.forEach((app, i) => {
      const entry = Object.hasOwn(env.catalog, app.name) ? env.catalog[app.name] : undefined;
      if (!entry) {
        at(
          ["apps", i, "name"],
          `${show(app.name)} is not in the environment's app catalog (catalog: ${Object.keys(env.catalog).join(", ") || "empty"})`,
        );
        return;
      }
      if (seenApps.has(app.name)) at(["apps", i, "name"], `${show(app.name)} is listed twice`);
      seenApps.add(app.name);
      for (const [key, value] of Object.entries(app.settings)) {
        if (!Object.hasOwn(entry.settings, key)) {
          at(
            ["apps", i, "settings", key],
            `unknown setting for app ${show(app.name)} (its settings: ${Object.keys(entry.settings).join(", ") || "none"})`,
          );
        } else if (typeof value !== typeof entry.settings[key]) {
          at(["apps", i, "settings", key], `expected a ${typeof entry.settings[key]}, got ${show(value)}`);
        }
      }
      apps.push({ name: app.name, settings: { ...entry.settings, ...app.settings }, enabled: app.enabled });
    });

    if (data.ci && !env.ci.perTenant)
      at(
        ["ci"],
        `the environment has no ci.perTenant settings (${env.source}), so this tenant's CI role would not exist`,
      );
    (data.ci?.namespaces ?? []).forEach((ns, j, all) => {
      if (all.indexOf(ns) !== j) at(["ci", "namespaces", j], `${show(ns)} is listed twice`);
      else if (!own.has(ns))
        at(["ci", "namespaces", j], `${show(ns)} is not a namespace of tenant ${show(doc.id)}`);
    });

    tenants.push({
      id: doc.id,
      source,
      email: data.email,
      ...(data.displayName !== undefined ? { displayName: data.displayName } : {}),
      role: data.role,
      tier: tierName,
      podSecurity: {
        enforce: tier?.podSecurity?.enforce ?? env.podSecurity.enforce,
        audit: tier?.podSecurity?.audit ?? env.podSecurity.audit,
        warn: tier?.podSecurity?.warn ?? env.podSecurity.warn,
        version: env.podSecurity.version,
      },
      namespaces,
      domains,
      members,
      apps,
      ...(data.ci
        ? { ci: { boundClaims: data.ci.boundClaims, namespaces: data.ci.namespaces ?? [...own] } }
        : {}),
      offboarding: data.offboarding,
    });
  }
  return tenants;
}

/** defaultRequest <= default <= max, for cpu and memory. */
function checkLimits(limits: Limits, at: (field: PathSegment[], message: string) => void): void {
  for (const res of ["cpu", "memory"] as const) {
    const chain: [keyof Limits, string | undefined][] = [
      ["defaultRequest", limits.defaultRequest?.[res]],
      ["default", limits.default?.[res]],
      ["max", limits.max?.[res]],
    ];
    const set = chain.filter((c): c is [keyof Limits, string] => c[1] !== undefined);
    for (let i = 1; i < set.length; i++) {
      const [lowKey, low] = set[i - 1]!;
      const [highKey, high] = set[i]!;
      if (parseQuantity(low)! > parseQuantity(high)!)
        at(
          [lowKey, res],
          `${show(low)} is above ${highKey}.${res} ${show(high)}; expected defaultRequest <= default <= max`,
        );
    }
  }
}
