/**
 * A tenant's identity: its email (or the environment's rule for records without one), one tenant per identity;
 * an id that is not a path the platform uses in Vault.
 */
import { show } from "../../components/core/problems";
import type { TenantContext } from "./context";
import { namespaceEntries } from "../../components/namespace/rules";

export function checkIdentity(ctx: TenantContext): string | undefined {
  const { env, doc, data, claims, at } = ctx;
  // top-level tenant paths put tenant data at <kvMount>/data/<id>: an id must not be a path the platform uses
  if (
    env.vault.tenantPaths === "top-level" &&
    [...env.vault.reservedPaths, env.vault.tenantPrefix, ...claims.platformVaultPaths].includes(doc.id)
  )
    at(
      [],
      `tenant id ${show(doc.id)} is a reserved Vault path (vault.reservedPaths in ${env.source}, or the registry's own); with top-level tenant paths its policy would grant ${env.vault.kvMount}/data/${doc.id}; choose another id`,
    );

  // per-namespace paths put a namespace's data at <kvMount>/data/<ns>/*: no namespace may be a path the platform
  // uses (with the per-tenant source, <kvMount>/data/tenants/* holds every tenant's record)
  if (env.vault.tenantPaths === "per-namespace") {
    const reserved = [...env.vault.reservedPaths, env.vault.tenantPrefix, ...claims.platformVaultPaths];
    for (const { name, path } of namespaceEntries(ctx))
      if (reserved.includes(name))
        at(
          data.namespaces === undefined ? [] : path,
          `namespace ${show(name)} is a reserved Vault path (vault.reservedPaths in ${env.source}, vault.tenantPrefix, or the registry's own); with per-namespace tenant paths its tenant's policy would grant ${env.vault.kvMount}/data/${name}/*; choose another name`,
        );
  }

  const identity = tenantIdentity(ctx);
  if (identity === undefined) return undefined;
  const key = identity.toLowerCase();
  const first = claims.emailOwner.get(key);
  if (first !== undefined)
    at(
      ["email"],
      `${show(identity)} is already the identity of tenant ${show(first)}${data.email === undefined ? ` (from oidc.identityFromId in ${env.source})` : ""}; an email belongs to one tenant`,
    );
  else claims.emailOwner.set(key, doc.id);
  return identity;
}

/**
 * The tenant's OIDC identity: its email; for a single-secret record without one, the environment's
 * `oidc.identityFromId` applied to its id. Undefined (and reported) when it has neither.
 */
function tenantIdentity({ env, doc, data, at }: TenantContext): string | undefined {
  if (data.email !== undefined) return data.email;
  const rule = env.oidc.identityFromId;
  if (doc.identityFromId && rule !== undefined) return rule.replace("{id}", doc.id);
  at(
    ["email"],
    doc.identityFromId
      ? `is required: this record has no email and the environment has no identity rule (oidc.identityFromId in ${env.source}, e.g. "{id}@example.com")`
      : "is required (the tenant's OIDC identity)",
  );
  return undefined;
}
