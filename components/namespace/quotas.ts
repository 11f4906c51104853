/**
 * Quotas and limits: each namespace's ResourceQuota and LimitRange resolved (environment <- tier <- tenant <-
 * namespace), within the tier's max and the environment's maxQuota, limits ordered, and the tenant's totals
 * within the tier's namespace count and budget.
 */
import type { Limits, NamespaceModel, Quota } from "../../registry/model";
import { type PathSegment, show } from "../core/problems";
import { formatQuantity, parseQuantity } from "../core/quantity";
import type { QuotaKey } from "./schema";
import type { TenantContext } from "../../registry/rules/context";
import type { NamespaceEntry } from "./rules";

/** [key, value, ceiling, which ceiling] for every quota key above one of the given ceilings (the first). */
export function ceilings(
  quota: Quota,
  limits: [Quota | undefined, string][],
): [string, string, string, string][] {
  const over: [string, string, string, string][] = [];
  for (const key of quotaKeys(quota)) {
    const value = quota[key]!;
    for (const [ceiling, where] of limits) {
      const max = ceiling?.[key];
      if (max !== undefined && parseQuantity(value)! > parseQuantity(max)!) {
        over.push([key, String(value), String(max), where]);
        break;
      }
    }
  }
  return over;
}

/** The quota keys that bound requests, each with the key that bounds the same resource's limits. */
const REQUEST_LIMIT_PAIRS = [
  ["requests.cpu", "limits.cpu"],
  ["requests.memory", "limits.memory"],
  ["requests.ephemeral-storage", "limits.ephemeral-storage"],
] as const satisfies readonly (readonly [QuotaKey, QuotaKey])[];

/**
 * [request key, limit key] for every resource whose requests quota is above its limits quota: a container's
 * request is at most its limit, and with a limits quota every container sets one, so the requests quota can
 * never be reached (a mistake, most likely a swapped pair or a unit slip).
 */
export function requestsAboveLimits(quota: Quota): (readonly [QuotaKey, QuotaKey])[] {
  return REQUEST_LIMIT_PAIRS.filter(([req, lim]) => {
    const r = quota[req];
    const l = quota[lim];
    return r !== undefined && l !== undefined && parseQuantity(r)! > parseQuantity(l)!;
  });
}

/** The message for a requests quota above its limits quota (requestsAboveLimits). */
export function requestsAboveLimitsMessage(quota: Quota, [req, lim]: readonly [QuotaKey, QuotaKey]): string {
  return `${req} ${show(String(quota[req]))} is above ${lim} ${show(String(quota[lim]))}: a container's request is at most its limit, so this ${req} can never be used; expected ${req} <= ${lim}`;
}

/** The keys a quota sets. */
function quotaKeys(q: Quota | undefined): QuotaKey[] {
  return Object.keys(q ?? {}).filter((k) => q![k as QuotaKey] !== undefined) as QuotaKey[];
}

/** A copy of a quota with only the keys that are set. */
function quotaOf(q: Quota | undefined): Quota {
  const out: Quota = {};
  for (const key of quotaKeys(q)) out[key] = q![key];
  return out;
}

/**
 * Service exposure a tenant file cannot raise: NodePorts and LoadBalancers are capped by the tier (its `max`,
 * else its default quota, else the environment's default), and are 0 where nothing allows them, so a quota
 * without the key never means "unlimited".
 */
const EXPOSURE_KEYS = ["services.nodeports", "services.loadbalancers"] as const;
function exposureCap(env: TenantContext["env"], tier: TenantContext["tier"]): Quota {
  const out: Quota = {};
  for (const key of EXPOSURE_KEYS)
    out[key] = tier?.max?.[key] ?? tier?.quota?.[key] ?? env.defaults.quota?.[key] ?? "0";
  return out;
}

export function mergeLimits(...layers: (Limits | undefined)[]): Limits {
  return extendLimits({}, ...layers);
}

/**
 * `layers` merged into `out`, in order: a section keeps its place once set (the model's JSON, and so a
 * tenant's digest, depends on the order), each layer's sections taken in a fixed order.
 */
function extendLimits(out: Limits, ...layers: (Limits | undefined)[]): Limits {
  for (const layer of layers) {
    for (const section of ["default", "defaultRequest", "max"] as const) {
      const v = layer?.[section];
      if (v) out[section] = { ...out[section], ...v };
    }
  }
  return out;
}

/** A copy: the same sections and keys, in the same order. */
function copyLimits(limits: Limits): Limits {
  return Object.fromEntries(Object.entries(limits).map(([section, v]) => [section, { ...v }])) as Limits;
}

/**
 * The resolver of one tenant's namespaces: each with its quota and limits resolved and checked. What every
 * namespace starts from (quota and limits merged down to the tenant, the ceilings) is worked out once, and limit
 * problems once reported are not reported again (the tenant's own limits are shared by all its namespaces).
 */
export function namespaceResolver(ctx: TenantContext): (entry: NamespaceEntry) => NamespaceModel {
  const { env, data, tier, tierName, at } = ctx;
  const baseQuota = {
    ...quotaOf(env.defaults.quota),
    ...quotaOf(tier?.quota),
    ...quotaOf(data.quota),
  } as Quota;
  const baseLimits = mergeLimits(env.defaults.limits, tier?.limits, data.limits);
  const limitsOver: [Quota | undefined, string][] = [
    [tier?.max, `the tier ${show(tierName)} maximum`],
    [env.maxQuota, "the environment's maxQuota"],
    [exposureCap(env, tier), `the tier ${show(tierName)} cap on service exposure`],
  ];
  const reported = new Set<string>();
  return ({ name, entry, path }) => {
    const obj = typeof entry === "string" ? { name: entry } : entry;
    const nsQuota = "quota" in obj ? quotaOf(obj.quota) : {};
    const quota = { ...baseQuota, ...nsQuota } as Quota;
    for (const key of EXPOSURE_KEYS) quota[key] ??= "0";
    const nsLimits = "limits" in obj && obj.limits ? obj.limits : undefined;
    // the tenant's merged limits (a copy), then the namespace's: as one merge of every layer orders them
    const limits = extendLimits(copyLimits(baseLimits), nsLimits);
    for (const [key, value, ceiling, where] of ceilings(quota, limitsOver)) {
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
    // requests above limits, both written by the tenant (the environment's own are reported there; a request
    // raised above a limit the tenant inherits is left alone: installations moving over write requests only)
    const written = (key: QuotaKey) => key in nsQuota || (data.quota !== undefined && key in data.quota);
    for (const pair of requestsAboveLimits(quota)) {
      if (!pair.every(written)) continue;
      const [where] = pair
        .flatMap((key) => [
          ...(key in nsQuota ? [[...path.slice(0, 2), "quota", key]] : []),
          ...(data.quota && key in data.quota ? [["quota", key]] : []),
        ])
        .sort((a, b) => b.length - a.length);
      if (where === undefined) continue;
      const message = requestsAboveLimitsMessage(quota, pair);
      const key = `${where.join("\0")}\0${message}`;
      if (!reported.has(key)) at(where, message);
      reported.add(key);
    }
    // limits the tenant did not write are the environment's: reported there, once
    const ownLimits = data.limits !== undefined || nsLimits !== undefined;
    checkLimits(limits, (field, message) => {
      if (!ownLimits) return;
      const where = nsLimits ? [...path.slice(0, 2), "limits", ...field] : ["limits", ...field];
      const key = `${where.join("\0")}\0${message}`;
      if (!reported.has(key)) at(where, message);
      reported.add(key);
    });
    return {
      name,
      quota,
      limits,
      offboarding: "offboarding" in obj && obj.offboarding === true,
      clusters: [],
      reachFrom: [name],
    };
  };
}

/** The tenant's totals: number of namespaces and the tier's budget summed over them. */
export function checkTotals({ tier, tierName, at }: TenantContext, namespaces: NamespaceModel[]): void {
  if (tier?.maxNamespaces !== undefined && namespaces.length > tier.maxNamespaces)
    at(
      ["namespaces"],
      `${namespaces.length} namespaces exceed the tier ${show(tierName)} limit of ${tier.maxNamespaces}`,
    );
  if (!tier?.budget) return;
  for (const key of quotaKeys(tier.budget)) {
    const budget = tier.budget[key]!;
    const missing = namespaces.filter((n) => n.quota[key] === undefined).map((n) => n.name);
    if (missing.length > 0) {
      at(
        ["namespaces"],
        `the tier ${show(tierName)} budgets ${key}, so every namespace needs a ${key} quota; missing in ${missing.join(", ")}`,
      );
      continue;
    }
    // a namespace on several clusters has a quota on each: each counts
    const copies = (n: NamespaceModel) => BigInt(Math.max(1, n.clusters.length));
    const total = namespaces.reduce((sum, n) => sum + parseQuantity(n.quota[key]!)! * copies(n), 0n);
    const all = namespaces.reduce((sum, n) => sum + copies(n), 0n);
    const over =
      all === BigInt(namespaces.length)
        ? `${namespaces.length} namespaces`
        : `${namespaces.length} namespaces on their clusters (${all} quotas in all)`;
    if (total > parseQuantity(budget)!)
      at(
        ["namespaces"],
        `${key} summed over ${over} is ${show(formatQuantity(total))}, over the tier ${show(tierName)} budget of ${show(String(budget))}`,
      );
  }
}

/** defaultRequest <= default <= max, for cpu, memory and ephemeral storage. */
export function checkLimits(limits: Limits, at: (field: PathSegment[], message: string) => void): void {
  for (const res of ["cpu", "memory", "ephemeral-storage"] as const) {
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
