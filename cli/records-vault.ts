/**
 * `tenancy onboard` and `tenancy offboard` with `--source vault`: the record written into the Vault registry
 * (ARCHITECTURE.md, "Vault as the registry"), validated with the registry as read, then written once with
 * check-and-set on the version read, so a concurrent write is refused (exit 3) and nothing is half-written.
 */
import { loadRegistry } from "../registry/load";
import type { NewRecord } from "../registry/records";
import type { VaultSourceOptions } from "../registry/source-vault";
import {
  offboardData,
  readPerTenant,
  readTenantSecret,
  readSingleSecret,
  singleSecretDocs,
  writeSingleSecret,
  writeTenantSecret,
} from "../registry/vault-records";
import { isMapping } from "../registry/single-secret";
import { descendants } from "../registry/model";
import { treeOf } from "../registry/records";
import { UsageError } from "../components/core/problems";
import { type CommonOptions, loadOptions } from "./options";

export interface VaultWrite {
  /** Where it went, e.g. `vault:secret/platform#k8s_users.erin`. */
  wrote: string;
  /** The secret's new version; undefined when nothing changed. */
  version?: number;
}

function vaultSource(opts: CommonOptions): VaultSourceOptions {
  const source = loadOptions(opts).source;
  if (source.kind !== "vault") throw new Error("not a Vault source");
  return source;
}

/** The record's fields as a registry record holds them: only those given (a single-secret one names its role). */
function recordData(record: NewRecord, singleSecret: boolean): Record<string, unknown> {
  return {
    ...(singleSecret ? { role: record.role ?? "namespace-owner" } : {}),
    email: record.email,
    ...(record.displayName !== undefined ? { displayName: record.displayName } : {}),
    ...(!singleSecret && record.role !== undefined ? { role: record.role } : {}),
    ...(record.tier !== undefined ? { tier: record.tier } : {}),
    ...(record.parent !== undefined ? { parent: record.parent } : {}),
    ...(record.namespaces.length > 0 ? { namespaces: record.namespaces } : {}),
    ...(singleSecret || record.domains.length > 0 ? { domains: record.domains } : {}),
    ...(record.members.length > 0 ? { members: record.members } : {}),
  };
}

export async function onboardVault(opts: CommonOptions, id: string, record: NewRecord): Promise<VaultWrite> {
  const source = vaultSource(opts);
  if (source.layout === "single-secret") {
    const snapshot = await readSingleSecret(source);
    if (Object.hasOwn(snapshot.users, id))
      throw new UsageError(
        `${snapshot.source} has a user ${JSON.stringify(id)} already: edit it, or offboard it with tenancy offboard ${id} --source vault`,
      );
    const users = { ...snapshot.users, [id]: recordData(record, true) };
    await loadRegistry({ ...loadOptions(opts), documents: singleSecretDocs(snapshot, users) });
    return { wrote: `${snapshot.source}.${id}`, version: await writeSingleSecret(source, snapshot, users) };
  }
  const read = await readPerTenant(source, id);
  if (read.version > 0)
    throw new UsageError(
      `${read.source} exists already (version ${read.version}, perhaps deleted): edit it, or offboard it with tenancy offboard ${id} --source vault`,
    );
  const data = recordData(record, false);
  await loadRegistry({ ...loadOptions(opts), documents: [...read.docs, { id, source: read.source, data }] });
  return { wrote: read.source, version: await writeTenantSecret(source, id, data, 0) };
}

export async function offboardVault(
  opts: CommonOptions,
  id: string,
  namespace?: string,
): Promise<VaultWrite> {
  const source = vaultSource(opts);
  if (source.layout === "single-secret") {
    const snapshot = await readSingleSecret(source);
    const where = `${snapshot.source}.${id}`;
    const record = Object.hasOwn(snapshot.users, id) ? snapshot.users[id] : undefined;
    if (!isMapping(record)) throw new UsageError(`no tenant ${JSON.stringify(id)} in ${snapshot.source}`);
    const changed = offboardData(record, where, namespace);
    if (changed === undefined) return { wrote: where };
    const users = { ...snapshot.users, [id]: changed };
    await loadRegistry({ ...loadOptions(opts), documents: singleSecretDocs(snapshot, users) });
    return { wrote: where, version: await writeSingleSecret(source, snapshot, users) };
  }
  const read = await readPerTenant(source, id);
  if (read.version === 0 || read.data === undefined)
    throw new UsageError(`no tenant ${JSON.stringify(id)}: ${read.source} does not exist`);
  const changed = offboardData(read.data, read.source, namespace);
  if (changed === undefined) return { wrote: read.source };
  const docs = read.docs.map((d) => (d.id === id ? { ...d, data: changed } : d));
  await loadRegistry({ ...loadOptions(opts), documents: docs });
  return { wrote: read.source, version: await writeTenantSecret(source, id, changed, read.version) };
}

/**
 * `offboard --recursive --source vault`: phase one on the tenant and every descendant, the registry validated
 * with all of them first. The single-secret layout writes them at once; the per-tenant layout writes one secret
 * each, with check-and-set on the version read, the deepest first and the tenant last, so that a failure half
 * way leaves a valid registry (offboarding children under an active parent) and the command can run again.
 */
export async function offboardVaultTree(
  opts: CommonOptions,
  id: string,
): Promise<{ wrote: string[]; tenants: string[] }> {
  const source = vaultSource(opts);
  if (source.layout === "single-secret") {
    const snapshot = await readSingleSecret(source);
    const record = Object.hasOwn(snapshot.users, id) ? snapshot.users[id] : undefined;
    if (!isMapping(record)) throw new UsageError(`no tenant ${JSON.stringify(id)} in ${snapshot.source}`);
    const docs = singleSecretDocs(snapshot, snapshot.users);
    const users = { ...snapshot.users };
    const tenants: string[] = [];
    for (const t of [id, ...descendants(treeOf(docs), id).map((d) => d.id)]) {
      const changed = isMapping(users[t]) ? offboardData(users[t], `${snapshot.source}.${t}`) : undefined;
      if (changed === undefined) continue;
      users[t] = changed;
      tenants.push(t);
    }
    if (tenants.length === 0) return { wrote: [], tenants };
    await loadRegistry({ ...loadOptions(opts), documents: singleSecretDocs(snapshot, users) });
    const version = await writeSingleSecret(source, snapshot, users);
    return { wrote: [`${snapshot.source} (version ${version})`], tenants };
  }
  const read = await readPerTenant(source, id);
  if (read.version === 0 || read.data === undefined)
    throw new UsageError(`no tenant ${JSON.stringify(id)}: ${read.source} does not exist`);
  const ids = [id, ...descendants(treeOf(read.docs), id).map((d) => d.id)];
  const changes: { id: string; data: Record<string, unknown>; version: number; source: string }[] = [];
  for (const t of ids) {
    // each descendant's own secret and version: the prefix was loaded once, above
    const r = t === id ? read : await readTenantSecret(source, t);
    const changed = r.data === undefined ? undefined : offboardData(r.data, r.source);
    if (changed !== undefined) changes.push({ id: t, data: changed, version: r.version, source: r.source });
  }
  if (changes.length === 0) return { wrote: [], tenants: [] };
  const byId = new Map(changes.map((c) => [c.id, c]));
  await loadRegistry({
    ...loadOptions(opts),
    documents: read.docs.map((d) => (byId.has(d.id) ? { ...d, data: byId.get(d.id)!.data } : d)),
  });
  const wrote: string[] = [];
  // descendants come level by level: the deepest last in `changes`, so written first
  for (const c of [...changes].reverse()) {
    const version = await writeTenantSecret(source, c.id, c.data, c.version);
    wrote.push(`${c.source} (version ${version})`);
  }
  return { wrote: wrote.reverse(), tenants: changes.map((c) => c.id) };
}
