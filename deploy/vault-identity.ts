/**
 * Finding the Vault identities an existing installation already has, for adoption: the entity named after a
 * tenant, and the alias of the tenant's email on the OIDC mount (which Vault creates, with an entity of its
 * own, the first time a user logs in). Read from the environment's Vault (its `vault.address`, not VAULT_ADDR)
 * with VAULT_TOKEN. The token is sent to that origin only (redirects are refused) and never printed.
 */
import type { Adoption } from "../layers/names";
import type { EnvironmentModel, TenantModel } from "../registry/model";
import { SafetyError } from "../components/core/problems";
import { entityMetadata } from "../components/vault/specs";
import { mapLimited } from "./map-limited";

export interface IdentityLookupOptions {
  token: string;
  /** @default - Node's global fetch */
  fetch?: typeof fetch;
  /** Per request. @default 10000 */
  timeoutMs?: number;
  /** Tenants looked up at once (each tenant's two requests one after the other). @default 8 */
  concurrency?: number;
  /**
   * Take an entity found by the tenant's name only if tenancy made it (its metadata: managed-by tenancy, the
   * tenant's id); any other is a stranger (`strangers`), not taken. An entity a user's login made (the owner of
   * the alias of their email) is always theirs. `tenancy adopt` takes any; every other run's preflight, only its
   * own. @default false
   */
  ownedOnly?: boolean;
}

export interface IdentityLookup {
  adoption: Adoption;
  /** `<resource type>:<tenant>` -> why it could not be looked up */
  failures: Record<string, string>;
  /** tenant id -> the id of an entity of the tenant's name that tenancy did not make (with `ownedOnly`) */
  strangers: Record<string, string>;
}

const ENTITY = "vault:identity/entity:Entity";
const ALIAS = "vault:identity/entityAlias:EntityAlias";

type EntityData = {
  id?: unknown;
  metadata?: Record<string, unknown> | null;
  aliases?: { id?: unknown; name?: unknown; mount_accessor?: unknown }[];
};

export async function lookupIdentities(
  env: EnvironmentModel,
  tenants: TenantModel[],
  opts: IdentityLookupOptions,
): Promise<IdentityLookup> {
  const base = new URL(env.vault.address);
  const doFetch = opts.fetch ?? fetch;
  const concurrency = opts.concurrency ?? 8;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a whole number of at least 1, got ${concurrency}`);
  const call = async (
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<EntityData | undefined> => {
    const url = new URL(`/v1/${path}`, base);
    const res = await doFetch(url, {
      method,
      redirect: "manual",
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      headers: {
        "X-Vault-Token": opts.token,
        ...(env.vault.namespace ? { "X-Vault-Namespace": env.vault.namespace } : {}),
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 404 || res.status === 204) return undefined;
    if (res.status >= 300 && res.status < 400)
      throw new Error(
        `HTTP ${res.status}: Vault redirected the request; refusing to follow it with the token`,
      );
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    if (text.trim() === "") return undefined;
    const data = (JSON.parse(text) as { data?: EntityData | null }).data;
    return data ?? undefined;
  };

  const accessor = env.oidc.vaultMountAccessor;
  const where = (what: string, path: string, e: unknown) =>
    `${what} lookup at ${base.origin}/v1/${path} failed: ${(e as Error).message}`;
  /** One tenant's entity and alias, and what could not be looked up. */
  const lookup = async (t: TenantModel) => {
    const failures: Record<string, string> = {};
    let entityId: string | undefined;
    let aliasId: string | undefined;
    let stranger: string | undefined;
    try {
      const byName = await call("GET", `identity/entity/name/${encodeURIComponent(t.id)}`);
      const ours = Object.entries(entityMetadata(t.id)).every(([k, v]) => byName?.metadata?.[k] === v);
      if (typeof byName?.id === "string") {
        if (ours || !opts.ownedOnly) entityId = byName.id;
        else stranger = byName.id;
      }
    } catch (e) {
      failures[`${ENTITY}:${t.id}`] = where("entity", `identity/entity/name/${t.id}`, e);
    }
    try {
      const owner = await call("POST", "identity/lookup/entity", {
        alias_name: t.email,
        alias_mount_accessor: accessor,
      });
      const alias = owner?.aliases?.find((a) => a.name === t.email && a.mount_accessor === accessor);
      if (typeof alias?.id === "string") {
        aliasId = alias.id;
        // the user logged in before tenancy managed them: their login's entity becomes the tenant's entity
        if (
          entityId === undefined &&
          stranger === undefined &&
          typeof owner?.id === "string" &&
          !failures[`${ENTITY}:${t.id}`]
        )
          entityId = owner.id;
      }
    } catch (e) {
      failures[`${ALIAS}:${t.id}`] = where("entity alias", "identity/lookup/entity", e);
    }
    return { entityId, aliasId, stranger, failures };
  };

  const active = tenants.filter((x) => !x.offboarding);
  const found = await mapLimited(active, concurrency, lookup);
  // put together in the tenants' order, whatever order the answers came in
  const adoption: Adoption = { entities: {}, aliases: {} };
  const failures: Record<string, string> = {};
  const strangers: Record<string, string> = {};
  active.forEach((t, i) => {
    const f = found[i]!;
    if (f.stranger !== undefined) strangers[t.id] = f.stranger;
    if (f.aliasId !== undefined) adoption.aliases[t.id] = f.aliasId;
    if (f.entityId !== undefined) adoption.entities[t.id] = f.entityId;
    Object.assign(failures, f.failures);
  });
  // an entity adopted for two tenants would be fought over by both
  const seen = new Map<string, string>();
  for (const [tenant, id] of Object.entries(adoption.entities)) {
    const other = seen.get(id);
    if (other !== undefined)
      throw new SafetyError(
        `Vault entity ${id} is the existing identity of both tenant ${other} and tenant ${tenant}; merge or rename it in Vault before adopting`,
      );
    seen.set(id, tenant);
  }
  return { adoption, failures, strangers };
}
