/**
 * The single-secret layout of existing installations: one Vault secret whose key (`k8s_users`) holds a
 * JSON string mapping user -> `{role, email, namespaces, domains, quota: {cpu_requests, ...}}`.
 * Converted here into the tenant file shape (`tenants/<id>.yaml`) so the registry schema judges both
 * sources alike. Only the quota keys are renamed, and a record other than a namespace owner's without
 * `namespaces` gets none; everything else passes through for the schema to check. A record may lack `email`:
 * the environment's `oidc.identityFromId` names it then.
 */
import type { TenantDocument } from "./model";
import { parseJson } from "./parse";
import { type Problem, show } from "../components/core/problems";
import type { QuotaKey } from "../components/namespace/schema";

/**
 * Single-secret quota key -> the registry's Kubernetes ResourceQuota key. Installations write one of two
 * spellings: the short one (`cpu`, `memory`: requests, as that setup's ResourceQuota shows) and the long one
 * (`cpu_requests`, `memory_limits`, ...); the keys of neither (`storage`, `pods`, ...) go with both.
 */
const SHORT_QUOTA_KEYS: Readonly<Record<string, QuotaKey>> = {
  cpu: "requests.cpu",
  memory: "requests.memory",
};
const LONG_QUOTA_KEYS: Readonly<Record<string, QuotaKey>> = {
  cpu_requests: "requests.cpu",
  cpu_limits: "limits.cpu",
  memory_requests: "requests.memory",
  memory_limits: "limits.memory",
  storage_requests: "requests.storage",
};
export const SINGLE_SECRET_QUOTA_KEYS: Readonly<Record<string, QuotaKey>> = {
  ...SHORT_QUOTA_KEYS,
  ...LONG_QUOTA_KEYS,
  storage: "requests.storage",
  pods: "pods",
  services: "services",
  loadbalancers: "services.loadbalancers",
  nodeports: "services.nodeports",
  pvcs: "persistentvolumeclaims",
};

const EXPECTED =
  'a JSON object mapping each user to their record, e.g. {"alice": {"role": "namespace-owner", "email": "alice@example.com", "namespaces": ["alice"], "domains": [], "quota": {"cpu_requests": "2"}}}';

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  return Array.isArray(v) ? `a list (${show(v)})` : v === null ? "null" : show(v);
}

/**
 * One single-secret user record -> tenant file data. Its quota keys are renamed; unknown quota keys and every
 * other field pass through unchanged, so the strict schema reports them against the record's source.
 * Two of its quota keys naming the same Kubernetes key with different values (`storage` and `storage_requests`)
 * are a problem.
 */
export function singleSecretTenantFile(
  given: Record<string, unknown>,
  source: string,
): { ok: true; data: Record<string, unknown> } | { ok: false; problems: Problem[] } {
  // as in the setups it comes from, only namespace owners get a namespace of their own by default
  const owner = given.role === undefined || given.role === "namespace-owner";
  const record = given.namespaces === undefined && !owner ? { ...given, namespaces: [] } : given;
  const quota = record.quota;
  if (!isMapping(quota)) return { ok: true, data: record };
  const problems: Problem[] = [];
  // one spelling per record: `cpu` next to `memory_limits` is a record written by two hands
  const keys = Object.keys(quota);
  const short = keys.find((k) => Object.hasOwn(SHORT_QUOTA_KEYS, k));
  const long = keys.find((k) => Object.hasOwn(LONG_QUOTA_KEYS, k));
  if (short !== undefined && long !== undefined)
    problems.push({
      source,
      path: ["quota", short],
      message: `${show(short)} is the short spelling and ${show(long)} the long one; write the record's quota in one of them (cpu, memory, storage, pods; or cpu_requests, cpu_limits, memory_requests, memory_limits, storage_requests, pods)`,
    });
  const out = new Map<string, { key: string; value: unknown }>(); // target key -> the key that set it
  for (const [key, value] of Object.entries(quota)) {
    const target = Object.hasOwn(SINGLE_SECRET_QUOTA_KEYS, key) ? SINGLE_SECRET_QUOTA_KEYS[key]! : key;
    const earlier = out.get(target);
    if (earlier === undefined) out.set(target, { key, value });
    else if (String(earlier.value) !== String(value))
      problems.push({
        source,
        path: ["quota", key],
        message: `${show(value)} conflicts with ${earlier.key} ${show(earlier.value)}: both set ${target}; keep one of them`,
      });
  }
  if (problems.length > 0) return { ok: false, problems };
  // fromEntries defines own properties: a "__proto__" key stays data, never a prototype
  return { ok: true, data: { ...record, quota: Object.fromEntries([...out].map(([k, v]) => [k, v.value])) } };
}

/**
 * The value of the single secret's key (a JSON string, or already an object) -> one document per user.
 * `source` names the secret and key, e.g. `vault:secret/platform#k8s_users`; each user's document gets
 * `<source>.<user>`. Returns every problem found at once.
 */
export function singleSecretDocuments(
  value: unknown,
  source: string,
): { ok: true; docs: TenantDocument[] } | { ok: false; problems: Problem[] } {
  const fail = (message: string) => ({ ok: false as const, problems: [{ source, path: [], message }] });
  let users: unknown = value;
  if (typeof value === "string") {
    const parsed = parseJson(value);
    if (!parsed.ok && parsed.syntax)
      return fail(`is not valid JSON (got ${show(value)}); expected ${EXPECTED}`);
    // a user listed twice would silently replace the first record
    if (!parsed.ok) return { ok: false, problems: [{ source, path: parsed.path, message: parsed.message }] };
    users = parsed.value;
  }
  if (!isMapping(users)) return fail(`expected ${EXPECTED}, got ${kind(users)}`);
  const names = Object.keys(users);
  if (names.length === 0)
    return fail(`holds no users; expected ${EXPECTED} (an empty registry would remove every tenant)`);
  const docs: TenantDocument[] = [];
  const problems: Problem[] = [];
  for (const [user, record] of Object.entries(users)) {
    const userSource = `${source}.${user}`;
    if (!isMapping(record)) {
      problems.push({
        source,
        path: [user],
        message: `expected the user's record as a JSON object (role, email, namespaces, domains, quota), got ${kind(record)}`,
      });
      continue;
    }
    const converted = singleSecretTenantFile(record, userSource);
    if (converted.ok) docs.push({ id: user, source: userSource, data: converted.data, identityFromId: true });
    else problems.push(...converted.problems);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, docs };
}
