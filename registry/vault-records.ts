/**
 * The registry in Vault, written (`tenancy onboard`, `tenancy offboard` with `--source vault`) and read at an
 * earlier KV version (`tenancy diff --source vault --base <version>`): ARCHITECTURE.md, "Vault as the registry".
 *
 * Every write is one KV v2 write with check-and-set: the version read (0 for a secret that must not exist yet),
 * so a write made by someone else in between is refused by Vault and nothing is written (SafetyError, exit 3).
 * The single-secret layout changes one user's record inside the one secret, every other key and record kept as
 * read; the per-tenant layout writes the tenant's own secret. What is written is validated first, with the
 * documents read (never read twice).
 */
import { isMapping, singleSecretDocuments } from "./single-secret";
import type { TenantDocument } from "./model";
import { parseJson } from "./parse";
import { KvClient, type VaultSourceOptions, loadVaultDocuments } from "./source-vault";
import { InvalidInputError, UsageError, show } from "../components/core/problems";

/** The single secret at one version: all its keys, the users' map in `key`, and the documents it holds. */
export interface SingleSecretSnapshot {
  version: number;
  /** The secret's data, every key as read. */
  secret: Record<string, unknown>;
  /** The users' map, as read from the key (a JSON string, or an object). */
  users: Record<string, unknown>;
  /** Whether the key held a JSON string (written back as one) and, then, its indentation. */
  encoding: { string: boolean; indent: number };
  docs: TenantDocument[];
  /** How the key is named in messages: `vault:secret/platform#k8s_users`. */
  source: string;
}

const client = (opts: VaultSourceOptions) => new KvClient(opts);

/** The single secret at `version` (default: the latest), its users parsed and checked like a load. */
export async function readSingleSecret(
  opts: VaultSourceOptions,
  version?: number,
): Promise<SingleSecretSnapshot> {
  const vault = client(opts);
  const read = await vault.readVersion(vault.path, new AbortController().signal, version);
  const source = `${vault.source(vault.path)}#${opts.key}`;
  if (!Object.hasOwn(read.data, opts.key))
    throw vault.invalid([
      { source, path: [], message: `the secret has no key ${show(opts.key)} (version ${read.version})` },
    ]);
  const value = read.data[opts.key];
  const result = singleSecretDocuments(value, source);
  if (!result.ok) throw vault.invalid(result.problems);
  // singleSecretDocuments accepted it: a mapping, from a JSON string without duplicate keys or too deep
  const parsed = typeof value === "string" ? parseJson(value) : undefined;
  const users = (parsed?.ok ? parsed.value : value) as Record<string, unknown>;
  const indent = typeof value === "string" ? (/\n( +)"/.exec(value)?.[1]?.length ?? 0) : 0;
  return {
    version: read.version,
    secret: read.data,
    users,
    encoding: { string: typeof value === "string", indent },
    docs: result.docs,
    source,
  };
}

/** The single secret's documents with `users` in place of the users read (what a write would hold). */
export function singleSecretDocs(
  snapshot: SingleSecretSnapshot,
  users: Record<string, unknown>,
): TenantDocument[] {
  const result = singleSecretDocuments(users, snapshot.source);
  if (!result.ok) throw new InvalidInputError(result.problems);
  return result.docs;
}

/**
 * Writes `users` back into the single secret, every other key as read, with check-and-set on the version read.
 * Returns the new version.
 */
export async function writeSingleSecret(
  opts: VaultSourceOptions,
  snapshot: SingleSecretSnapshot,
  users: Record<string, unknown>,
): Promise<number> {
  const vault = client(opts);
  const value = snapshot.encoding.string
    ? JSON.stringify(users, null, snapshot.encoding.indent || undefined)
    : users;
  return vault.write(vault.path, { ...snapshot.secret, [opts.key]: value }, snapshot.version);
}

/** The per-tenant layout: a tenant's secret path under the prefix. */
export function tenantSecretPath(opts: VaultSourceOptions, id: string): string {
  return `${client(opts).path}/${id}`;
}

/** The per-tenant layout: every tenant's document, and the version of `id`'s secret (0 when it has none). */
export async function readPerTenant(
  opts: VaultSourceOptions,
  id: string,
): Promise<{ docs: TenantDocument[]; version: number; data?: Record<string, unknown>; source: string }> {
  const vault = client(opts);
  const path = `${vault.path}/${id}`;
  const version = await vault.currentVersion(path);
  const source = vault.source(path);
  // a tenant not written yet may be the prefix's first: onboarding an empty prefix starts the registry
  if (version === 0) return { docs: await loadVaultDocuments(opts, { firstRecord: true }), version, source };
  const read = await vault.readVersion(path, new AbortController().signal);
  const others = (await loadVaultDocuments(opts)).filter((d) => d.id !== id);
  return {
    docs: [...others, { id, source, data: read.data }],
    version: read.version,
    data: read.data,
    source,
  };
}

/**
 * One tenant's secret (per-tenant layout) and its version, without loading the prefix again: 0 and no data when
 * it does not exist.
 */
export async function readTenantSecret(
  opts: VaultSourceOptions,
  id: string,
): Promise<{ version: number; data?: Record<string, unknown>; source: string }> {
  const vault = client(opts);
  const path = `${vault.path}/${id}`;
  const source = vault.source(path);
  if ((await vault.currentVersion(path)) === 0) return { version: 0, source };
  const read = await vault.readVersion(path, new AbortController().signal);
  return { version: read.version, data: read.data, source };
}

/** Writes a tenant's secret (per-tenant layout), with check-and-set on `cas` (0: it must not exist). */
export function writeTenantSecret(
  opts: VaultSourceOptions,
  id: string,
  data: Record<string, unknown>,
  cas: number,
): Promise<number> {
  const vault = client(opts);
  return vault.write(`${vault.path}/${id}`, data, cas);
}

/**
 * Phase one of offboarding in a record held as data (a single-secret user's record, a per-tenant secret):
 * `offboarding: true` on the tenant, or on one of its namespaces (a plain name becomes `{name, offboarding}`),
 * every other field as it was. Undefined when it is offboarding already.
 */
export function offboardData(
  record: Record<string, unknown>,
  source: string,
  namespace?: string,
): Record<string, unknown> | undefined {
  if (namespace === undefined)
    return record.offboarding === true ? undefined : { ...record, offboarding: true };
  const list = Array.isArray(record.namespaces) ? (record.namespaces as unknown[]) : [];
  const index = list.findIndex((n) => n === namespace || (isMapping(n) && n.name === namespace));
  if (index < 0)
    throw new UsageError(
      `${source}: no namespace ${show(namespace)} in its namespaces list (a tenant's default namespace is offboarded with the tenant: leave out --namespace)`,
    );
  const item = list[index];
  if (isMapping(item) && item.offboarding === true) return undefined;
  const entry = isMapping(item) ? { ...item, offboarding: true } : { name: namespace, offboarding: true };
  return { ...record, namespaces: list.map((n, i) => (i === index ? entry : n)) };
}

/** `--base` with `--source vault`: a version of the registry's secret, `N`, or `~N` (N before the latest). */
export function parseVaultBase(base: string): { version: number } | { back: number } {
  const m = /^(?:vault:)?(~)?(\d{1,9})$/.exec(base);
  if (!m || (m[1] === undefined && Number(m[2]) < 1))
    throw new UsageError(
      `--base ${show(base)}: with --source vault, --base is a KV version of the registry's secret: a number (e.g. 4), or ~N for N versions before the latest (~1: the one before); vault:4 and vault:~1 say the same`,
    );
  return m[1] === undefined ? { version: Number(m[2]) } : { back: Number(m[2]) };
}
